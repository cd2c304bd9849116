#include "proxy/control/halt_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace faultline::proxy::halt_state {

std::string path_in(const std::string& state_dir) {
  return state_dir + "/halted";
}

Result<bool> read(const std::string& state_dir) {
  const std::string path = path_in(state_dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return false;
    return Result<bool>::failure("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text == "true") return true;
  if (text == "false") return false;
  return Result<bool>::failure(path + ": expected \"true\" or \"false\", got \"" +
                               text.substr(0, 32) + "\"");
}

Status write(const std::string& state_dir, bool halted) {
  const std::string path = path_in(state_dir);
  const std::string temporary = path + ".tmp";
  auto fail = [&](const std::string& what) {
    return Status::failure(what + " " + temporary + ": " + std::strerror(errno));
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create");
  const std::string text = halted ? "true\n" : "false\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return fail("cannot write");
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    return Status::failure("cannot rename " + temporary + " to " + path + ": " +
                           std::strerror(errno));
  return Ok{};
}

}  // namespace faultline::proxy::halt_state
