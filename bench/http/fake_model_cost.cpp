// Prints what one POST /invocations costs in fake_model.h, without HTTP: parse + predict + format,
// and predict alone, in microseconds per row (single thread).
#include <chrono>
#include <cstdio>
#include <string>

#include "fake_model.h"

int main() {
  std::string rows[16];
  unsigned s = 1;
  for (auto& r : rows) {
    for (int i = 0; i < fake::kFeatures; ++i) {
      s = s * 1103515245u + 12345u;
      char b[32];
      std::snprintf(b, sizeof b, "%s%.6f", i ? "," : "", ((s >> 8) % 20000) / 5000.0 - 2.0);
      r += b;
    }
  }
  char out[64];
  std::size_t n = 0;
  double sink = 0;
  for (int i = 0; i < 10000; ++i) sink += fake::invocations(rows[i & 15], out, n);
  constexpr int kN = 200000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) {
    fake::invocations(rows[i & 15], out, n);
    sink += out[0];
  }
  auto t1 = std::chrono::steady_clock::now();
  float x[fake::kFeatures];
  fake::parse_row(rows[0], x);
  auto t2 = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) {
    x[i % fake::kFeatures] += 1e-7f;
    sink += fake::model().predict(x);
  }
  auto t3 = std::chrono::steady_clock::now();
  using us = std::chrono::duration<double, std::micro>;
  std::printf("parse+predict+format %.2f us/row, predict alone %.2f us/row (checksum %g)\n",
              us(t1 - t0).count() / kN, us(t3 - t2).count() / kN, sink);
  return 0;
}
