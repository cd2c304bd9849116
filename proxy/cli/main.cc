// faultline: a chaos-engineering fault-injection sidecar proxy. The command line is cli.cc's.
#include "proxy/cli/cli.h"

int main(int argc, char** argv) {
  return faultline::proxy::run_cli(argc, argv);
}
