#include <cstdio>
#include <cstring>

namespace faultline::proxy {
const char* version();
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "version") == 0) {
    std::printf("faultline %s\n", faultline::proxy::version());
    return 0;
  }
  std::fprintf(stderr, "usage: faultline version\n");
  return 1;
}
