// The Branin function, a standard test of global optimisers, as a tiny program for
// `mloop tune`: `branin X1 X2` prints `loss=<value>`. Domain x1 in [-5, 10], x2 in [0, 15];
// minimum 0.397887 at (-pi, 12.275), (pi, 2.275) and (9.42478, 2.475).
#include <cmath>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: branin X1 X2\n");
    return 2;
  }
  char* end1 = nullptr;
  char* end2 = nullptr;
  const double x1 = std::strtod(argv[1], &end1);
  const double x2 = std::strtod(argv[2], &end2);
  if (*argv[1] == '\0' || *end1 != '\0' || *argv[2] == '\0' || *end2 != '\0') {
    std::fprintf(stderr, "branin: X1 and X2 must be numbers\n");
    return 2;
  }
  const double pi = 3.14159265358979323846;
  const double a = 1, b = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, s = 10, t = 1 / (8 * pi);
  const double y = x2 - b * x1 * x1 + c * x1 - r;
  const double loss = a * y * y + s * (1 - t) * std::cos(x1) + s;
  std::printf("loss=%.17g\n", loss);
  return 0;
}
