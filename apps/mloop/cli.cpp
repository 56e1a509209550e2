#include "cli.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "mloop/core/error.h"
#include "mloop/core/signal_cleanup.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/csv_reader.h"

namespace mloop::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) {
  g_interrupted.store(true);
  // A second Ctrl-C ends mloop at once, removing its temporary files.
  InstallSignalCleanup();
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  struct sigaction on {};
  on.sa_handler = OnInterrupt;
  sigemptyset(&on.sa_mask);
  sigaction(SIGINT, &on, &old_int_);
  sigaction(SIGTERM, &on, &old_term_);
}

void IgnoreBrokenPipe() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

const std::atomic<bool>* InterruptGuard::flag() const {
  return &g_interrupted;
}

namespace {

// A validator taking whole numbers of type T (from `min`, as std::from_chars reads them: no sign
// for unsigned T, no wrapping), else "`what`, not 'TEXT'". `name` shows in the help after the type.
template <class T>
CLI::Validator WholeNumberValidator(std::string what, T min, std::string name) {
  return CLI::Validator(
      [what = std::move(what), min](std::string& text) -> std::string {
        T v{};
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || ec != std::errc() || ptr != end || v < min) {
          return what + ", not '" + text + "'";
        }
        return {};
      },
      std::move(name));
}

}  // namespace

CLI::Validator SeedValidator() {
  return WholeNumberValidator<uint64_t>("a seed is a whole number from 0 to 18446744073709551615",
                                        0, "SEED");
}

CLI::Validator CountValidator() {
  // No name: the help shows INT.
  return WholeNumberValidator<int64_t>("a count is a whole number, 0 or more", 0, "");
}

CLI::Validator RunIdValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string given = text;  // for the message
        if (text.rfind("run:", 0) == 0) text.erase(0, 4);
        int64_t v = 0;
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || ec != std::errc() || ptr != end || v < 1) {
          return "a run id is a whole number from 1 (or run:N), not '" + given + "'";
        }
        return {};
      },
      "");
}

std::map<std::string, std::string> ParseKeyValues(const std::string& option,
                                                  const std::vector<std::string>& texts) {
  std::map<std::string, std::string> out;
  for (const auto& t : texts) {
    const size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(option + " expects KEY=VALUE, got '" + t + "'");
    }
    if (!out.emplace(t.substr(0, eq), t.substr(eq + 1)).second) {
      throw UsageError(option + " " + t.substr(0, eq) + " is given twice", "give each once");
    }
  }
  return out;
}

std::unique_ptr<Workspace> OpenWorkspace(const GlobalOptions& global) {
  auto env = MloopEnvironment();
  std::filesystem::path dir = global.workspace;
  if (dir.empty() && env.count("MLOOP_WORKSPACE")) dir = env["MLOOP_WORKSPACE"];
  auto ws = Workspace::Open(dir, std::filesystem::current_path(), env);
  if (global.threads >= 0) ws->mutable_config().threads = global.threads;
  ProtectFromOutputs(ws->StatePaths());
  return ws;
}

bool IsDataFileArg(Workspace& ws, const std::string& arg) {
  std::error_code ec;
  return std::filesystem::is_regular_file(arg, ec) && !IsStoredDatasetName(ws, arg);
}

std::unique_ptr<Workspace> OptionalWorkspace(const GlobalOptions& global) {
  try {
    return OpenWorkspace(global);
  } catch (const Error& e) {
    // None here or above is fine; a workspace named by --workspace or MLOOP_WORKSPACE must exist.
    if (e.code() != ErrorCode::kNotFound || !global.workspace.empty() ||
        MloopEnvironment().count("MLOOP_WORKSPACE")) {
      throw;
    }
    return nullptr;
  }
}

namespace {

// A data file named where only a stored dataset is taken (`data show d.csv`).
Error FileForDataset(const std::string& text) {
  return InvalidArgument("'" + text + "' is a file, and this command takes a stored dataset",
                         "import it first: mloop data import " + text + " --name NAME");
}

}  // namespace

DatasetRef DatasetRefArg(const std::string& text) {
  try {
    return ParseDatasetRef(text);
  } catch (const Error& e) {
    // Not a name: most likely a path (../data.csv) that is not a file.
    std::error_code ec;
    if (std::filesystem::is_directory(text, ec)) {
      throw UsageError("'" + text + "' is a directory", "give a data file or a dataset name");
    }
    if (std::filesystem::is_regular_file(text, ec)) throw FileForDataset(text);  // ./d.csv
    if (text.find('/') != std::string::npos || std::filesystem::path(text).has_extension()) {
      throw NotFound("no file '" + text + "' (nor could it be a dataset name)", "check the path");
    }
    throw UsageError(e.what(), e.hint());
  }
}

DatasetVersion StoredDatasetArg(Workspace& ws, const std::string& text) {
  const DatasetRef ref = DatasetRefArg(text);
  try {
    return ResolveDataset(ws, ref);
  } catch (const Error& e) {
    std::error_code ec;
    if (e.code() != ErrorCode::kNotFound || !std::filesystem::is_regular_file(text, ec)) throw;
    throw FileForDataset(text);
  }
}

Table LoadTableArg(Workspace& ws, const std::string& data, const std::vector<Field>& expected,
                   bool others_as_text, const MissingTokens* missing) {
  // `-`: standard input (CSV, or JSON Lines when its first byte opens an object), as data import.
  if (data == "-") return ReadDataFile(ws, "/dev/stdin", expected, others_as_text, missing);
  if (std::filesystem::exists(data)) {
    return ReadDataFile(ws, data, expected, others_as_text, missing);
  }
  return LoadDataset(ws, ResolveDataset(ws, DatasetRefArg(data)));
}

void RefuseCompressedOutput(const std::string& path) {
  const std::string lower = AsciiLower(path);
  for (const std::string ext : {".gz", ".zst", ".zstd"}) {
    if (lower.size() > ext.size() &&
        lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0) {
      throw UsageError("compressed output ('" + path + "') is not supported yet",
                       "write it uncompressed, then compress with gzip or zstd");
    }
  }
}

bool OutputIsJsonLines(const std::string& path) {
  RefuseCompressedOutput(path);
  return path != "-" && DetectFormat(path) == SourceFormat::kJsonLines;
}

void NoteLatestAgain(const std::optional<DatasetVersion>& before, const DatasetVersion& v) {
  if (before && before->version != v.version) {
    std::cout << "Note: " << v.name << " means " << v.name << "@" << v.version
              << " again (the latest is the version last imported; it was " << v.name << "@"
              << before->version << ")\n";
  }
}

namespace {
// "imported FILE as NAME@V (N rows)" or "already stored: ..." on stderr; `options_of`: the
// version whose import options were used again (0: none).
void AnnounceImport(const std::string& file, const ImportResult& r,
                    const std::optional<DatasetVersion>& before, int64_t options_of) {
  const DatasetVersion& v = r.version;
  std::cerr << (r.created ? "imported " : "already stored: ") << file << " as " << v.name << "@"
            << v.version << " (" << HumanCount(v.num_rows) << " rows"
            << (r.created && options_of ? "; roles, types and missing values as in " + v.name +
                                              "@" + std::to_string(options_of)
                                        : std::string())
            << ")";
  if (!r.created && before && before->version != v.version) {
    std::cerr << "; " << v.name << " means " << v.name << "@" << v.version << " again (it was "
              << v.name << "@" << before->version << ")";
  }
  std::cerr << "\n";
}
}  // namespace

ImportResult ImportDataFile(Workspace& ws, const std::string& file, bool announce) {
  return ImportDataFile(ws, file, FileImportRequest(ws, file), announce);
}

ImportResult ImportDataFile(Workspace& ws, const std::string& file, const ImportRequest& request,
                            bool announce) {
  const auto before = ws.metadata().FindDatasetVersion(request.name, 0);
  std::string note;
  ImportResult r = ImportFileRequest(ws, request, &note);
  if (!note.empty()) std::cerr << "warning: " << note << "\n";
  if (announce) AnnounceImport(file, r, before, request.options_of_version);
  if (r.rows_rejected > 0) {  // skipped under a carried --on-bad-rows or the workspace's: said
                              // even under -q
    const bool carried =
        request.options_of_version > 0 && ws.config().on_bad_rows != BadRowPolicy::kSkip;
    std::cerr << "warning: " << HumanCount(r.rows_rejected) << " of " << file << "'s rows "
              << (r.rows_rejected == 1 ? "was" : "were") << " rejected ("
              << (carried ? "--on-bad-rows skip, as " + r.version.name + "@" +
                                std::to_string(request.options_of_version) + " was imported"
                          : std::string("the workspace's ingest.on_bad_rows: skip"))
              << "), written with reasons to " << r.rejects_path.string() << "\n";
  }

  // A file named like an earlier one (another directory's iris.csv) is a new version of that
  // dataset: said when its columns are others, which is seldom what a new version means.
  const DatasetVersion& v = r.version;
  if (r.created && before) {
    const std::vector<std::string> was = SchemaFromJson(before->schema_json).names(),
                                   now = SchemaFromJson(v.schema_json).names();
    std::vector<std::string> added, gone;
    for (const auto& n : now) {
      if (std::find(was.begin(), was.end(), n) == was.end()) added.push_back(n);
    }
    for (const auto& n : was) {
      if (std::find(now.begin(), now.end(), n) == now.end()) gone.push_back(n);
    }
    if (!added.empty() || !gone.empty()) {
      // Another file named alike, or this file with its columns changed since.
      std::error_code ec;
      const bool same_file =
          before->source_uri ==
          std::filesystem::absolute(request.file, ec).lexically_normal().string();
      std::cerr << "warning: " << v.name << "@" << v.version << " has other columns than " << v.name
                << "@" << before->version << " (from "
                << (same_file ? std::string("this file, before") : before->source_uri) << "):";
      if (!added.empty()) std::cerr << " new " << ShortList(added, 5) << ";";
      if (!gone.empty()) std::cerr << " gone " << ShortList(gone, 5) << ";";
      std::cerr << (same_file ? " the model trains on what the file holds now\n"
                              : " `mloop data import FILE --name OTHER` keeps another file's "
                                "data apart\n");
    }
  }
  return r;
}

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

namespace {
// Terminal columns of a code point: 0 for combining marks, 2 for East Asian wide and full-width
// characters and emoji, else 1 (an approximation of wcwidth that needs no locale).
size_t CodePointWidth(uint32_t c) {
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || c == 0xFE0F) return 0;
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
                    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

// Display width of UTF-8 text (invalid bytes count one column each).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    const int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    if (len == 1 || i + len > s.size()) {
      ++w;
      ++i;
      continue;
    }
    uint32_t c = b & (0x7F >> len);
    for (int k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    w += CodePointWidth(c);
    i += static_cast<size_t>(len);
  }
  return w;
}

// A cell on one line: control characters (a newline in a name, in MLOOP_USER) escaped, so that
// no value can break the table or fake a row.
std::string Cell(const std::string& s) {
  const bool plain = std::none_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7F;
  });
  return plain ? s : Printable(s, s.size() * 4 + 4);
}
}  // namespace

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& raw_rows, const std::string& indent,
                const std::vector<bool>& bold_first_cell) {
  std::vector<std::vector<std::string>> rows = raw_rows;
  for (auto& row : rows) {
    for (auto& cell : row) cell = Cell(cell);
  }
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); ++i) widths[i] = Width(header[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row, bool bold) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i == 0 && bold ? "\033[1m" + row[i] + "\033[0m" : row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();  // no padding at the end
    std::cout << line << "\n";
  };
  print_row(header, false);
  for (size_t r = 0; r < rows.size(); ++r) {
    print_row(rows[r], r < bold_first_cell.size() && bold_first_cell[r]);
  }
}

std::string HumanCount(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string SignificantText(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) v = 0.0;  // not -0
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string MetricText(double v, int decimals) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) v = 0.0;  // -0.0 (scikit-learn returns it at times) reads as a negative number
  const double a = std::fabs(v);
  char buf[64];
  if (a == 0 || (a >= std::pow(10.0, -decimals + 1) && a < 1e9)) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  } else {
    std::snprintf(buf, sizeof buf, "%.*g", decimals, v);
  }
  return buf;
}

std::string HumanSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s" : "%.1f s", s);
  return buf;
}

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(isatty(2) == 1) {}

Progress::~Progress() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void Progress::Update(int64_t done, int64_t total) {
  if (!enabled_) return;
  if (total > 0) {
    int percent = static_cast<int>(100 * done / total);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    int filled = percent / 4;
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(25 - filled, ' ').c_str(), percent, HumanBytes(done).c_str());
  } else {
    std::fprintf(stderr, "\r%s %s", label_.c_str(), HumanBytes(done).c_str());
  }
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace mloop::cli
