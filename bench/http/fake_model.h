// Shared request handling for the HTTP library benchmark (bench/http_servers.sh).
//
// Every server in bench/http/ answers POST /invocations by calling fake::invocations(), so the
// servers differ only in their HTTP layer. The stand-in model is a fixed ensemble of 100 complete
// binary trees of depth 8 over 28 features, with pseudo-random split features, thresholds and
// leaf values from a fixed seed: walking it costs about as much as scoring one row of an XGBoost
// model of the same shape (a few microseconds), and it reads ~230 KB of tables as a real model's
// nodes would.
#pragma once

#include <fast_float/fast_float.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fake {

inline constexpr int kFeatures = 28;
inline constexpr int kTrees = 100;
inline constexpr int kDepth = 8;
inline constexpr int kInner = (1 << kDepth) - 1;  // 255 split nodes per tree
inline constexpr int kLeaves = 1 << kDepth;       // 256 leaves per tree

struct Ensemble {
  std::array<std::uint8_t, kTrees * kInner> feature{};
  std::array<float, kTrees * kInner> threshold{};
  std::array<float, kTrees * kLeaves> leaf{};

  Ensemble() {
    std::uint64_t s = 0x9E3779B97F4A7C15ULL;
    auto next = [&s] {  // splitmix64
      std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return z ^ (z >> 31);
    };
    auto uniform = [&next] { return static_cast<float>(next() >> 40) / 16777216.0f; };
    for (int i = 0; i < kTrees * kInner; ++i) {
      feature[i] = static_cast<std::uint8_t>(next() % kFeatures);
      threshold[i] = 2.0f * uniform() - 1.0f;
    }
    for (int i = 0; i < kTrees * kLeaves; ++i) leaf[i] = 0.02f * (2.0f * uniform() - 1.0f);
  }

  float predict(const float* x) const {
    float margin = 0.0f;
    for (int t = 0; t < kTrees; ++t) {
      const std::uint8_t* f = feature.data() + t * kInner;
      const float* thr = threshold.data() + t * kInner;
      int node = 0;
      for (int d = 0; d < kDepth; ++d) node = 2 * node + 1 + (x[f[node]] >= thr[node] ? 1 : 0);
      margin += leaf[t * kLeaves + (node - kInner)];
    }
    return 1.0f / (1.0f + __builtin_expf(-margin));  // binary:logistic
  }
};

inline const Ensemble& model() {
  static const Ensemble m;
  return m;
}

// Parses one CSV line of exactly kFeatures numbers (an optional trailing "\r\n" or "\n").
inline bool parse_row(std::string_view body, float* x) {
  const char* p = body.data();
  const char* end = p + body.size();
  while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) --end;
  for (int i = 0; i < kFeatures; ++i) {
    while (p < end && *p == ' ') ++p;
    auto r = fast_float::from_chars(p, end, x[i]);
    if (r.ec != std::errc()) return false;
    p = r.ptr;
    while (p < end && *p == ' ') ++p;
    if (i + 1 < kFeatures) {
      if (p == end || *p != ',') return false;
      ++p;
    }
  }
  return p == end;
}

// The whole of POST /invocations: body in, status and text/csv body out. `out` must hold 64 bytes.
// Returns the status (200, or 400 for a malformed row); out_len is the number of bytes written.
inline int invocations(std::string_view body, char* out, std::size_t& out_len) {
  float x[kFeatures];
  if (!parse_row(body, x)) {
    static constexpr std::string_view msg = "expected one CSV row of 28 numbers\n";
    msg.copy(out, msg.size());
    out_len = msg.size();
    return 400;
  }
  const float y = model().predict(x);
  auto r = std::to_chars(out, out + 62, y);
  *r.ptr++ = '\n';
  out_len = static_cast<std::size_t>(r.ptr - out);
  return 200;
}

inline constexpr std::string_view kContentType = "text/csv";

}  // namespace fake
