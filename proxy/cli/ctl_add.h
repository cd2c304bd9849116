#pragma once
// `faultline ctl add NAME --type KIND [flags]`: one experiment with one fault, built from
// flags, so that a test or a game day needs no file. Each fault key has its flag (the key with
// '-' for '_': --delay, --status, --after-bytes ...; stall's `duration` is --stall-for, since
// --duration is the experiment's), any key can be given as --set KEY=VALUE, and the
// experiment's own keys have theirs (--listener, --percentage, --duration/--ttl, --path ...).
// The server validates the result exactly as it validates `ctl apply`.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace faultline::proxy {

class AddFlags {
 public:
  // Declares the flags on `add`, the verb's subcommand; values land in this object.
  void declare(CLI::App& add);
  // The experiment named `name` as the admin API takes it, or false with a usage error (an
  // unknown --type, a value of the wrong shape) in `error`.
  bool build(const std::string& name, nlohmann::json& experiment, std::string& error) const;
  // --replace: create or replace (PUT) instead of create only (POST, 409 if it exists).
  bool replace() const { return replace_; }

 private:
  struct KeyOption {
    std::string key;
    std::string flag;
    uint8_t value = 0;  // ctl_add.cc's Value: text, number or true/false
    CLI::Option* option = nullptr;
  };

  std::string type_;
  std::map<std::string, std::string> text_;  // flag -> value, for the key flags
  std::vector<KeyOption> keys_;
  std::vector<std::string> abort_headers_;  // NAME=VALUE
  std::vector<std::string> set_;            // KEY=VALUE
  std::string percentage_;
  std::vector<std::string> listeners_;
  std::string duration_;
  std::string description_;
  std::string trigger_;
  std::string max_active_;
  bool dry_run_ = false;
  bool paused_ = false;
  bool replace_ = false;
  std::vector<std::string> paths_;
  std::vector<std::string> methods_;
  std::vector<std::string> match_headers_;  // NAME=VALUE
  std::vector<std::string> sources_;
  std::string match_percentage_;
  std::string sample_by_;
  CLI::Option* percentage_option_ = nullptr;
  CLI::Option* max_active_option_ = nullptr;
  CLI::Option* match_percentage_option_ = nullptr;
};

}  // namespace faultline::proxy
