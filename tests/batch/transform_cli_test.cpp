// `mloop transform` driven as a user would: a small XGBoost model trained on the breast cancer
// data, then files transformed with SageMaker's data-processing options, failed records, error
// budgets, and a job killed with SIGKILL and resumed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class TransformCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Run("init").code, 0);
    source_ = std::string(MLOOP_SOURCE_DIR) + "/examples/data/breast_cancer.csv";
    ASSERT_EQ(Run("data import " + source_ + " --name bc").code, 0);
    auto r =
        Run("train bc --target target --param num_boost_round=10 --param max_depth=3 "
            "--split none -q");
    ASSERT_EQ(r.code, 0) << r.err;
    csv_ = ReadFile(source_);
    lines_ = Lines(csv_);
    WriteFile(dir_ / "bc.csv", csv_);
  }

  testing::CliResult Run(const std::string& args) { return testing::RunMloop(dir_.path(), args); }
  // The names of the breast cancer file's columns.
  std::vector<std::string> Header() const {
    const std::string names = lines_[0];
    std::vector<std::string> header;
    for (size_t i = 0, j; i <= names.size(); i = j + 1) {
      j = names.find(',', i);
      if (j == std::string::npos) j = names.size();
      header.push_back(names.substr(i, j - i));
    }
    return header;
  }
  std::string Read(const std::string& name) { return ReadFile(dir_ / name); }
  bool Exists(const std::string& name) { return std::filesystem::exists(dir_ / name); }

  // The breast cancer rows `times` over, with bad records among them: a row of 3 fields, a row
  // with text for a number.
  std::string BigCsv(int times) {
    std::string out = lines_[0] + "\n";
    for (int t = 0; t < times; ++t) {
      for (size_t j = 1; j < lines_.size(); ++j) {
        out += lines_[j] + "\n";
        if ((j * 7 + t) % 997 == 0) out += "1,2,3\n";
        if ((j * 13 + t) % 1499 == 0) out += "x" + lines_[j] + "\n";
      }
    }
    return out;
  }

  TempDir dir_;
  std::string source_, csv_;
  std::vector<std::string> lines_;
};

// The same predictions as `mloop predict`, byte for byte, whatever the batch strategy, batch
// size, payload limit and thread count.
TEST_F(TransformCliTest, CsvWithHeaderEqualsPredict) {
  ASSERT_EQ(Run("predict 1 --data bc.csv -o predicted.csv").code, 0);
  const std::string expected = Read("predicted.csv");
  auto r = Run("transform --model 1 --input bc.csv --output out.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Transformed 569 records with run 1: 569 predicted, 0 failed");
  EXPECT_CONTAINS(r.out, "records/s");
  EXPECT_EQ(Read("out.csv"), expected);
  EXPECT_FALSE(Exists("out.csv.errors.jsonl"));
  EXPECT_FALSE(Exists("out.csv.partial"));
  EXPECT_FALSE(Exists("out.csv.checkpoint"));
  for (const char* flags :
       {"--batch-strategy SingleRecord", "--max-records-per-batch 7", "--max-payload 0.001",
        "--split-type None", "--batch-strategy singlerecord --max-records-per-batch 1"}) {
    r = Run(std::string("transform -m 1 -i bc.csv -o other.csv ") + flags);
    ASSERT_EQ(r.code, 0) << flags << ": " << r.err;
    EXPECT_EQ(Read("other.csv"), expected) << flags;
  }
  ASSERT_EQ(Run("--threads 1 transform -m 1 -i bc.csv -o one.csv").code, 0);
  EXPECT_EQ(Read("one.csv"), expected);
  // A dataset gives the same.
  r = Run("transform -m 1 -i bc@1 -o ds.csv --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Read("ds.csv"), expected);
  EXPECT_CONTAINS(r.out, "\"predicted\": 569");
  // So does a gzip file.
  ASSERT_EQ(std::system(("gzip -c '" + (dir_ / "bc.csv").string() + "' > '" +
                         (dir_ / "bc.csv.gz").string() + "'")
                            .c_str()),
            0);
  ASSERT_EQ(Run("transform -m 1 -i bc.csv.gz -o gz.csv").code, 0);
  EXPECT_EQ(Read("gz.csv"), expected);

  // Records the fast parser leaves to the general one (a quoted number, a missing-value token,
  // an exponent, spaces) among plain ones, in one batch: still predict's answers.
  std::string mixed = lines_[0] + "\n";
  for (size_t j = 1; j < lines_.size(); ++j) {
    std::string l = lines_[j];
    const size_t comma = l.find(',');
    if (j % 5 == 1) l = "\"" + l.substr(0, comma) + "\"" + l.substr(comma);
    if (j % 5 == 2) l = "NA" + l.substr(comma);
    if (j % 5 == 3) l = l.substr(0, comma) + "e0" + l.substr(comma);
    if (j % 5 == 4) l = " " + l.substr(0, comma) + " " + l.substr(comma);
    mixed += l + "\n";
  }
  WriteFile(dir_ / "mixed.csv", mixed);
  ASSERT_EQ(Run("predict 1 --data mixed.csv -o mixed_predicted.csv").code, 0);
  r = Run("transform -m 1 -i mixed.csv -o mixed_out.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "569 predicted, 0 failed");
  EXPECT_EQ(Read("mixed_out.csv"), Read("mixed_predicted.csv"));
}

// pandas' missing-value tokens (NULL, N/A, None, #N/A, ...) are missing in the training file and
// in a batch file alike: the model keeps the tokens its data was read with. A model exported
// before bundle format 3 (no "missing_values") reads records with the old four tokens.
TEST_F(TransformCliTest, MissingValueTokensAreTheModels) {
  WriteFile(dir_ / "t.csv", "x,plan,y\n1,a,0\n2,NULL,0\nNULL,b,1\n4,None,1\n5,a,1\nN/A,b,0\n");
  auto r = Run("train t.csv --target y --algo logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto schema = nlohmann::json::parse(Run("data show t --json").out)["schema"];
  EXPECT_EQ(schema[0]["type"], "int64");
  EXPECT_EQ(schema[0]["missing"], 2);
  EXPECT_EQ(schema[1]["type"], "string");
  EXPECT_EQ(schema[1]["missing"], 2);
  WriteFile(dir_ / "b.csv", "x,plan\nNULL,None\n3,\"None\"\n#N/A,a\n");
  r = Run("transform -m 2 -i b.csv -o out.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "3 predicted, 0 failed");
  ASSERT_EQ(Run("predict 2 --data b.csv -o predicted.csv").code, 0);
  EXPECT_EQ(Read("out.csv"), Read("predicted.csv"));

  ASSERT_EQ(Run("models register 2 --name m").code, 0);
  ASSERT_EQ(Run("models export m/1 --output ex").code, 0);
  auto manifest = nlohmann::json::parse(Read("ex/manifest.json"));
  EXPECT_EQ(manifest["missing_values"].size(), 19u);
  manifest.erase("missing_values");
  WriteFile(dir_ / "ex" / "manifest.json", manifest.dump(2));
  r = Run("models import ex --name old");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("transform -m old/1 -i b.csv -o old.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "1 predicted, 2 failed");
  r = Run("predict old/1 --data b.csv -o old_predicted.csv");  // predict reads as transform does
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'NULL' is not a valid int64");
  // Stored again, such a model says which tokens it reads: the old four.
  ASSERT_EQ(Run("models export old/1 --output ex_old").code, 0);
  EXPECT_EQ(nlohmann::json::parse(Read("ex_old/manifest.json"))["missing_values"],
            nlohmann::json::parse(R"(["", "NA", "NaN", "null"])"));

  // A number as a token (--na -999): missing in records of numbers too, which transform parses
  // its own fast way.
  WriteFile(dir_ / "n.csv", "a,b,y\n1.5,2.5,1\n-999,3.5,2\n2.5,-999,3\n3.5,4.5,4\n4.5,1.5,5\n");
  ASSERT_EQ(Run("data import n.csv --name n --na -999").code, 0);
  r = Run("train n --target y --algo linear --task regression --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  WriteFile(dir_ / "nb.csv", "a,b\n-999,0.5\n1.0,2.0\n");
  ASSERT_EQ(Run("transform -m 3 -i nb.csv -o n_out.csv").code, 0);
  ASSERT_EQ(Run("predict 3 --data nb.csv -o n_predicted.csv").code, 0);
  EXPECT_EQ(Read("n_out.csv"), Read("n_predicted.csv"));
  EXPECT_CONTAINS(Read("old.csv.errors.jsonl"), "got \\\"NULL\\\"");
}

// A one-column CSV file: an empty line is a record with a missing value, as predict reads it
// (pandas writes NaN so); with a header, and headerless for a model of one input.
TEST_F(TransformCliTest, EmptyLinesOfAOneColumnFileAreMissingValues) {
  WriteFile(dir_ / "r.csv", "x,y\n1,10\n2,20\n3,35\n4,38\n5,55\n6,59\n");
  ASSERT_EQ(Run("train r.csv --target y --algo linear --task regression -q").code, 0);
  WriteFile(dir_ / "one.csv", "x\n1\n\n3\n\n");
  ASSERT_EQ(Run("predict 2 --data one.csv -o predicted.csv").code, 0);
  EXPECT_EQ(Lines(Read("predicted.csv")).size(), 5u);
  auto r = Run("transform -m 2 -i one.csv -o out.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Read("out.csv"), Read("predicted.csv"));
  WriteFile(dir_ / "bare.csv", "1\n\n3\n\n");
  ASSERT_EQ(Run("transform -m 2 -i bare.csv --no-header -o bare_out.csv").code, 0);
  EXPECT_EQ("prediction\n" + Read("bare_out.csv"), Read("predicted.csv"));
  // A wide headerless file cut down to the one input by --input-filter: blank, as ever.
  WriteFile(dir_ / "wide.csv", "a,1\nb,2\n\nc,3\n");
  r = Run("transform -m 2 -i wide.csv --no-header --input-filter '$[1:]' -o wide_out.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "3 predicted, 0 failed");
  // Two columns: an empty line is blank, as ever.
  WriteFile(dir_ / "two.csv", "x,y\n1,10\n\n3,30\n");
  ASSERT_EQ(Run("transform -m 2 -i two.csv -o two_out.csv").code, 0);
  EXPECT_EQ(Lines(Read("two_out.csv")).size(), 3u);
}

// Headerless records (an id first, then the model's inputs in order), the id kept by a join and
// an output filter.
TEST_F(TransformCliTest, HeaderlessCsvWithFiltersAndJoin) {
  ASSERT_EQ(Run("predict 1 --data bc.csv -o predicted.csv").code, 0);
  const auto predicted = Lines(Read("predicted.csv"));
  std::string headerless;
  for (size_t j = 1; j < lines_.size(); ++j) {
    const std::string& l = lines_[j];
    headerless += "id" + std::to_string(j) + "," + l.substr(0, l.rfind(',')) + "\n";  // no target
  }
  WriteFile(dir_ / "nh.csv", headerless);
  auto r =
      Run("transform -m 1 -i nh.csv -o nh_out.csv --no-header --input-filter '$[1:]' "
          "--join-source Input --output-filter '$[0,-1]'");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto out = Lines(Read("nh_out.csv"));
  ASSERT_EQ(out.size(), 569u);  // no header line: the input had none
  for (size_t j = 0; j < out.size(); ++j) {
    const std::string& p = predicted[j + 1];
    EXPECT_EQ(out[j], "id" + std::to_string(j + 1) + "," + p.substr(p.find(',') + 1));
  }
  // The whole input joined: the input's fields, then the prediction.
  ASSERT_EQ(Run("transform -m 1 -i nh.csv -o joined.csv --no-header --input-filter '$[1:]' "
                "--join-source Input")
                .code,
            0);
  EXPECT_EQ(Lines(Read("joined.csv"))[0], Lines(headerless)[0] + "," + predicted[1]);
  // Without the input filter the id is one value too many for the model: every record fails,
  // and the default budget (100) ends the job.
  r = Run("transform -m 1 -i nh.csv -o bad.csv --no-header");
  ASSERT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "more than --max-errors 100 records failed");
  EXPECT_CONTAINS(r.err, "the first: line 1: has 31 values, the model takes 30 (mean_radius, ");
  EXPECT_FALSE(Exists("bad.csv"));
}

// With a header: columns found by name, extra columns ignored, the header written; joins and
// output filters by index and by name.
TEST_F(TransformCliTest, CsvHeaderJoinAndOutputFilter) {
  ASSERT_EQ(Run("predict 1 --data bc.csv -o predicted.csv").code, 0);
  const auto predicted = Lines(Read("predicted.csv"));
  // A joined output is of the input's kind: an output named as another kind is refused.
  auto r = Run("transform -m 1 -i bc.csv -o j.jsonl --join-source Input");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "'j.jsonl' is named as JSON Lines");
  EXPECT_FALSE(Exists("j.jsonl"));
  r = Run("transform -m 1 -i bc.csv -o j.csv --join-source Input");
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = Lines(Read("j.csv"));
  ASSERT_EQ(out.size(), 570u);
  EXPECT_EQ(out[0], lines_[0] + ",prediction,probability");
  EXPECT_EQ(out[5], lines_[5] + "," + predicted[5]);
  r =
      Run("transform -m 1 -i bc.csv -o f.csv --join-source Input "
          "--output-filter \"\\$['target','probability']\"");
  ASSERT_EQ(r.code, 0) << r.err;
  out = Lines(Read("f.csv"));
  EXPECT_EQ(out[0], "target,probability");
  const std::string& l = lines_[3];
  const std::string& p = predicted[3];
  EXPECT_EQ(out[3], l.substr(l.rfind(',') + 1) + "," + p.substr(p.find(',') + 1));
  ASSERT_EQ(Run("transform -m 1 -i bc.csv -o g.csv --join-source Input --output-filter "
                "'$[0,-1]'")
                .code,
            0);
  EXPECT_EQ(Lines(Read("g.csv"))[0], "mean_radius,probability");
  // Without a join, the output filter picks prediction columns.
  ASSERT_EQ(Run("transform -m 1 -i bc.csv -o h.csv --output-filter '$[1]'").code, 0);
  EXPECT_EQ(Lines(Read("h.csv"))[1], predicted[1].substr(predicted[1].find(',') + 1));
  EXPECT_EQ(Lines(Read("h.csv"))[0], "probability");
  // The model's inputs hidden by the input filter: a clear error.
  r = Run("transform -m 1 -i bc.csv -o x.csv --input-filter '$[1:]'");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the input has no column 'mean_radius', which the model takes as input");
  EXPECT_CONTAINS(r.err, "after --input-filter $[1:]");
}

// JSON Lines: objects keyed by name, a filter picking the features, joins under
// SageMakerOutput, records that are arrays, and failed records.
TEST_F(TransformCliTest, JsonLinesFiltersAndJoin) {
  ASSERT_EQ(Run("predict 1 --data bc.csv -o predicted.csv").code, 0);
  const auto predicted = Lines(Read("predicted.csv"));
  const std::vector<std::string> header = Header();
  std::string jsonl, arrays;
  for (size_t r = 1; r < lines_.size(); ++r) {
    std::string object = "{", array = "[";
    size_t i = 0;
    for (size_t c = 0; c + 1 < header.size(); ++c) {
      const size_t j = lines_[r].find(',', i);
      const std::string v = lines_[r].substr(i, j - i);
      object += (c ? "," : "") + std::string("\"") + header[c] + "\":" + v;
      array += (c ? "," : "") + v;
      i = j + 1;
    }
    jsonl += "{\"id\": " + std::to_string(r) + ", \"features\": " + object + "}}\n";
    arrays += array + "]\n";
  }
  jsonl += "{\"id\": 999, \"features\": {\"mean_radius\": \"big\"}}\n";
  jsonl += "not json\n";
  // A number no double holds, and a record whose own SageMakerOutput the join would duplicate.
  jsonl += "{\"id\": 99999999999999999999, \"features\": {}}\n";
  jsonl += "{\"id\": 7, \"SageMakerOutput\": 1, \"features\": " +
           jsonl.substr(jsonl.find("\"features\": ") + 12,
                        jsonl.find("}}") - jsonl.find("\"features\": ") - 11) +
           "}\n";
  WriteFile(dir_ / "bc.jsonl", jsonl);
  WriteFile(dir_ / "arrays.jsonl", arrays);
  auto r =
      Run("transform -m 1 -i bc.jsonl -o out.jsonl --input-filter '$.features' --join-source Input "
          "--output-filter \"\\$['id','SageMakerOutput']\"");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "569 predicted, 4 failed");
  auto out = Lines(Read("out.jsonl"));
  ASSERT_EQ(out.size(), 569u);
  const std::string& p = predicted[1];
  EXPECT_EQ(out[0], "{\"id\":1,\"SageMakerOutput\":{\"prediction\":" + p.substr(0, p.find(',')) +
                        ",\"probability\":" + p.substr(p.find(',') + 1) + "}}");
  auto errors = Lines(Read("out.jsonl.errors.jsonl"));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_CONTAINS(errors[0], "{\"line\":570,\"reason\":\"field 'mean_radius': expected a number");
  EXPECT_CONTAINS(errors[1], "{\"line\":571,\"reason\":\"malformed JSON");
  EXPECT_CONTAINS(errors[1], "\"text\":\"not json\"");
  EXPECT_CONTAINS(errors[2], "(integers must fit 64 bits and other numbers a double)");
  EXPECT_CONTAINS(errors[3],
                  "{\"line\":573,\"reason\":\"the input already has a member "
                  "\\\"SageMakerOutput\\\"");
  // Arrays of values in the model's order; a join of a non-object makes SageMakerInput.
  r = Run("transform -m 1 -i arrays.jsonl -o a.jsonl --join-source Input");
  ASSERT_EQ(r.code, 0) << r.err;
  out = Lines(Read("a.jsonl"));
  EXPECT_EQ(out[0].rfind("{\"SageMakerInput\":" + Lines(arrays)[0] + ",\"SageMakerOutput\":", 0),
            0u)
      << out[0];
  // JSON in, CSV out: the predictions as CSV, equal to predict's (without a header).
  r = Run("transform -m 1 -i arrays.jsonl -o a.csv --accept text/csv");
  ASSERT_EQ(r.code, 0) << r.err;
  out = Lines(Read("a.csv"));
  ASSERT_EQ(out.size(), 569u);
  EXPECT_EQ(out[10], predicted[11]);
  // And CSV in, JSON out: one prediction object per line, the member picked by the filter.
  r =
      Run("transform -m 1 -i bc.csv -o p.jsonl --accept application/jsonlines "
          "--output-filter '$.probability'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(Read("p.jsonl"))[0], p.substr(p.find(',') + 1));
}

// A JSON string holding a number is that number for a number input, as `mloop predict` reads
// the file (serving refuses it: its JSON rules are the typed ones). Text that is no number still
// fails its record.
TEST_F(TransformCliTest, JsonStringsOfNumbersReadAsPredictReadsThem) {
  const std::vector<std::string> header = Header();
  std::string jsonl;
  for (size_t r = 1; r <= 20; ++r) {
    std::string object = "{";
    size_t i = 0;
    for (size_t c = 0; c + 1 < header.size(); ++c) {
      const size_t j = lines_[r].find(',', i);
      const std::string v = lines_[r].substr(i, j - i);
      const bool quote = (c + r) % 2 == 0;  // every other value a string
      object += (c ? ",\"" : "\"") + header[c] + "\":" + (quote ? "\"" + v + "\"" : v);
      i = j + 1;
    }
    jsonl += object + "}\n";
  }
  WriteFile(dir_ / "q.jsonl", jsonl);
  ASSERT_EQ(Run("predict 1 --data q.jsonl -o predicted.csv").code, 0);
  auto r = Run("transform -m 1 -i q.jsonl -o out.csv --accept text/csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "20 predicted, 0 failed");
  auto predicted = Lines(Read("predicted.csv"));
  predicted.erase(predicted.begin());  // transform's CSV has no header
  EXPECT_EQ(Lines(Read("out.csv")), predicted);
  WriteFile(dir_ / "bad.jsonl", jsonl + "{\"" + header[0] + "\": \"big\"}\n");
  r = Run("transform -m 1 -i bad.jsonl -o bad.csv --accept text/csv");
  EXPECT_CONTAINS(r.out, "20 predicted, 1 failed");
  EXPECT_CONTAINS(Read("bad.csv.errors.jsonl"), "expected a number, got the string \\\"big\\\"");
}

// Failed records go to the errors file with their line and reason, verbatim; the job goes on
// until the budget is exceeded, and then writes no output.
TEST_F(TransformCliTest, ErrorsFileAndBudget) {
  std::string csv = lines_[0] + "\n" + lines_[1] + "\n1,2,3\n" + lines_[2] + "\n";
  std::string mistyped = lines_[3];
  mistyped.replace(0, mistyped.find(','), "abc");
  csv += mistyped + "\n" + lines_[5] + "\n\"unterminated," + lines_[4] + "\n";
  WriteFile(dir_ / "bad.csv", csv);
  auto r = Run("transform -m 1 -i bad.csv -o out.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Transformed 6 records with run 1: 3 predicted, 3 failed");
  EXPECT_CONTAINS(r.out, "Failed records: out.csv.errors.jsonl");
  EXPECT_EQ(Lines(Read("out.csv")).size(), 4u);  // the header and 3 predictions
  const auto errors = Lines(Read("out.csv.errors.jsonl"));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0],
            "{\"line\":3,\"reason\":\"has 3 fields, the header has 31\",\"text\":\"1,2,3\"}");
  EXPECT_EQ(errors[1],
            "{\"line\":5,\"reason\":\"field 'mean_radius': expected a number, got "
            "\\\"abc\\\"\",\"text\":\"" +
                mistyped + "\"}");
  EXPECT_CONTAINS(errors[2], "{\"line\":7,\"reason\":\"malformed CSV");
  // Over the budget: exit 1, no output, the errors file kept.
  r = Run("transform -m 1 -i bad.csv -o over.csv --max-errors 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "more than --max-errors 2 records failed");
  EXPECT_CONTAINS(r.err, "the first: line 3: has 3 fields");
  EXPECT_FALSE(Exists("over.csv"));
  EXPECT_FALSE(Exists("over.csv.partial"));
  EXPECT_FALSE(Exists("over.csv.checkpoint"));
  EXPECT_TRUE(Exists("over.csv.errors.jsonl"));
  // With --json, a failed job still prints one document.
  r = Run("transform -m 1 -i bad.csv -o over.csv --max-errors 2 --json");
  EXPECT_EQ(r.code, 1);
  const auto failed = nlohmann::json::parse(r.out);
  EXPECT_EQ(failed["ok"], false);
  EXPECT_CONTAINS(failed["error"].get<std::string>(), "more than --max-errors 2 records failed");
  EXPECT_EQ(failed["errors_file"], "over.csv.errors.jsonl");
  r = Run("transform -m 1 -i bad.csv -o rate.csv --max-error-rate 0.25 --errors failed.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "50% of the records failed (3 of 6), more than --max-error-rate 0.25");
  EXPECT_FALSE(Exists("rate.csv"));
  EXPECT_EQ(Lines(Read("failed.jsonl")).size(), 3u);
  // A record larger than the payload limit fails alone; the others go on.
  std::string big =
      lines_[0] + "\n" + lines_[1] + "\n" + std::string(300000, '9') + "\n" + lines_[2] + "\n";
  WriteFile(dir_ / "big.csv", big);
  r = Run("transform -m 1 -i big.csv -o b.csv --max-payload 0.25");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "2 predicted, 1 failed");
  EXPECT_CONTAINS(Read("b.csv.errors.jsonl"), "(300000 bytes), more than --max-payload");
  r = Run("transform -m 1 -i big.csv -o b.csv --max-payload 0.25 --split-type None");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "with --split-type None the whole input is one batch");
  EXPECT_CONTAINS(r.err, "larger than --max-payload (0.25 MB)");  // as given
  // Failed before its first checkpoint: nothing to resume, so no partial files are left.
  EXPECT_FALSE(Exists("b.csv.partial"));
  EXPECT_FALSE(Exists("b.csv.errors.jsonl.partial"));
  // A value the model refuses (XGBoost takes finite float32) fails its record alone; the reason
  // names the feature, and the line is the errors file's (not the row within a batch).
  std::string inf = lines_[2];
  inf.replace(0, inf.find(','), "inf");
  WriteFile(dir_ / "inf.csv", lines_[0] + "\n" + lines_[1] + "\n" + inf + "\n");
  r = Run("transform -m 1 -i inf.csv -o i.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "1 predicted, 1 failed");
  EXPECT_CONTAINS(Read("i.csv.errors.jsonl"),
                  "{\"line\":3,\"reason\":\"feature 'mean_radius': inf is infinite");
  // In a batch of 40, the halves that hold no bad record are predicted whole: the output is
  // the clean file's without the failed record, in order.
  std::string clean = lines_[0] + "\n", bad = clean;
  for (int i = 1; i <= 40; ++i) {
    clean += lines_[i] + "\n";
    std::string line = lines_[i];
    if (i == 20) line.replace(0, line.find(','), "inf");
    bad += line + "\n";
  }
  WriteFile(dir_ / "clean40.csv", clean);
  WriteFile(dir_ / "bad40.csv", bad);
  ASSERT_EQ(Run("transform -m 1 -i clean40.csv -o c40.csv").code, 0);
  r = Run("transform -m 1 -i bad40.csv -o b40.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "39 predicted, 1 failed");
  EXPECT_CONTAINS(Read("b40.csv.errors.jsonl"), "{\"line\":21,");
  std::vector<std::string> want = Lines(Read("c40.csv"));
  want.erase(want.begin() + 20);  // the header, then record 20 (line 21 of the input)
  EXPECT_EQ(Lines(Read("b40.csv")), want);
  // A batch whose every record fails stops once it alone has failed more than the job may:
  // the job fails anyway, and the rest would cost two model calls per record.
  std::string all_bad = lines_[0] + "\n";
  for (int i = 0; i < 3000; ++i) {
    std::string line = lines_[1 + i % 569];
    line.replace(0, line.find(','), "inf");
    all_bad += line + "\n";
  }
  WriteFile(dir_ / "all_bad.csv", all_bad);
  r = Run("transform -m 1 -i all_bad.csv -o ab.csv --max-errors 10");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "more than --max-errors 10 records failed (11 of the first 3000 records; 2989 "
                  "other records of the last batch were not tried)");
  EXPECT_EQ(Lines(Read("ab.csv.errors.jsonl")).size(), 11u);
  // Not "every record failed" for a file whose other records were not tried.
  EXPECT_CONTAINS(r.err, "--max-errors / --max-error-rate allow more");
}

// A stray quote joins the lines after it into one malformed record: one errors-file entry (its
// first 1,024 bytes), counted as one failed record per line it joined, so that the budget sees
// the lost lines; and a job in which every record failed fails.
TEST_F(TransformCliTest, StrayQuoteCountsTheLinesItJoins) {
  std::string csv = lines_[0] + "\n" + lines_[1] + "\n\"" + lines_[2] + "\n";
  for (int i = 0; i < 200; ++i) csv += lines_[3 + i % 3] + "\n";
  WriteFile(dir_ / "quote.csv", csv);
  auto r = Run("transform -m 1 -i quote.csv -o q.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "more than --max-errors 100 records failed (201 of the first 202");
  const auto errors = Lines(Read("q.csv.errors.jsonl"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_CONTAINS(errors[0], "its quotes join lines 3 to 203 (201 lines, counted as that many");
  EXPECT_LT(errors[0].size(), 2000u);
  r = Run("transform -m 1 -i quote.csv -o q.csv --max-errors 1000");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Transformed 202 records with run 1: 1 predicted, 201 failed");

  WriteFile(dir_ / "none.csv", lines_[0] + "\n1,2,3\n4,5\n");
  r = Run("transform -m 1 -i none.csv -o n.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "every record failed (2)");
  EXPECT_CONTAINS(r.err, "when every record fails, the input and the model do not fit");
  EXPECT_EQ(r.err.find("--max-errors"), std::string::npos) << r.err;  // more would not help
  EXPECT_FALSE(Exists("n.csv"));
  // An output of an earlier run is left as it was, and said to be.
  WriteFile(dir_ / "n.csv", "old\n");
  r = Run("transform -m 1 -i none.csv -o n.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no output written (n.csv is left from an earlier run)");
  EXPECT_EQ(Read("n.csv"), "old\n");
}

// A job killed with SIGKILL is resumed from its checkpoint and writes the same bytes as a job
// never interrupted: killed by the test hook right after writing a unit's output (before its
// checkpoint), and killed from outside at an arbitrary moment.
TEST_F(TransformCliTest, ResumeAfterKillGivesSameBytes) {
  WriteFile(dir_ / "big.csv", BigCsv(20));  // 11,380 good records and a few bad ones
  const std::string args =
      "transform -m 1 -i big.csv --max-records-per-batch 300 --max-errors 1000 --join-source "
      "Input --output-filter '$[0,-1]' ";
  auto r = Run(args + "-o ref.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string ref = Read("ref.csv"), ref_errors = Read("ref.csv.errors.jsonl");
  ASSERT_EQ(Lines(ref).size(), 11381u);
  ASSERT_GT(Lines(ref_errors).size(), 0u);

  // The hook: killed after the 3rd unit's output, before its checkpoint.
  const std::string env = "env MLOOPTEST_TRANSFORM_KILL_AFTER=3 ";
  const std::string cmd = "{ cd '" + dir_.path().string() + "' && " + env + MLOOP_BINARY + " " +
                          args + "-o res.csv > /dev/null 2>&1; } 2> /dev/null";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE((WIFEXITED(status) && WEXITSTATUS(status) == 128 + 9) ||
              (WIFSIGNALED(status) && WTERMSIG(status) == 9))
      << status;
  EXPECT_FALSE(Exists("res.csv"));
  EXPECT_TRUE(Exists("res.csv.partial"));
  EXPECT_CONTAINS(Read("res.csv.checkpoint"), "\"units\": 2");
  r = Run(args + "-o res.csv --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "(resumed after 2,");
  EXPECT_EQ(Read("res.csv"), ref);
  EXPECT_EQ(Read("res.csv.errors.jsonl"), ref_errors);
  EXPECT_FALSE(Exists("res.csv.checkpoint"));
  EXPECT_FALSE(Exists("res.csv.partial"));

  // From outside: slowed down by the pause hook, killed at some moment, resumed, whatever was
  // written by then.
  for (int delay_ms : {150, 400}) {
    const std::string bg =
        "cd '" + dir_.path().string() + "' && (env MLOOPTEST_TRANSFORM_PAUSE_MS=40 " +
        MLOOP_BINARY + " " + args + "-o ext.csv > /dev/null 2>&1 & pid=$!; sleep " +
        std::to_string(delay_ms / 1000.0) + "; kill -9 $pid 2>/dev/null; wait $pid) 2> /dev/null";
    std::system(bg.c_str());
    r = Run(args + "-o ext.csv --resume");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(Read("ext.csv"), ref) << delay_ms;
    EXPECT_EQ(Read("ext.csv.errors.jsonl"), ref_errors) << delay_ms;
  }
  // Ctrl-C: the same, and the job says how to go on.
  const std::string ctrl_c = "cd '" + dir_.path().string() +
                             "' && (env MLOOPTEST_TRANSFORM_PAUSE_MS=40 " + MLOOP_BINARY + " " +
                             args + "-o int.csv > /dev/null 2> int.err & pid=$!; sleep 0.3; " +
                             "kill -INT $pid 2>/dev/null; wait $pid) 2> /dev/null";
  std::system(ctrl_c.c_str());
  EXPECT_CONTAINS(Read("int.err"), "interrupted: the output so far and its checkpoint are kept");
  r = Run(args + "-o int.csv --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Read("int.csv"), ref);
}

// A resume is refused when the input, the model or the options changed, with a clear message;
// without --resume the job starts over.
TEST_F(TransformCliTest, ResumeRefusesAChangedJob) {
  WriteFile(dir_ / "big.csv", BigCsv(8));
  const std::string args = "transform -m 1 -i big.csv --max-records-per-batch 300 -o out.csv ";
  const std::string cmd = "{ cd '" + dir_.path().string() +
                          "' && env MLOOPTEST_TRANSFORM_KILL_AFTER=2 " + MLOOP_BINARY + " " + args +
                          "> /dev/null 2>&1; } 2> /dev/null";
  std::system(cmd.c_str());
  ASSERT_TRUE(Exists("out.csv.checkpoint"));
  auto r = Run("transform -m 1 -i big.csv --max-records-per-batch 200 -o out.csv --resume");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "cannot resume: the options differ from the interrupted run's "
                  "(max_records_per_batch 300 -> 200)");
  EXPECT_CONTAINS(r.err, "hint: run without --resume to start from the beginning");
  ASSERT_EQ(Run("train bc --target target --param num_boost_round=5 --split none -q").code, 0);
  r = Run("transform -m 2 -i big.csv --max-records-per-batch 300 -o out.csv --resume");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "cannot resume: the interrupted run used model");
  // Registered models are named (an alias that moved shows as another version).
  ASSERT_EQ(Run("models register 1 --name bcm").code, 0);
  ASSERT_EQ(Run("models register 2 --name bcm").code, 0);
  r = Run("transform -m bcm/2 -i big.csv --max-records-per-batch 300 -o out.csv --resume");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the interrupted run used model bcm/1 (");
  EXPECT_CONTAINS(r.err, "this one is bcm/2 (");
  EXPECT_CONTAINS(r.err, "an alias may have moved since");
  std::ofstream(dir_ / "big.csv", std::ios::app) << lines_[1] << "\n";
  r = Run(args + "--resume");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "cannot resume: the input changed since the interrupted run (");
  EXPECT_CONTAINS(r.err, "size ");
  EXPECT_TRUE(Exists("out.csv.checkpoint"));
  // Without --resume: from the beginning, saying so.
  r = Run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: starting from the beginning: the checkpoint of an interrupted run");
  EXPECT_FALSE(Exists("out.csv.checkpoint"));
  r = Run(args + "--resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: nothing to resume");
}

// A job whose file another job holds is refused naming that file, and leaves nothing behind.
TEST_F(TransformCliTest, ALockedFileIsNamedAndNothingIsLeft) {
  const std::string held = (dir_ / "shared.jsonl.partial").string();
  const int fd = ::open(held.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as a running job holds it
  auto r = Run("transform -m 1 -i bc.csv -o b.csv --errors shared.jsonl");
  ::close(fd);
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "another mloop transform is writing shared.jsonl");
  EXPECT_FALSE(Exists("b.csv.partial"));
  EXPECT_FALSE(Exists("b.csv"));
  EXPECT_TRUE(Exists("shared.jsonl.partial"));  // the other job's
}

TEST_F(TransformCliTest, BadInputGivesClearMessages) {
  auto r = Run("transform --help");
  EXPECT_EQ(r.code, 0);
  for (const char* flag :
       {"--content-type", "--accept", "--split-type", "--batch-strategy", "--max-records-per-batch",
        "--max-payload", "--join-source", "--input-filter", "--output-filter", "--no-header",
        "--max-errors", "--max-error-rate", "--resume"}) {
    EXPECT_CONTAINS(r.out, flag);
  }
  r = Run("transform -m nosuch/1 -i bc.csv -o o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: no model");
  r = Run("transform -m 1 -i missing.csv -o o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "cannot open 'missing.csv': no such file");
  r = Run("transform -m 1 -i nosuchdataset -o o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no dataset 'nosuchdataset'");
  // Classic Mac OS line ends (\r alone) are named, as data import names them.
  std::string cr = Read("bc.csv").substr(0, 20000);
  std::replace(cr.begin(), cr.end(), '\n', '\r');
  WriteFile(dir_ / "cr.csv", cr);
  r = Run("transform -m 1 -i cr.csv -o o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "lines end in a carriage return alone");
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
  // Another delimiter is named as such, not taken for a missing header.
  std::string tabs = csv_;
  std::replace(tabs.begin(), tabs.end(), ',', '\t');
  WriteFile(dir_ / "tabs.csv", tabs);
  r = Run("transform -m 1 -i tabs.csv -o o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the header is one field holding tabs");
  EXPECT_CONTAINS(r.err, "hint: transform reads comma-separated CSV");
  r = Run("transform -m 1 -i bc.csv -o o.csv --content-type image/png");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--content-type: unsupported content type 'image/png'");
  EXPECT_CONTAINS(r.err, "hint: supported: text/csv, application/jsonlines");
  r = Run("transform -m 1 -i bc.csv -o o.csv --input-filter '$[1:'");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--input-filter: JSONPath '$[1:': at 5: expected ',' or ']'");
  r = Run("transform -m 1 -i bc.csv -o o.csv --output-filter '$[7]'");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "index 7 is outside the record's 2 values");
  r = Run("transform -m 1 -i bc.csv -o o.csv --output-filter '$[9:]'");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "selects none of the record's 2 values");
  r = Run("transform -m 1 -i bc.csv -o o.csv.gz");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "compressed output ('o.csv.gz') is not supported yet");
  r = Run("transform -m 1 -i bc.csv -o o.jsonl --content-type application/jsonlines --no-header");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--no-header is for CSV input");
  r = Run("transform -m 1 -i bc.csv -o o.csv --split-type Lines");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--split-type: unknown value 'Lines' (did you mean 'Line'?)");
  r = Run("transform -m 1 -i bc.csv -o o.csv --join-source Input --accept application/jsonlines");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "CSV input needs --accept text/csv");
  WriteFile(dir_ / "data.txt", "1,2\n");
  r = Run("transform -m 1 -i data.txt -o o.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "cannot tell the content type of 'data.txt'");
  // A headerless file read as if it had a header: the message says what to do.
  WriteFile(dir_ / "nh.csv", lines_[1] + "\n");
  r = Run("transform -m 1 -i nh.csv -o o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the input has no column 'mean_radius'");
  EXPECT_CONTAINS(r.err, "needs --no-header");
  EXPECT_FALSE(Exists("o.csv"));
  EXPECT_FALSE(Exists("o.csv.partial"));
}

// A mistyped flag never destroys the input or a file mloop did not write.
TEST_F(TransformCliTest, OutputsNeverReplaceTheInputOrAnotherFile) {
  auto r = Run("transform -m 1 -i bc.csv -o o.csv --errors bc.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--errors bc.csv is the input file");
  EXPECT_EQ(Read("bc.csv"), csv_);
  r = Run("transform -m 1 -i bc.csv -o o.csv --errors o.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--errors and --output name the same file");
  EXPECT_FALSE(Exists("o.csv.partial"));
  r = Run("transform -m 1 -i bc.csv -o -");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "not stdout");
  EXPECT_FALSE(Exists("-"));
  r = Run("transform -m 1 -i bc.csv -o /dev/null");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "is not a regular file");
  // A descriptor's path leads to the file stdout was redirected to: not replaced either.
  for (const char* flag : {"-o /dev/stdout", "-o o.csv --errors /dev/stderr"}) {
    r = Run(std::string("transform -m 1 -i bc.csv ") + flag);
    EXPECT_EQ(r.code, 2) << flag;
    EXPECT_CONTAINS(r.err, "(a device, pipe or descriptor)");
  }
  EXPECT_FALSE(Exists("out.txt.partial"));
  r = Run("transform -m 1 -i bc.csv -o nodir/o.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the directory nodir does not exist");
  // A file of the user's is never an errors file (failed records would replace it), whether
  // named by --errors or found where the default one goes.
  WriteFile(dir_ / "notes.txt", "my notes\n");
  r = Run("transform -m 1 -i bc.csv -o o.csv --errors notes.txt -q");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--errors notes.txt exists and is not an errors file of a transform");
  EXPECT_EQ(Read("notes.txt"), "my notes\n");
  WriteFile(dir_ / "p.csv.errors.jsonl", "kept\n");
  r = Run("transform -m 1 -i bc.csv -o p.csv -q");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "the errors file p.csv.errors.jsonl exists and is not an errors file");
  EXPECT_EQ(Read("p.csv.errors.jsonl"), "kept\n");
  EXPECT_FALSE(Exists("p.csv"));
  // No record fails: an errors file of an earlier run goes.
  WriteFile(dir_ / "old.jsonl", "{\"line\":2,\"reason\":\"x\"}\n");
  r = Run("transform -m 1 -i bc.csv -o o.csv --errors old.jsonl -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists("old.jsonl"));
  // An output behind a symbolic link: the file it names is written and the link stays.
  std::filesystem::create_symlink("real.csv", dir_ / "link.csv");
  r = Run("transform -m 1 -i bc.csv -o link.csv -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(dir_ / "link.csv"));
  EXPECT_EQ(Read("real.csv"), Read("o.csv"));
  // Without --accept, the output's extension picks the format.
  r = Run("transform -m 1 -i bc.csv -o o.jsonl -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Read("o.jsonl").substr(0, 1), "{");
  // predict and data import refuse to write over their input too.
  r = Run("predict 1 -d bc.csv -o bc.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--output bc.csv is the input file");
  WriteFile(dir_ / "ragged.csv", "a,b\n1,2\n3\n");
  r = Run("data import ragged.csv --name rg --on-bad-rows skip --rejects ragged.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--rejects ragged.csv is the input file");
  EXPECT_EQ(Read("ragged.csv"), "a,b\n1,2\n3\n");
  // ... nor does the default rejects file (NAME.rejects.jsonl) when the input has that name.
  const std::string orders = "{\"id\":1,\"n\":10}\n{\"id\":2,\"n\":\"abc\"}\n";
  WriteFile(dir_ / "orders.rejects.jsonl", orders);
  r = Run("data import orders.rejects.jsonl --name orders --type n=int64 --on-bad-rows skip");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err,
                  "the default rejects file (--rejects) orders.rejects.jsonl is the input file");
  EXPECT_EQ(Read("orders.rejects.jsonl"), orders);
  EXPECT_EQ(Read("bc.csv"), csv_);
}

}  // namespace
}  // namespace mloop
