// gen_churn: deterministic generator for a synthetic customer-churn "world".
//
// Writes customers.csv, transactions.csv, tickets.csv and labels.csv into --out. For a given set
// of flags the output is byte-identical on every platform. The generator avoids anything whose
// result depends on the implementation:
//   * its own PRNG (xoshiro256**, seeded through splitmix64) and its own distributions;
//   * its own exp/log, built only from IEEE-754 +,-,*,/ and exact frexp/ldexp (std::exp and
//     std::log may differ in the last bit between C libraries);
//   * numbers are formatted from integers (cents), not from printf("%f");
//   * no fused multiply-add contraction (see the pragmas below).
// It assumes IEEE-754 binary64 doubles evaluated without excess precision, which holds on every
// 64-bit target (SSE2 on x86-64, NEON on AArch64).
//
// Build: g++ -std=c++20 -O2 -o gen_churn gen_churn.cpp

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// Fusing a*b+c into one FMA instruction changes rounding, and whether the compiler does it depends
// on the target and flags (GCC in -std=gnu++ mode fuses by default). Forbid it for this file.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace {

// ---------------------------------------------------------------------------------------------
// Portable math
// ---------------------------------------------------------------------------------------------

constexpr double kLn2 = 0.6931471805599453;

// Natural logarithm for x > 0 via x = m * 2^e and the atanh series:
// log(m) = 2 * (s + s^3/3 + s^5/5 + ...), with s = (m - 1) / (m + 1) and |s| <= 0.172.
double DetLog(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // m in [0.5, 1)
  if (m < 0.7071067811865476) {
    m *= 2.0;
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double sum = 0.0;
  for (int k = 21; k >= 1; k -= 2) sum = sum * s2 + 1.0 / k;  // Horner form of the series
  return 2.0 * s * sum + e * kLn2;
}

// e^x via x = k*ln2 + r with |r| <= ln2/2, a Taylor polynomial for e^r and an exact ldexp.
double DetExp(double x) {
  x = std::clamp(x, -700.0, 700.0);
  const double k = std::round(x / kLn2);
  const double r = x - k * kLn2;
  double sum = 1.0;
  for (int n = 16; n >= 1; --n) sum = 1.0 + sum * r / n;
  return std::ldexp(sum, static_cast<int>(k));
}

double Sigmoid(double x) {
  return 1.0 / (1.0 + DetExp(-x));
}

// Rounds to whole cents (half away from zero), so stored values equal their printed form.
double RoundCents(double v) {
  return static_cast<double>(std::llround(v * 100.0)) / 100.0;
}

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna) with a small set of distributions on top.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Uniform integer in [0, n), n > 0, without modulo bias.
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }

  bool Bernoulli(double p) { return Uniform() < p; }

  // Approximately normal: Irwin-Hall sum of 12 uniforms (mean 6, variance 1). Tails are cut at
  // +-6 sd, which is harmless here and needs no transcendental functions.
  double Normal(double mean, double sd) {
    double sum = 0.0;
    for (int i = 0; i < 12; ++i) sum += Uniform();
    return mean + sd * (sum - 6.0);
  }

  double Exponential(double mean) { return -mean * DetLog(1.0 - Uniform()); }  // 1-U in (0, 1]

  // Index drawn with probability proportional to weights (negative weights count as zero).
  int Pick(std::span<const double> weights) {
    double total = 0.0;
    for (double w : weights) total += std::max(w, 0.0);
    double r = Uniform() * total;
    for (size_t i = 0; i + 1 < weights.size(); ++i) {
      r -= std::max(weights[i], 0.0);
      if (r < 0.0) return static_cast<int>(i);
    }
    return static_cast<int>(weights.size() - 1);
  }
  int Pick(std::initializer_list<double> weights) {
    return Pick(std::span<const double>(weights.begin(), weights.size()));
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

// ---------------------------------------------------------------------------------------------
// Calendar (proleptic Gregorian, days since 1970-01-01; H. Hinnant's civil algorithms)
// ---------------------------------------------------------------------------------------------

constexpr int64_t kSecondsPerDay = 86400;
constexpr double kDaysPerMonth = 30.436875;

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t DaysFromCivil(Civil c) {
  const int64_t y = c.year - (c.month <= 2);
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (c.month + (c.month > 2 ? -3 : 9)) + 2) / 5 + c.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2), month, day};
}

int DaysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Same day-of-month `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29).
int64_t AddMonths(int64_t day, int64_t months) {
  Civil c = CivilFromDays(day);
  const int64_t m0 = c.year * 12 + (c.month - 1) + months;
  c.year = FloorDiv(m0, 12);
  c.month = static_cast<int>(m0 - c.year * 12) + 1;
  c.day = std::min(c.day, DaysInMonth(c.year, c.month));
  return DaysFromCivil(c);
}

// Whole calendar months elapsed from `from` to `to` (to >= from).
int MonthsBetween(int64_t from, int64_t to) {
  const Civil a = CivilFromDays(from);
  const Civil b = CivilFromDays(to);
  int64_t months = (b.year - a.year) * 12 + (b.month - a.month);
  if (b.day < a.day) --months;
  return static_cast<int>(std::max<int64_t>(months, 0));
}

// Parses a strict YYYY-MM-DD date (years 1970..9999); returns false when invalid.
bool ParseDate(std::string_view text, int64_t& day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto number = [&](size_t pos, size_t len, int64_t& out) {
    const char* first = text.data() + pos;
    const auto [ptr, ec] = std::from_chars(first, first + len, out);
    return ec == std::errc() && ptr == first + len;
  };
  int64_t y = 0, m = 0, d = 0;
  if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) return false;
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, static_cast<int>(m))) return false;
  day = DaysFromCivil({y, static_cast<int>(m), static_cast<int>(d)});
  return true;
}

// ---------------------------------------------------------------------------------------------
// Output formatting
// ---------------------------------------------------------------------------------------------

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// Appends v rounded to 2 decimals, e.g. -3.5 -> "-3.50". Works on integer cents, so it does not
// depend on the C library's floating-point printf.
void AppendFixed2(std::string& out, double v) {
  int64_t cents = std::llround(v * 100.0);
  if (cents < 0) {
    out += '-';
    cents = -cents;
  }
  AppendInt(out, cents / 100);
  out += '.';
  out += static_cast<char>('0' + cents % 100 / 10);
  out += static_cast<char>('0' + cents % 10);
}

// Appends `prefix` followed by n zero-padded to `width` digits (wider numbers are not cut).
void AppendId(std::string& out, std::string_view prefix, int64_t n, int width) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, n);
  out += prefix;
  out.append(std::max<ptrdiff_t>(width - (res.ptr - buf), 0), '0');
  out.append(buf, res.ptr);
}

void AppendDate(std::string& out, int64_t day) {
  const Civil c = CivilFromDays(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(c.year), c.month, c.day);
  out += buf;
}

// ISO 8601 UTC timestamp, e.g. 2024-03-05T14:22:10Z.
void AppendTimestamp(std::string& out, int64_t ts) {
  const int64_t day = FloorDiv(ts, kSecondsPerDay);
  const int64_t sec = ts - day * kSecondsPerDay;
  AppendDate(out, day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(sec / 3600),
                static_cast<int>(sec / 60 % 60), static_cast<int>(sec % 60));
  out += buf;
}

const char* Bool(bool b) {
  return b ? "true" : "false";
}

// A CSV file written through a large buffer. Rows are appended to line() and ended with EndRow().
class CsvFile {
 public:
  CsvFile(const std::filesystem::path& path, std::string_view header) : path_(path) {
    file_ = std::fopen(path.string().c_str(), "wb");  // binary: '\n' endings on every platform
    if (file_ == nullptr) Fail("cannot open");
    buf_.append(header);
    buf_ += '\n';
  }
  ~CsvFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  std::string& line() { return buf_; }
  void EndRow() {
    buf_ += '\n';
    ++rows_;
    if (buf_.size() >= (1u << 20)) Flush();
  }
  void Close() {
    Flush();
    if (std::fclose(file_) != 0) Fail("cannot close");
    file_ = nullptr;
  }
  int64_t rows() const { return rows_; }

 private:
  void Flush() {
    if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) Fail("cannot write");
    buf_.clear();
  }
  [[noreturn]] void Fail(const char* what) {
    std::fprintf(stderr, "error: %s %s\n", what, path_.string().c_str());
    std::exit(1);
  }

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::string buf_;
  int64_t rows_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

struct Config {
  std::string out_dir;
  int64_t customers = 5000;
  uint64_t seed = 42;
  double drift = 0.0;
  int64_t start_day = 0;  // set in ParseArgs (default 2024-01-01)
  int64_t months = 24;
};

constexpr const char* kUsage =
    "usage: gen_churn --out DIR [--customers N] [--seed S] [--drift X] [--start YYYY-MM-DD]\n"
    "                 [--months M]\n"
    "\n"
    "Generates a deterministic synthetic customer-churn world as CSV files in DIR:\n"
    "customers.csv, transactions.csv, tickets.csv and labels.csv.\n"
    "\n"
    "  --out DIR          output directory (created if missing; required)\n"
    "  --customers N      number of customers, 1..10000000 (default 5000)\n"
    "  --seed S           unsigned 64-bit random seed (default 42)\n"
    "  --drift X          0..1, how much customers who sign up later differ from early ones:\n"
    "                     higher charges, more tickets, more premium and month-to-month,\n"
    "                     new payment method 'digital_wallet' (default 0.0)\n"
    "  --start DATE       first day of the simulated period (default 2024-01-01)\n"
    "  --months M         length of the simulated period in months, 3..600 (default 24)\n"
    "  --help             show this help\n";

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "error: %s\n(run gen_churn --help for usage)\n", message.c_str());
  std::exit(2);
}

template <typename T>
T ParseInt(std::string_view flag, std::string_view text, T lo, T hi) {
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < lo || value > hi) {
    UsageError(std::string(flag) + ": expected an integer in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "], got '" + std::string(text) + "'");
  }
  return value;
}

double ParseUnitDouble(std::string_view flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(value >= 0.0 && value <= 1.0)) {
    UsageError(std::string(flag) + ": expected a number in [0, 1], got '" + text + "'");
  }
  return value;
}

Config ParseArgs(int argc, char** argv) {
  Config cfg;
  ParseDate("2024-01-01", cfg.start_day);
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    static constexpr std::array<std::string_view, 6> kFlags = {
        "--out", "--customers", "--seed", "--drift", "--start", "--months"};
    if (std::find(kFlags.begin(), kFlags.end(), flag) == kFlags.end()) {
      UsageError("unknown flag: " + std::string(flag));
    }
    if (i + 1 >= argc) UsageError("missing value for " + std::string(flag));
    const std::string value = argv[++i];
    if (flag == "--out") {
      if (value.empty()) UsageError("--out: empty path");
      cfg.out_dir = value;
    } else if (flag == "--customers") {
      cfg.customers = ParseInt<int64_t>(flag, value, 1, 10'000'000);
    } else if (flag == "--seed") {
      cfg.seed = ParseInt<uint64_t>(flag, value, 0, UINT64_MAX);
    } else if (flag == "--drift") {
      cfg.drift = ParseUnitDouble(flag, value);
    } else if (flag == "--start") {
      if (!ParseDate(value, cfg.start_day)) {
        UsageError("--start: expected a valid date YYYY-MM-DD (1970 or later), got '" + value +
                   "'");
      }
    } else {  // --months
      cfg.months = ParseInt<int64_t>(flag, value, 3, 600);
    }
  }
  if (cfg.out_dir.empty()) UsageError("--out DIR is required");
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// The world model
// ---------------------------------------------------------------------------------------------

constexpr std::array<const char*, 3> kPlans = {"basic", "standard", "premium"};
constexpr std::array<double, 3> kPlanPrice = {29.99, 59.99, 99.99};
constexpr std::array<const char*, 4> kRegions = {"north", "south", "east", "west"};
enum Contract { kMonthToMonth, kOneYear, kTwoYear };
constexpr std::array<const char*, 3> kContracts = {"month-to-month", "one-year", "two-year"};
enum Payment { kCreditCard, kBankTransfer, kElectronicCheck, kMailedCheck, kDigitalWallet };
constexpr std::array<const char*, 5> kPayments = {
    "credit_card", "bank_transfer", "electronic_check", "mailed_check", "digital_wallet"};
constexpr std::array<const char*, 4> kChannels = {"phone", "email", "chat", "app"};
enum Category { kSubscription, kAddon, kDevice, kLateFee, kRefund };
constexpr std::array<const char*, 5> kCategories = {"subscription", "addon", "device", "late_fee",
                                                    "refund"};

// Simulated period [start, end). Signups fall in [start, end - 60d]; each customer's label date
// falls in [signup + 30d, end - 30d], so the 30-day churn outcome window ends inside the period.
struct Timeline {
  int64_t start_day;
  int64_t end_day;
};

struct Customer {
  int64_t number = 0;  // 1-based, in signup order
  int64_t signup_day = 0;
  int64_t label_day = 0;
  double drift = 0.0;  // --drift scaled by how late in the period the customer signed up
  int plan = 0, region = 0, contract = 0, payment = 0;
  int age = 0;
  double monthly_charges = 0.0;
  int tenure_months = 0;  // at label_day
  bool paperless = false;
  bool age_missing = false, region_missing = false, payment_missing = false;
  double dissatisfaction = 0.0;  // latent, never written; drives both tickets and churn
  bool churned = false;
  int64_t active_until = 0;  // timestamp after which the customer generates no more events
};

struct Ticket {
  int64_t opened = 0;
  int channel = 0;
  int severity = 1;
  bool resolved = false;
  double hours = 0.0;  // resolution time; meaningful only if resolved
};

struct Transaction {
  int64_t ts = 0;
  double amount = 0.0;
  int category = 0;
};

// Independent stream per customer, so one customer's draws never shift another's.
Rng CustomerRng(uint64_t seed, int64_t number) {
  uint64_t a = seed;
  uint64_t b = static_cast<uint64_t>(number) ^ 0xC2B2AE3D27D4EB4FULL;
  return Rng(SplitMix64(a) ^ SplitMix64(b));
}

// Static attributes. Signups grow linearly over time (density rises 3x from start to end) and
// customer numbers follow signup order.
Customer MakeCustomer(const Config& cfg, const Timeline& tl, int64_t number, Rng& rng) {
  Customer c;
  c.number = number;
  const double q = (static_cast<double>(number - 1) + rng.Uniform()) / cfg.customers;
  const double t = -0.5 + std::sqrt(0.25 + 2.0 * q);  // inverse CDF of density 0.5 + t on [0,1)
  const int64_t signup_span = tl.end_day - tl.start_day - 60;
  c.signup_day = tl.start_day + static_cast<int64_t>(t * signup_span);
  const int64_t label_lo = c.signup_day + 30;
  c.label_day = label_lo + static_cast<int64_t>(rng.Below(tl.end_day - 30 - label_lo + 1));
  c.tenure_months = MonthsBetween(c.signup_day, c.label_day);

  const double s = cfg.drift * t;
  c.drift = s;
  c.plan = rng.Pick({0.45 - 0.25 * s, 0.35 + 0.05 * s, 0.20 + 0.20 * s});
  c.region = rng.Pick({0.25 + 0.10 * s, 0.25, 0.25 - 0.10 * s, 0.25});
  c.contract = rng.Pick({0.50 + 0.25 * s, 0.28 - 0.10 * s, 0.22 - 0.15 * s});
  c.payment = rng.Pick({0.30, 0.25 - 0.10 * s, 0.30 - 0.10 * s, 0.15 - 0.10 * s, 0.30 * s});
  c.age = static_cast<int>(std::clamp(std::round(rng.Normal(45.0 - 8.0 * s, 14.0)), 18.0, 90.0));
  c.paperless = rng.Bernoulli(0.55 + 0.30 * s);

  const double contract_discount = std::array{1.0, 0.95, 0.90}[c.contract];
  const double charges = (kPlanPrice[c.plan] + rng.Normal(0.0, 6.0)) * contract_discount;
  c.monthly_charges = RoundCents(std::max(charges * (1.0 + 0.30 * s), 9.99));
  c.dissatisfaction = rng.Normal(0.0, 1.0);

  // Missing values (missing completely at random; the true value still drives the outcome).
  c.age_missing = rng.Bernoulli(0.02);
  c.region_missing = rng.Bernoulli(0.01);
  c.payment_missing = rng.Bernoulli(0.015);
  return c;
}

// Timestamp at which a ticket is (or would be) resolved.
int64_t ResolvedAt(const Ticket& k) {
  return k.opened + static_cast<int64_t>(k.hours * 3600.0);
}

// Support tickets over [signup, end of period): a Poisson process whose rate rises with latent
// dissatisfaction, month-to-month contracts and drift.
std::vector<Ticket> MakeTickets(const Customer& c, const Timeline& tl, Rng& rng) {
  const double per_month = 0.14 * DetExp(0.6 * c.dissatisfaction) *
                           (c.contract == kMonthToMonth ? 1.25 : 1.0) * (1.0 + 1.5 * c.drift);
  const double mean_gap_seconds = kDaysPerMonth * kSecondsPerDay / per_month;
  const int64_t period_end = tl.end_day * kSecondsPerDay;
  constexpr std::array<double, 3> kMeanHours = {6.0, 20.0, 48.0};

  std::vector<Ticket> tickets;
  double ts = static_cast<double>(c.signup_day * kSecondsPerDay);
  for (;;) {
    ts += rng.Exponential(mean_gap_seconds);
    if (ts >= static_cast<double>(period_end)) break;
    Ticket k;
    k.opened = static_cast<int64_t>(ts);
    k.channel = rng.Pick({0.40 - 0.20 * c.drift, 0.25, 0.25, 0.10 + 0.20 * c.drift});
    k.severity = 1 + rng.Pick({0.55 - 0.10 * c.drift, 0.30, 0.15 + 0.10 * c.drift});
    k.hours = RoundCents(0.25 + rng.Exponential(kMeanHours[k.severity - 1]));
    const bool stuck = rng.Bernoulli(0.04);
    k.resolved = !stuck && ResolvedAt(k) < period_end;
    tickets.push_back(k);
  }
  return tickets;
}

// Churn within 30 days after label_day. The log-odds use only what is knowable at label_day
// (recent and still-open tickets, contract, charges, tenure, ...) plus the latent dissatisfaction.
double ChurnProbability(const Customer& c, const std::vector<Ticket>& tickets) {
  const int64_t label_ts = c.label_day * kSecondsPerDay;
  int recent = 0, open = 0;
  for (const Ticket& k : tickets) {
    if (k.opened >= label_ts) break;
    if (k.opened >= label_ts - 90 * kSecondsPerDay) ++recent;
    if (!k.resolved || ResolvedAt(k) > label_ts) ++open;
  }
  double logit = -1.7;
  logit += std::array{1.2, 0.0, -1.0}[c.contract];
  logit += 0.45 * std::min(recent, 5) + 0.6 * std::min(open, 3);
  logit += 0.03 * (c.monthly_charges - 65.0);
  logit -= 0.06 * std::min(c.tenure_months, 36);
  logit += c.payment == kElectronicCheck ? 0.4 : 0.0;
  logit += c.paperless ? 0.2 : 0.0;
  logit -= 0.015 * (c.age - 45);
  logit += 0.4 * c.dissatisfaction;
  return Sigmoid(logit);
}

// Monthly subscription charges, add-ons, devices, late fees and refunds after severe tickets, up
// to the customer's last active moment. Returned in time order.
std::vector<Transaction> MakeTransactions(const Customer& c, const std::vector<Ticket>& tickets,
                                          Rng& rng) {
  std::vector<Transaction> txns;
  const int64_t signup_ts = c.signup_day * kSecondsPerDay;
  const double late_fee_p =
      c.payment == kElectronicCheck || c.payment == kMailedCheck ? 0.08 : 0.02;
  for (int64_t m = 0;; ++m) {
    const int64_t bill_ts = AddMonths(c.signup_day, m) * kSecondsPerDay + 3600 +
                            static_cast<int64_t>(rng.Below(4 * 3600));
    if (bill_ts >= c.active_until) break;
    txns.push_back({bill_ts, c.monthly_charges, kSubscription});
    const int64_t fee_ts = bill_ts + 15 * kSecondsPerDay;
    if (rng.Bernoulli(late_fee_p) && fee_ts < c.active_until) {
      txns.push_back({fee_ts, 5.0, kLateFee});
    }
  }
  // Occasional purchases: Poisson processes with per-month rates.
  const double addon_gap = kDaysPerMonth * kSecondsPerDay / (0.25 * (1.0 + 0.5 * c.drift));
  for (double ts = signup_ts + rng.Exponential(addon_gap); ts < c.active_until;
       ts += rng.Exponential(addon_gap)) {
    txns.push_back({static_cast<int64_t>(ts), RoundCents(4.99 + rng.Exponential(12.0)), kAddon});
  }
  const double device_gap = kDaysPerMonth * kSecondsPerDay / 0.015;
  for (double ts = signup_ts + rng.Exponential(device_gap); ts < c.active_until;
       ts += rng.Exponential(device_gap)) {
    txns.push_back({static_cast<int64_t>(ts), RoundCents(rng.Uniform(149.0, 899.0)), kDevice});
  }
  for (const Ticket& k : tickets) {
    if (k.severity == 3 && k.resolved && ResolvedAt(k) < c.active_until && rng.Bernoulli(0.6)) {
      const double refund = RoundCents(c.monthly_charges * rng.Uniform(0.25, 1.0));
      txns.push_back({ResolvedAt(k), -refund, kRefund});
    }
  }
  std::stable_sort(txns.begin(), txns.end(),
                   [](const Transaction& a, const Transaction& b) { return a.ts < b.ts; });
  return txns;
}

// ---------------------------------------------------------------------------------------------
// Writing rows
// ---------------------------------------------------------------------------------------------

void AppendCustomerId(std::string& out, int64_t number) {
  AppendId(out, "C", number, 6);
}

void WriteCustomer(CsvFile& f, const Customer& c) {
  std::string& l = f.line();
  AppendCustomerId(l, c.number);
  l += ',';
  AppendDate(l, c.signup_day);
  l += ',';
  l += kPlans[c.plan];
  l += ',';
  if (!c.region_missing) l += kRegions[c.region];
  l += ',';
  if (!c.age_missing) AppendInt(l, c.age);
  l += ',';
  AppendFixed2(l, c.monthly_charges);
  l += ',';
  AppendInt(l, c.tenure_months);
  l += ',';
  l += kContracts[c.contract];
  l += ',';
  l += Bool(c.paperless);
  l += ',';
  if (!c.payment_missing) l += kPayments[c.payment];
  f.EndRow();
}

void WriteLabel(CsvFile& f, const Customer& c) {
  std::string& l = f.line();
  AppendCustomerId(l, c.number);
  l += ',';
  AppendDate(l, c.label_day);
  l += c.churned ? ",1" : ",0";
  f.EndRow();
}

void WriteTicket(CsvFile& f, const Customer& c, const Ticket& k) {
  std::string& l = f.line();
  AppendId(l, "TK", f.rows() + 1, 7);
  l += ',';
  AppendCustomerId(l, c.number);
  l += ',';
  AppendTimestamp(l, k.opened);
  l += ',';
  l += kChannels[k.channel];
  l += ',';
  AppendInt(l, k.severity);
  l += ',';
  l += Bool(k.resolved);
  l += ',';
  if (k.resolved) AppendFixed2(l, k.hours);
  f.EndRow();
}

void WriteTransaction(CsvFile& f, const Customer& c, const Transaction& t) {
  std::string& l = f.line();
  AppendId(l, "T", f.rows() + 1, 8);
  l += ',';
  AppendCustomerId(l, c.number);
  l += ',';
  AppendTimestamp(l, t.ts);
  l += ',';
  AppendFixed2(l, t.amount);
  l += ',';
  l += kCategories[t.category];
  f.EndRow();
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = ParseArgs(argc, argv);
  const Timeline tl{cfg.start_day, AddMonths(cfg.start_day, cfg.months)};

  const std::filesystem::path dir(cfg.out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    std::fprintf(stderr, "error: cannot create directory %s\n", cfg.out_dir.c_str());
    return 1;
  }

  CsvFile customers(dir / "customers.csv",
                    "customer_id,signup_date,plan,region,age,monthly_charges,tenure_months,"
                    "contract,paperless_billing,payment_method");
  CsvFile transactions(dir / "transactions.csv", "transaction_id,customer_id,ts,amount,category");
  CsvFile tickets_csv(dir / "tickets.csv",
                      "ticket_id,customer_id,opened_at,channel,severity,resolved,resolution_hours");
  CsvFile labels(dir / "labels.csv", "customer_id,label_date,churned");

  int64_t churned = 0;
  for (int64_t number = 1; number <= cfg.customers; ++number) {
    Rng rng = CustomerRng(cfg.seed, number);
    Customer c = MakeCustomer(cfg, tl, number, rng);
    std::vector<Ticket> tickets = MakeTickets(c, tl, rng);
    c.churned = rng.Bernoulli(ChurnProbability(c, tickets));
    c.active_until = c.churned
                         ? (c.label_day + 1 + static_cast<int64_t>(rng.Below(30))) * kSecondsPerDay
                         : tl.end_day * kSecondsPerDay;
    std::erase_if(tickets, [&](const Ticket& k) { return k.opened >= c.active_until; });
    const std::vector<Transaction> txns = MakeTransactions(c, tickets, rng);

    churned += c.churned;
    WriteCustomer(customers, c);
    WriteLabel(labels, c);
    for (const Ticket& k : tickets) WriteTicket(tickets_csv, c, k);
    for (const Transaction& t : txns) WriteTransaction(transactions, c, t);
  }
  for (CsvFile* f : {&customers, &transactions, &tickets_csv, &labels}) f->Close();

  std::fprintf(stderr,
               "gen_churn: wrote %s: customers.csv %lld rows, transactions.csv %lld rows, "
               "tickets.csv %lld rows, labels.csv %lld rows (churn rate %.1f%%)\n",
               cfg.out_dir.c_str(), static_cast<long long>(customers.rows()),
               static_cast<long long>(transactions.rows()),
               static_cast<long long>(tickets_csv.rows()), static_cast<long long>(labels.rows()),
               100.0 * static_cast<double>(churned) / static_cast<double>(cfg.customers));
  return 0;
}
