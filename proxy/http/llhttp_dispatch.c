/* llhttp's parser in two builds on x86-64 (cmake/Dependencies.cmake): the baseline one, and one
 * compiled for SSE4.2, whose state machine scans header names and values of 16 bytes or more
 * 16 bytes at a time (pcmpestri; 3.4 % fewer instructions per request in the benchmark's small
 * keep-alive exchange, tests/bench). Debian's x86-64 baseline does not include SSE4.2, so the CPU
 * picks one at run time; llhttp_execute() (api.c) calls here instead of the baseline's entry. */
#include <llhttp.h>

int llhttp__internal_execute_sse42(llhttp__internal_t* s, const char* p, const char* endp);

int faultline_llhttp_uses_sse42(void) {
  return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

int faultline_llhttp_execute(llhttp__internal_t* s, const char* p, const char* endp) {
  if (__builtin_cpu_supports("sse4.2")) return llhttp__internal_execute_sse42(s, p, endp);
  return llhttp__internal_execute(s, p, endp);
}
