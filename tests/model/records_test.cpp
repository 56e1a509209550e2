// Records sent to a deployed model: CSV, JSON and JSON Lines bodies parsed against the model's
// input schema, every problem named by record and field; predictions written back.
#include "mloop/model/records.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "mloop/io/jsonl_writer.h"
#include "test_util.h"

namespace mloop {
namespace {

const MissingTokens kTokens;  // the default (pandas') missing-value tokens

const std::vector<Field> kInputs = {{"age", DataType::kInt64},
                                    {"income", DataType::kFloat64},
                                    {"plan", DataType::kString},
                                    {"active", DataType::kBool}};

RecordProblem ProblemOf(std::string_view body, RecordFormat format) {
  RecordBatch batch(kInputs, kTokens);
  try {
    batch.ParseBody(body, format);
  } catch (const RecordError& e) {
    EXPECT_EQ(batch.size(), 0);
    return e.problem();
  }
  ADD_FAILURE() << "no error for " << body;
  return {};
}

TEST(RecordsTest, ContentTypes) {
  EXPECT_EQ(RecordFormatFromContentType("text/csv"), RecordFormat::kCsv);
  EXPECT_EQ(RecordFormatFromContentType("Text/CSV; charset=utf-8"), RecordFormat::kCsv);
  EXPECT_EQ(RecordFormatFromContentType("application/json"), RecordFormat::kJson);
  EXPECT_EQ(RecordFormatFromContentType("application/jsonlines"), RecordFormat::kJsonLines);
  EXPECT_EQ(RecordFormatFromContentType("application/x-jsonlines"), RecordFormat::kJsonLines);
  EXPECT_EQ(RecordFormatFromContentType("application/x-ndjson"), RecordFormat::kJsonLines);
  EXPECT_EQ(RecordFormatFromContentType("application/x-npy"), std::nullopt);
  EXPECT_EQ(ContentTypeOf(RecordFormat::kJsonLines), "application/jsonlines");
  EXPECT_EQ(RecordFormatFromName("jsonl"), RecordFormat::kJsonLines);
}

TEST(RecordsTest, CsvRecordsInInputOrder) {
  RecordBatch batch(kInputs, kTokens);
  EXPECT_EQ(
      batch.ParseBody("34,5.5,basic,true\r\n\n51,,\"pro, yearly\",false\n", RecordFormat::kCsv), 2);
  Table t = batch.Finish();
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column("age").i64()[1], 51);
  EXPECT_EQ(t.column("income").f64()[0], 5.5);
  EXPECT_FALSE(t.column("income").IsValid(1));
  EXPECT_EQ(t.column("plan").StringAt(1), "pro, yearly");
  EXPECT_EQ(t.column("active").bools()[0], 1);
  EXPECT_EQ(batch.size(), 0);  // Finish empties the batch
  // An integer input written as a whole float (pandas' int column with a missing value) is the
  // integer, as in JSON; 69.5 is not an integer.
  EXPECT_EQ(batch.ParseBody("69.0,1,basic,true\n-2e1,1,basic,true\n", RecordFormat::kCsv), 2);
  t = batch.Finish();
  EXPECT_EQ(t.column("age").i64()[0], 69);
  EXPECT_EQ(t.column("age").i64()[1], -20);
}

// For a model of one input, an empty CSV line is a record with a missing value (pandas' to_csv
// of a one-column frame writes NaN so); skipped, every later answer would belong to another
// record. A line of spaces is still blank, and JSON Lines skip empty lines.
TEST(RecordsTest, AnEmptyLineIsAMissingValueForOneInput) {
  RecordBatch batch({{"bmi", DataType::kFloat64}}, kTokens);
  EXPECT_EQ(batch.ParseBody("32.1\n\n21.6\r\n\r\n  \n", RecordFormat::kCsv), 4);
  const Table t = batch.Finish();
  ASSERT_EQ(t.num_rows(), 4);
  EXPECT_EQ(t.column("bmi").f64()[0], 32.1);
  EXPECT_FALSE(t.column("bmi").IsValid(1));
  EXPECT_EQ(t.column("bmi").f64()[2], 21.6);
  EXPECT_FALSE(t.column("bmi").IsValid(3));
  EXPECT_EQ(batch.ParseBody("{\"bmi\": 1}\n\n{\"bmi\": 2}\n", RecordFormat::kJsonLines), 2);
}

// A quote opens a quoted field only at the field's start, as `mloop data import` reads a file:
// inch marks in product text neither join records nor lose one.
TEST(RecordsTest, CsvQuotesInsideAFieldAreCharacters) {
  RecordBatch batch(kInputs, kTokens);
  EXPECT_EQ(batch.ParseBody("1,2,12\" pipe,true\n3,4,14\" pipe,false\n5,6,\"two\nlines\",true\n",
                            RecordFormat::kCsv),
            3);
  Table t = batch.Finish();
  EXPECT_EQ(t.column("plan").StringAt(0), "12\" pipe");
  EXPECT_EQ(t.column("plan").StringAt(1), "14\" pipe");
  EXPECT_EQ(t.column("plan").StringAt(2), "two\nlines");
  // A quoted field followed by more text is a bad record that ends at its line.
  RecordProblem p = ProblemOf("1,2,\"a\"b,true\n3,4,c,true\n", RecordFormat::kCsv);
  EXPECT_EQ(p.record, 1);
  EXPECT_CONTAINS(p.message, "malformed CSV");
}

TEST(RecordsTest, CsvQuotedFieldsAndStringsKeepTokens) {
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  ASSERT_TRUE(SplitCsvLine("a,\"b \"\"x\"\"\",,\"c\"", ',', &fields, &scratch));
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[1], "b \"x\"");
  EXPECT_EQ(fields[2], "");
  EXPECT_EQ(fields[3], "c");
  EXPECT_FALSE(SplitCsvLine("a,\"b", ',', &fields, &scratch));
  // As `mloop data import` reads a CSV file (and so the model's training data): a missing-value
  // token is missing for every input, string ones included, unless quoted for a string input.
  RecordBatch batch(kInputs, kTokens);
  batch.ParseBody("1,NA,NA,\n2,3,\"NA\",true\n3,4,\"\",false\n4,5,,true\n5,NaN,null,0\n",
                  RecordFormat::kCsv);
  Table t = batch.Finish();
  EXPECT_FALSE(t.column("income").IsValid(0));
  EXPECT_FALSE(t.column("plan").IsValid(0));
  EXPECT_FALSE(t.column("active").IsValid(0));
  EXPECT_EQ(t.column("plan").StringAt(1), "NA");
  ASSERT_TRUE(t.column("plan").IsValid(2));
  EXPECT_EQ(t.column("plan").StringAt(2), "");
  EXPECT_FALSE(t.column("plan").IsValid(3));
  EXPECT_FALSE(t.column("plan").IsValid(4));
  EXPECT_FALSE(t.column("income").IsValid(4));
}

TEST(RecordsTest, CsvProblemsNameRecordAndField) {
  RecordProblem p = ProblemOf("34,5.5,basic,true\n35,abc,basic,true\n", RecordFormat::kCsv);
  EXPECT_EQ(p.record, 2);
  EXPECT_EQ(p.field, "income");
  EXPECT_EQ(p.ToString(), "record 2, field 'income': expected a number, got \"abc\"");
  p = ProblemOf("34,5.5,basic\n", RecordFormat::kCsv);
  EXPECT_EQ(p.record, 1);
  EXPECT_EQ(p.field, "");
  EXPECT_CONTAINS(p.message, "has 3 values, the model takes 4 (age, income, plan, active)");
  p = ProblemOf("3.5,1,basic,true\n", RecordFormat::kCsv);
  EXPECT_EQ(p.field, "age");
  EXPECT_CONTAINS(p.message, "expected an integer");
  EXPECT_CONTAINS(ProblemOf("1e300,1,basic,true\n", RecordFormat::kCsv).message,
                  "expected an integer");
  EXPECT_CONTAINS(ProblemOf("inf,1,basic,true\n", RecordFormat::kCsv).message,
                  "expected an integer");
}

// CSV fields are missing for the model's tokens: pandas' by default (NULL, N/A, None, nan, ...),
// unquoted for a string input; a model made before bundle format 3 reads only the old four.
TEST(RecordsTest, CsvMissingTokensAreTheModels) {
  RecordBatch batch(kInputs, kTokens);
  EXPECT_EQ(batch.ParseBody("NULL,N/A,None,nan\n-nan,#N/A,\"None\",<NA>\n", RecordFormat::kCsv), 2);
  Table t = batch.Finish();
  for (const char* input : {"age", "income", "active"}) {
    EXPECT_FALSE(t.column(input).IsValid(0)) << input;
    EXPECT_FALSE(t.column(input).IsValid(1)) << input;
  }
  EXPECT_FALSE(t.column("plan").IsValid(0));
  EXPECT_EQ(t.column("plan").StringAt(1), "None");

  const MissingTokens legacy_tokens(LegacyMissingTokens());
  RecordBatch legacy(kInputs, legacy_tokens);
  EXPECT_EQ(legacy.ParseBody("NA,,None,null\n", RecordFormat::kCsv), 1);
  t = legacy.Finish();
  EXPECT_FALSE(t.column("age").IsValid(0));
  EXPECT_EQ(t.column("plan").StringAt(0), "None");
  try {
    legacy.ParseBody("NULL,1,basic,true\n", RecordFormat::kCsv);
    ADD_FAILURE() << "NULL read as missing by a legacy model";
  } catch (const RecordError& e) {
    EXPECT_EQ(e.problem().field, "age");
  }
}

// A header line is refused as such, also for a model whose inputs are all text (where no value
// fails to parse, and it was scored as a record); a record further down with those values is
// data.
TEST(RecordsTest, AHeaderLineIsRefusedEvenWhenEveryInputIsText) {
  const std::vector<Field> text = {{"plan", DataType::kString}, {"region", DataType::kString}};
  RecordBatch batch(text, kTokens);
  try {
    batch.ParseBody("plan,region\npro,north\n", RecordFormat::kCsv);
    ADD_FAILURE() << "no error";
  } catch (const RecordError& e) {
    EXPECT_EQ(e.problem().record, 1);
    EXPECT_CONTAINS(e.problem().message, "this is a header line (the input names)");
  }
  RecordProblem p = ProblemOf("age,income,plan,active\n", RecordFormat::kCsv);
  EXPECT_CONTAINS(p.message, "header line");
  RecordBatch later(text, kTokens);
  EXPECT_EQ(later.ParseBody("pro,north\nplan,region\n", RecordFormat::kCsv), 2);
}

TEST(RecordsTest, JsonShapes) {
  for (const char* body : {R"({"age": 34, "income": 5.5, "plan": "basic", "active": true})",
                           R"([34, 5.5, "basic", true])",
                           R"([{"age": 34, "income": 5.5, "plan": "basic", "active": true}])",
                           R"({"instances": [[34, 5.5, "basic", true]]})"}) {
    RecordBatch batch(kInputs, kTokens);
    EXPECT_EQ(batch.ParseBody(body, RecordFormat::kJson), 1) << body;
    Table t = batch.Finish();
    EXPECT_EQ(t.column("age").i64()[0], 34) << body;
    EXPECT_EQ(t.column("plan").StringAt(0), "basic") << body;
  }
  RecordBatch batch(kInputs, kTokens);
  EXPECT_EQ(batch.ParseBody(R"([[1, null, "a", false], [2, 3, "b", null]])", RecordFormat::kJson),
            2);
  Table t = batch.Finish();
  EXPECT_FALSE(t.column("income").IsValid(0));
  EXPECT_FALSE(t.column("active").IsValid(1));
  EXPECT_EQ(batch.ParseBody("[]", RecordFormat::kJson), 0);
}

TEST(RecordsTest, AByteOrderMarkIsNotPartOfTheFirstRecord) {
  for (auto [body, format] : {std::pair<const char*, RecordFormat>{"\xEF\xBB\xBF"
                                                                   "34,5.5,basic,true\n",
                                                                   RecordFormat::kCsv},
                              {"\xEF\xBB\xBF"
                               R"([34, 5.5, "basic", true])",
                               RecordFormat::kJson}}) {
    RecordBatch batch(kInputs, kTokens);
    EXPECT_EQ(batch.ParseBody(body, format), 1);
    EXPECT_EQ(batch.Finish().column("age").i64()[0], 34);
  }
}

TEST(RecordsTest, JsonProblems) {
  RecordProblem p =
      ProblemOf(R"({"age": 34, "income": 5.5, "plan": "basic"})", RecordFormat::kJson);
  EXPECT_EQ(p.field, "active");
  EXPECT_CONTAINS(p.message, "missing");
  p = ProblemOf(R"({"age": 34, "income": 5.5, "plan": "basic", "active": true, "agee": 1})",
                RecordFormat::kJson);
  EXPECT_EQ(p.field, "agee");
  EXPECT_EQ(p.message, "not an input of the model (did you mean 'age'?)");
  // Batch files leave other members out (an id, the label); a misspelt input is still named.
  {
    RecordBatch batch(kInputs, kTokens);
    batch.IgnoreUnknownMembers(true);
    EXPECT_FALSE(batch.AppendJson(
        R"({"id": 7, "age": 34, "income": 5.5, "plan": "basic", "active": true, "y": 1})", 1));
    EXPECT_EQ(batch.size(), 1);
    auto problem = batch.AppendJson(
        R"({"id": 8, "agee": 34, "income": 5.5, "plan": "basic", "active": true})", 2);
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->field, "agee");
    EXPECT_EQ(problem->message, "not an input of the model (did you mean 'age'?)");
    problem = batch.AppendJson(R"({"id": 8, "income": 5.5, "plan": "basic", "active": true})", 3);
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->field, "age");
    EXPECT_CONTAINS(problem->message, "missing");
    EXPECT_EQ(batch.Finish().column("age").i64()[0], 34);
  }
  // A line of JSON Lines holding a document of records, or part of a pretty-printed one, says so.
  RecordBatch lines(kInputs, kTokens);
  auto line_problem = lines.AppendJson(
      R"([{"age": 1, "income": 1, "plan": "a", "active": true}, {"age": 2}, {"age": 3}])", 4);
  ASSERT_TRUE(line_problem);
  EXPECT_EQ(line_problem->record, 4);
  EXPECT_CONTAINS(line_problem->message, "is a JSON array of 3 records where one record");
  line_problem = lines.AppendJson("[", 1);
  ASSERT_TRUE(line_problem);
  EXPECT_CONTAINS(line_problem->message, "a pretty-printed document spans many");
  // An integral number written as a double is an integer; 34.5 is not.
  RecordBatch ints(kInputs, kTokens);
  EXPECT_EQ(ints.ParseBody(R"([{"age": 34.0, "income": 5.5, "plan": "basic", "active": true},
                              {"age": 1e3, "income": 5.5, "plan": "basic", "active": true}])",
                           RecordFormat::kJson),
            2);
  Table it = ints.Finish();
  EXPECT_EQ(it.column("age").i64()[0], 34);
  EXPECT_EQ(it.column("age").i64()[1], 1000);
  p = ProblemOf(R"({"age": 34.5, "income": 5.5, "plan": "basic", "active": true})",
                RecordFormat::kJson);
  EXPECT_EQ(p.field, "age");
  // Beyond 2^53 a double has already rounded the integer: not taken for an exact one, as the
  // JSON Lines import and V2 cells refuse it.
  p = ProblemOf(R"({"age": 9007199254740993.0, "income": 5.5, "plan": "basic", "active": true})",
                RecordFormat::kJson);
  EXPECT_EQ(p.field, "age");
  p = ProblemOf(R"([[1, 2, "a", true], [1, "2", "a", true]])", RecordFormat::kJson);
  EXPECT_EQ(p.record, 2);
  EXPECT_EQ(p.field, "income");
  EXPECT_CONTAINS(p.message, "expected a number, got the string \"2\"");
  p = ProblemOf(R"({"age": 34.5, "income": 1, "plan": "a", "active": true})", RecordFormat::kJson);
  EXPECT_EQ(p.field, "age");
  p = ProblemOf(R"({"age": 1,)", RecordFormat::kJson);
  EXPECT_CONTAINS(p.message, "malformed JSON");
  p = ProblemOf("[1, 2, \"a\", true]\n\"text\"\n", RecordFormat::kJsonLines);
  EXPECT_EQ(p.record, 2);
  EXPECT_CONTAINS(p.message, "a record is an object or an array of values");
  // Other servers' request shapes: TF Serving's / KServe V1's "inputs", and one level of
  // nesting too many in a JSON body (whose advice is not JSON Lines').
  p = ProblemOf(R"({"inputs": [[1, 2, "a", true]]})", RecordFormat::kJson);
  EXPECT_EQ(p.record, 1);
  EXPECT_CONTAINS(p.message, "the body has 'inputs' (TF Serving's or KServe V1's form");
  EXPECT_CONTAINS(p.message, "{\"instances\": [records]}");
  p = ProblemOf(R"([[[1, 2, "a", true], [1, 2, "a", true]]])", RecordFormat::kJson);
  EXPECT_CONTAINS(p.message, "is an array of records where one record was expected: a JSON body");
  EXPECT_EQ(p.message.find("jq"), std::string::npos);
  RecordBatch instances(kInputs, kTokens);  // "instances" still works
  EXPECT_EQ(instances.ParseBody(R"({"instances": [[1, 2, "a", true]]})", RecordFormat::kJson), 1);
}

// A timestamp input takes Unix seconds as a JSON number, in range: milli-, micro- or
// nanoseconds sent as seconds overflowed into year -290308 and were predicted on.
TEST(RecordsTest, EpochSecondsOutOfRangeAreProblems) {
  const std::vector<Field> inputs = {{"ts", DataType::kTimestamp}, {"x", DataType::kFloat64}};
  RecordBatch ok(inputs, kTokens);
  EXPECT_EQ(ok.ParseBody(R"([[1622599200, 1], [1622599200.5, 2], [-1, 3]])", RecordFormat::kJson),
            3);
  Table t = ok.Finish();
  EXPECT_EQ(t.column("ts").i64()[0], int64_t{1622599200} * 1000000);
  EXPECT_EQ(t.column("ts").i64()[1], int64_t{1622599200} * 1000000 + 500000);
  EXPECT_EQ(t.column("ts").i64()[2], -1000000);
  // Milliseconds sent as seconds (1622599200000: the year 53387) are beyond years 0000-9999.
  for (const char* v : {"1622599200000000000", "1.6e18", "1e20", "16225992000000", "-1e300",
                        "1622599200000", "1622599200000.5", "253402300800", "-62167219201"}) {
    RecordBatch batch(inputs, kTokens);
    try {
      batch.ParseBody(std::string("[[") + v + ", 1]]", RecordFormat::kJson);
      ADD_FAILURE() << "no error for " << v;
    } catch (const RecordError& e) {
      EXPECT_EQ(e.problem().record, 1) << v;
      EXPECT_EQ(e.problem().field, "ts") << v;
    }
  }
}

TEST(RecordsTest, TextThatIsNotUtf8IsAProblem) {
  RecordProblem p = ProblemOf("1,2,pr\xe9mium,true\n", RecordFormat::kCsv);
  EXPECT_EQ(p.record, 1);
  EXPECT_EQ(p.field, "plan");
  EXPECT_EQ(p.message, "is not valid UTF-8");
  // Anything echoed into JSON (an error message, a captured header) stays valid JSON.
  std::string out;
  AppendJsonString(out, "ir\xffis \xe2\x82 ok \xe2\x82\xac");
  EXPECT_EQ(out, "\"ir\xEF\xBF\xBDis \xEF\xBF\xBD\xEF\xBF\xBD ok \xe2\x82\xac\"");
  EXPECT_NO_THROW(nlohmann::json::parse(out));
}

TEST(RecordsTest, AFailedBodyLeavesEarlierRecords) {
  RecordBatch batch(kInputs, kTokens);
  EXPECT_EQ(batch.ParseBody("1,2,a,true\n", RecordFormat::kCsv), 1);
  EXPECT_THROW(batch.ParseBody("3,4,b,true\n5,x,c,true\n", RecordFormat::kCsv), RecordError);
  EXPECT_EQ(batch.size(), 1);
  EXPECT_TRUE(batch.AppendCsvLine("9,9,z", 7).has_value());  // a problem, nothing appended
  Table t = batch.Finish();
  ASSERT_EQ(t.num_rows(), 1);
  EXPECT_EQ(t.column("age").i64()[0], 1);
}

TEST(RecordsTest, EncodeModeEqualsTheTableThroughTheEncoding) {
  const std::string body = "34,5.5,basic,true\n,,pro,\n7,1e3,other,false\n";
  RecordBatch table_batch(kInputs, kTokens);
  table_batch.ParseBody(body, RecordFormat::kCsv);
  const Table t = table_batch.Finish();
  for (bool impute : {false, true}) {
    EncodingOptions options;
    options.impute = impute;
    const Encoding encoding = Encoding::Fit(t, options);
    RecordBatch batch(&encoding, kTokens);
    EXPECT_EQ(batch.ParseBody(body, RecordFormat::kCsv), 3);
    EXPECT_THROW(batch.ParseBody("1,x,basic,true\n", RecordFormat::kCsv), RecordError);
    const DenseMatrix mine = batch.FinishEncoded();
    const DenseMatrix want = encoding.Transform(t);
    ASSERT_EQ(mine.rows, want.rows);
    ASSERT_EQ(mine.cols, want.cols);
    for (size_t i = 0; i < want.data.size(); ++i) {
      if (std::isnan(want.data[i])) {
        EXPECT_TRUE(std::isnan(mine.data[i])) << i;
      } else {
        EXPECT_EQ(mine.data[i], want.data[i]) << i;
      }
    }
  }
}

TEST(RecordsTest, WritePredictions) {
  ColumnBuilder label(DataType::kString), p(DataType::kFloat64);
  label.AppendString("1");
  label.AppendString("0");
  p.AppendDouble(0.75);
  p.AppendDouble(0.125);
  Table pred(Schema({{"prediction", DataType::kString}, {"probability", DataType::kFloat64}}),
             {label.Finish(), p.Finish()});
  std::string out;
  WritePredictions(pred, RecordFormat::kCsv, {}, &out);
  EXPECT_EQ(out, "1,0.75\n0,0.125\n");
  out.clear();
  WritePredictions(pred, RecordFormat::kJson, {DataType::kInt64}, &out);
  EXPECT_EQ(out, R"({"predictions":[{"prediction":1,"probability":0.75},)"
                 R"({"prediction":0,"probability":0.125}]})");
  out.clear();
  WritePredictions(pred, RecordFormat::kJsonLines, {}, &out);
  EXPECT_EQ(out,
            "{\"prediction\":\"1\",\"probability\":0.75}\n"
            "{\"prediction\":\"0\",\"probability\":0.125}\n");
}

}  // namespace
}  // namespace mloop
