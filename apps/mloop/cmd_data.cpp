// mloop data import | list | show | export (data diff: cmd_profile.cpp)
#include <cmath>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/data/datasets.h"
#include "mloop/data/schema_spec.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/csv_writer.h"
#include "mloop/io/jsonl_writer.h"

namespace mloop::cli {

namespace {

nlohmann::json VersionJson(const DatasetVersion& v) {
  nlohmann::json schema = nlohmann::json::parse(v.schema_json);
  return {{"name", v.name},
          {"version", v.version},
          {"ref", v.name + "@" + std::to_string(v.version)},
          {"content_hash", v.content_hash},
          {"snapshot_bytes", v.snapshot_bytes},
          {"rows", v.num_rows},
          {"columns", v.num_columns},
          {"schema", schema},
          {"source",
           {{"uri", v.source_uri},
            {"format", v.source_format},
            {"size", v.source_size},
            {"modified", FormatTimestamp(v.source_mtime_us)}}},
          {"rejected_rows", v.rejected_rows},
          {"options", nlohmann::json::parse(v.options_json)},
          {"created", FormatTimestamp(v.created_at_us)}};
}

// --- import -----------------------------------------------------------------------------------

struct ImportArgs {
  std::string file, name, format = "auto", sql, db, schema, delimiter, on_bad_rows, rejects;
  bool delimiter_given = false;
  std::vector<std::string> types, roles, na;
  std::string target;
  bool no_header = false, json = false, no_default_na = false;
};

void RunImport(const GlobalOptions& global, const ImportArgs& a) {
  try {
    ValidateDatasetName(a.name);
  } catch (const Error& e) {
    throw UsageError(e.what(), e.hint());
  }
  auto ws = OpenWorkspace(global);
  if (!a.rejects.empty()) RefuseProtectedOutput(a.rejects, "--rejects");  // before reading
  ImportRequest req;
  req.name = a.name;
  if (!a.sql.empty() || !a.db.empty()) {
    if (a.sql.empty() || a.db.empty()) throw UsageError("--sql and --db go together");
    if (!a.file.empty()) throw UsageError("give either FILE or --sql/--db, not both");
    req.sql = a.sql;
    req.sqlite_db = a.db;
  } else if (a.file.empty()) {
    throw UsageError("nothing to import: give FILE, or --sql QUERY --db FILE");
  }
  req.file = a.file == "-" ? "/dev/stdin" : a.file;  // `-`: standard input, as for outputs
  if (a.format == "csv") {
    req.format = SourceFormat::kCsv;
  } else if (a.format == "jsonl") {
    req.format = SourceFormat::kJsonLines;
  } else if (a.format != "auto") {
    throw UsageError("--format must be auto, csv or jsonl, not '" + a.format + "'");
  }
  req.read = WorkspaceReadOptions(*ws);  // the flags below override the ingest settings
  const bool json_lines = req.format == SourceFormat::kJsonLines ||
                          (req.format == SourceFormat::kAuto && !a.file.empty() &&
                           DetectInputFormat(a.file) == SourceFormat::kJsonLines);
  if ((!a.na.empty() || a.no_default_na) && json_lines) {
    throw UsageError(std::string(a.na.empty() ? "--no-default-na" : "--na") +
                         " applies to CSV files, and " + a.file + " is JSON Lines",
                     "in JSON Lines a missing value is null");
  }
  // The other CSV-only options, refused rather than ignored.
  if ((a.no_header || !a.delimiter.empty() || a.delimiter_given) && json_lines) {
    throw UsageError(std::string(a.no_header ? "--no-header" : "--delimiter") +
                         " applies to CSV files, and " + a.file + " is JSON Lines",
                     "JSON Lines records name their fields");
  }
  // --na adds tokens to the workspace's list (ingest.missing_values), as pandas' na_values adds
  // to its defaults; --no-default-na starts from none (pandas' keep_default_na=False).
  DeclareMissingTokens(&req, a.na, a.no_default_na);
  if (!a.on_bad_rows.empty() && a.on_bad_rows != "fail" && a.on_bad_rows != "skip") {
    throw UsageError("--on-bad-rows must be 'fail' or 'skip', not '" + a.on_bad_rows + "'");
  }
  if (!a.on_bad_rows.empty()) {
    req.read.on_bad_rows = ParseBadRowPolicy(a.on_bad_rows, "--on-bad-rows");
  }
  req.read.header = !a.no_header;
  if (a.delimiter_given && a.delimiter.empty()) {
    throw UsageError("--delimiter is empty", "leave it out to detect the delimiter");
  }
  if (!a.delimiter.empty()) {
    std::string d = a.delimiter == "\\t" || a.delimiter == "tab" ? "\t" : a.delimiter;
    if (d.size() != 1 || static_cast<unsigned char>(d[0]) >= 0x80) {
      throw UsageError("--delimiter must be one ASCII character (or 'tab'), not '" + d + "'",
                       "use , ; | or tab");
    }
    if (d[0] == '"' || d[0] == '\n' || d[0] == '\r') {
      throw UsageError("--delimiter cannot be a quote or a line break", "use , ; | or tab");
    }
    req.read.delimiter = d[0];
  }
  if (!a.schema.empty()) ApplySchemaFile(a.schema, req.read);
  for (const auto& t : a.types) ApplyTypeSpec(t, req.read);
  for (const auto& r : a.roles) ApplyRoleSpec(r, req.read);
  if (!a.target.empty()) req.read.roles[a.target] = Role::kTarget;
  std::vector<std::string> targets;
  for (const auto& [col, role] : req.read.roles) {
    if (role == Role::kTarget) targets.push_back(col);
  }
  if (targets.size() > 1) {
    throw UsageError("a dataset has one target; " + Join(targets, ", ") + " all have role target",
                     "keep one (--target, --role COL=target or the schema file)");
  }
  req.rejects_path = a.rejects;

  const std::optional<DatasetVersion> before = ws->metadata().FindDatasetVersion(req.name, 0);
  ImportResult r;
  {
    Progress progress("reading " + (req.sql.empty() ? req.file.string() : std::string("query")));
    req.read.progress = [&progress](int64_t done, int64_t total) { progress.Update(done, total); };
    r = ImportDataset(*ws, req);
  }  // the progress line is erased here, before the summary

  const DatasetVersion& v = r.version;
  const std::string ref = v.name + "@" + std::to_string(v.version);
  if (a.json) {
    nlohmann::json j = VersionJson(v);
    j["created_now"] = r.created;
    j["reused"] = r.reused;
    j["rows_imported"] = r.rows_imported;
    j["rows_rejected"] = r.rows_rejected;
    if (!r.rejects_path.empty()) j["rejects_file"] = r.rejects_path.string();
    j["read_seconds"] = r.read_seconds;
    j["store_seconds"] = r.store_seconds;
    PrintJson(j);
    return;
  }
  if (r.created) {
    std::cout << "Imported " << ref << ": " << HumanCount(r.rows_imported)
              << (r.rows_imported == 1 ? " row x " : " rows x ") << v.num_columns
              << (v.num_columns == 1 ? " column" : " columns");
  } else if (r.reused) {
    std::cout << "Unchanged: this file was imported as " << ref << " with the same options ("
              << HumanCount(v.num_rows) << " rows); not read again, no new version";
  } else {
    std::cout << "Unchanged: the content is identical to " << ref << " (" << HumanCount(v.num_rows)
              << " rows); no new version";
  }
  std::cout << " (read " << HumanSeconds(r.read_seconds) << ", stored "
            << HumanSeconds(r.store_seconds) << ")\n";
  if (!r.created) NoteLatestAgain(before, v);  // back to an older version's content
  if (r.rows_rejected > 0) {
    std::cout << "Rejected " << HumanCount(r.rows_rejected) << " rows, written with reasons to "
              << r.rejects_path.string() << "\n"
              << "Rows read: " << HumanCount(r.rows_imported + r.rows_rejected) << " = "
              << HumanCount(r.rows_imported) << " imported + " << HumanCount(r.rows_rejected)
              << " rejected\n";
  } else {
    // A rejects file of an earlier import would read as this import's rejects.
    const std::filesystem::path rejects = a.rejects.empty()
                                              ? std::filesystem::path(req.name + ".rejects.jsonl")
                                              : std::filesystem::path(a.rejects);
    std::error_code ec;
    if (std::filesystem::exists(rejects, ec)) {
      std::cerr << "note: " << rejects.string()
                << " is from an earlier import: no row was rejected this time\n";
    }
  }
}

// --- list -------------------------------------------------------------------------------------

void RunList(const GlobalOptions& global, bool json) {
  auto ws = OpenWorkspace(global);
  auto datasets = ws->metadata().ListDatasets();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : datasets) {
      nlohmann::json j = VersionJson(d.latest);
      j["versions"] = d.versions;
      out.push_back(std::move(j));
    }
    PrintJson(out);
    return;
  }
  if (datasets.empty()) {
    std::cout << "No datasets yet. Import one: mloop data import FILE --name NAME\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : datasets) {
    rows.push_back({d.name, std::to_string(d.latest.version), std::to_string(d.versions),
                    HumanCount(d.latest.num_rows), std::to_string(d.latest.num_columns),
                    HumanBytes(d.latest.snapshot_bytes), FormatTimestamp(d.latest.created_at_us)});
  }
  PrintTable({"NAME", "LATEST", "VERSIONS", "ROWS", "COLUMNS", "SIZE", "CREATED"}, rows);
}

// --- show -------------------------------------------------------------------------------------

// Missing values as pandas' isna() counts them (and `profile` does): empty cells, and NaN in a
// float64 column ("nan" in a CSV reads as that number).
int64_t MissingCount(const Column& c) {
  int64_t missing = c.null_count();
  if (c.type() == DataType::kFloat64) {
    for (int64_t i = 0; i < c.size(); ++i) missing += c.IsValid(i) && std::isnan(c.f64()[i]);
  }
  return missing;
}

void RunShow(const GlobalOptions& global, const std::string& ref_text, int64_t head, bool json) {
  auto ws = OpenWorkspace(global);
  DatasetVersion v = StoredDatasetArg(*ws, ref_text);
  Table t = LoadDataset(*ws, v);
  const int64_t n = std::min<int64_t>(std::max<int64_t>(head, 0), t.num_rows());
  if (json) {
    nlohmann::json j = VersionJson(v);
    for (int c = 0; c < t.num_columns(); ++c) {
      j["schema"][c]["missing"] = MissingCount(t.column(c));
    }
    // The first rows as {"columns": [...], "rows": [[...], ...]}: values in column order, as
    // text (missing: null), the same text `data export` writes.
    nlohmann::json rows = nlohmann::json::array();
    for (int64_t r = 0; r < n; ++r) {
      nlohmann::json row = nlohmann::json::array();
      for (int c = 0; c < t.num_columns(); ++c) {
        const Column& col = t.column(c);
        row.push_back(col.IsValid(r) ? nlohmann::json(CellToString(col, r)) : nullptr);
      }
      rows.push_back(std::move(row));
    }
    j["head"] = {{"columns", t.schema().names()}, {"rows", std::move(rows)}};
    auto versions = ws->metadata().ListDatasetVersions(v.name);
    j["versions"] = versions.size();
    PrintJson(j);
    return;
  }
  std::cout << v.name << "@" << v.version << "\n"
            << "  rows:      " << HumanCount(v.num_rows) << "\n"
            << "  columns:   " << v.num_columns << "\n"
            << "  hash:      sha256:" << v.content_hash << "\n"
            << "  snapshot:  " << HumanBytes(v.snapshot_bytes) << " (in memory "
            << HumanBytes(t.MemoryBytes()) << ")\n"
            << "  source:    " << v.source_uri << " (" << v.source_format;
  // A file's size and time; a derived version (a recipe's output) has neither.
  if (v.source_size > 0 || v.source_mtime_us > 0) {
    std::cout << ", " << HumanBytes(v.source_size) << ", modified "
              << FormatTimestamp(v.source_mtime_us);
  }
  std::cout << ")\n"
            << "  created:   " << FormatTimestamp(v.created_at_us) << "\n";
  if (v.rejected_rows > 0) {
    std::cout << "  rejected:  " << HumanCount(v.rejected_rows) << " rows at import\n";
  }
  std::cout << "\nschema:\n";
  std::vector<std::vector<std::string>> rows;
  for (int c = 0; c < t.num_columns(); ++c) {
    const Field& f = t.schema().field(c);
    const int64_t missing = MissingCount(t.column(c));
    char pct[32];
    double percent = t.num_rows() ? 100.0 * static_cast<double>(missing) / t.num_rows() : 0.0;
    // Not 100.0% (nor 0.0%) unless every (no) value is missing: 12,001 of 12,002 is 99.9%.
    if (missing < t.num_rows()) percent = std::min(percent, 99.9);
    if (missing > 0) percent = std::max(percent, 0.1);
    std::snprintf(pct, sizeof pct, "%.1f%%", percent);
    rows.push_back({f.name, std::string(DataTypeName(f.type)), std::string(RoleName(f.role)),
                    HumanCount(missing), pct});
  }
  PrintTable({"COLUMN", "TYPE", "ROLE", "MISSING", "%"}, rows, "  ");
  if (n > 0) {
    std::cout << "\nfirst " << n << " rows:\n";
    std::vector<std::vector<std::string>> head_rows;
    for (int64_t r = 0; r < n; ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < t.num_columns(); ++c) {
        std::string s = t.column(c).IsValid(r) ? CellToString(t.column(c), r) : "<NA>";
        s = CutUtf8(s, 24);
        for (auto& ch : s) {
          if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
        }
        row.push_back(std::move(s));
      }
      head_rows.push_back(std::move(row));
    }
    PrintTable(t.schema().names(), head_rows, "  ");
  }
}

// --- export -----------------------------------------------------------------------------------

void RunExport(const GlobalOptions& global, const std::string& ref_text, const std::string& format,
               const std::string& output, bool json) {
  auto ws = OpenWorkspace(global);
  DatasetVersion v = StoredDatasetArg(*ws, ref_text);
  const bool jsonl_name = OutputIsJsonLines(output);
  std::string fmt = format;
  const std::string extension = AsciiLower(std::filesystem::path(output).extension().string());
  if (fmt.empty()) {
    // CSV in a file named for another format would fail in the tool that opens it.
    for (const char* other : {".parquet", ".pq", ".feather", ".arrow", ".orc", ".avro", ".xlsx",
                              ".xls", ".pkl", ".pickle", ".h5", ".hdf5", ".npy"}) {
      if (extension != other) continue;
      throw UsageError("data export writes CSV or JSON Lines; " + output + " is named " + other,
                       "name the file .csv or .jsonl, or give --format csv|jsonl to write that "
                       "format under this name");
    }
    fmt = jsonl_name ? "jsonl" : "csv";
  }
  if (fmt != "csv" && fmt != "jsonl") {
    throw UsageError("--format must be csv or jsonl, not '" + fmt + "'");
  }
  if (output == "-" && json) {
    throw UsageError("--json cannot go with --output - (the data goes to stdout)");
  }
  // The output is checked before the data is loaded (a large snapshot takes seconds).
  if (output != "-") CheckOutputPath(output, "--output");
  Table t = LoadDataset(*ws, v);
  if (fmt == "jsonl") {
    // JSON has no infinity: such values are written as null, which reads back as missing.
    int64_t infinite = 0;
    for (const Column& c : t.columns()) {
      if (c.type() != DataType::kFloat64) continue;
      for (int64_t i = 0; i < c.size(); ++i) infinite += c.IsValid(i) && std::isinf(c.f64()[i]);
    }
    if (infinite > 0) {
      std::cerr << "note: " << infinite
                << (infinite == 1 ? " infinite value is" : " infinite values are")
                << " written as null (JSON has no infinity; it reads back as missing); CSV keeps "
                   "inf\n";
    }
  }
  if (output == "-") {
    if (fmt == "csv") {
      WriteCsv(t, std::cout);
    } else {
      WriteJsonLines(t, std::cout);
    }
    std::cout.flush();
    return;
  }
  if (fmt == "csv") {
    // A .tsv name is tab-separated, as the reader detects it (commas in x.tsv would not be).
    CsvWriteOptions options;
    if (AsciiLower(std::filesystem::path(output).extension().string()) == ".tsv") {
      options.delimiter = '\t';
    }
    WriteCsvFile(t, output, options);
  } else {
    WriteJsonLinesFile(t, output);
  }
  if (DescriptorOfPath(output) == 1) return;  // the data went to stdout: nothing to add
  if (json) {
    PrintJson({{"ref", v.name + "@" + std::to_string(v.version)},
               {"rows", t.num_rows()},
               {"format", fmt},
               {"output", output}});
    return;
  }
  std::cout << "Exported " << v.name << "@" << v.version << " (" << HumanCount(t.num_rows())
            << " rows) to " << output << "\n";
}

}  // namespace

void RegisterData(CLI::App& app, GlobalOptions& global) {
  auto* data =
      app.add_subcommand("data", "Import, list, show, export and compare versioned datasets");
  data->require_subcommand(1);

  auto a = std::make_shared<ImportArgs>();
  auto* imp = data->add_subcommand("import",
                                   "Import a CSV / JSON Lines file or an SQLite query "
                                   "as a new immutable dataset version");
  imp->add_option("FILE", a->file,
                  "CSV or JSON Lines file (.gz and .zst are decompressed); - for standard input");
  imp->add_option("-n,--name", a->name, "Dataset name")->required();
  imp->add_option("--format", a->format, "auto (by extension), csv or jsonl");
  imp->add_option("--sql", a->sql, "Import the result of this query instead of a file");
  imp->add_option("--db", a->db, "SQLite database file for --sql");
  imp->add_option("--schema", a->schema, "YAML file declaring column types and roles");
  imp->add_option("--type", a->types,
                  "Declare a column type: COL=TYPE (float64, int64, bool, "
                  "string, timestamp); repeatable")
      ->allow_extra_args(false);  // one value per flag, so FILE after it stays FILE
  imp->add_option("--role", a->roles,
                  "Declare a column role: COL=ROLE (feature, target, id, event_time, "
                  "ignored); repeatable")
      ->allow_extra_args(false);
  imp->add_option("--target", a->target, "Shorthand for --role COL=target");
  imp->add_option("--delimiter", a->delimiter, "CSV delimiter (default: detect , ; tab |)");
  imp->add_flag("--no-header", a->no_header, "The CSV has no header row");
  imp->add_option("--na", a->na,
                  "Also read this token as a missing value (repeatable; added to "
                  "ingest.missing_values, by default pandas' tokens: empty, NA, NULL, N/A, None, "
                  "nan, ...)")
      ->allow_extra_args(false);
  imp->add_flag("--no-default-na", a->no_default_na,
                "Read only the --na tokens as missing values, not the defaults (an empty cell is "
                "then an empty string)");
  imp->add_option("--on-bad-rows", a->on_bad_rows,
                  "fail (default): stop at the first bad row; skip: import the others and write "
                  "the rejected rows to --rejects");
  imp->add_option("--rejects", a->rejects, "Rejects file (default: NAME.rejects.jsonl)");
  imp->add_flag("--json", a->json, "Print the result as JSON");
  imp->callback([&global, a, imp] {
    a->delimiter_given = imp->get_option("--delimiter")->count() > 0;
    RunImport(global, *a);
  });

  auto list_json = std::make_shared<bool>(false);
  auto* list = data->add_subcommand("list", "List datasets with their latest version");
  list->add_flag("--json", *list_json, "Print as JSON");
  list->callback([&global, list_json] { RunList(global, *list_json); });

  auto show_ref = std::make_shared<std::string>();
  auto show_rows = std::make_shared<int64_t>(10);
  auto show_json = std::make_shared<bool>(false);
  auto* show = data->add_subcommand("show",
                                    "Show a dataset version: schema, counts, hash, "
                                    "lineage and first rows");
  show->add_option("DATASET", *show_ref, "NAME (latest) or NAME@VERSION")->required();
  show->add_option("--rows", *show_rows, "How many rows to show (default 10)")
      ->check(CountValidator());
  show->add_flag("--json", *show_json, "Print as JSON");
  show->callback([&global, show_ref, show_rows, show_json] {
    RunShow(global, *show_ref, *show_rows, *show_json);
  });

  auto exp_ref = std::make_shared<std::string>();
  auto exp_format = std::make_shared<std::string>();
  auto exp_output = std::make_shared<std::string>();
  auto* exp = data->add_subcommand("export", "Write a dataset version as CSV or JSON Lines");
  exp->add_option("DATASET", *exp_ref, "NAME (latest) or NAME@VERSION")->required();
  exp->add_option("--format", *exp_format, "csv or jsonl (default: from the output's extension)");
  exp->add_option("-o,--output", *exp_output, "Output file, or - for stdout")->required();
  auto exp_json = std::make_shared<bool>(false);
  exp->add_flag("--json", *exp_json, "Print the result as JSON (not with --output -)");
  exp->callback([&global, exp_ref, exp_format, exp_output, exp_json] {
    RunExport(global, *exp_ref, *exp_format, *exp_output, *exp_json);
  });
}

}  // namespace mloop::cli
