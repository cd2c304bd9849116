#include "proxy/cli/ctl.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "proxy/cli/ctl_add.h"
#include "proxy/cli/ctl_client.h"
#include "proxy/cli/fleet.h"

namespace faultline::proxy {
namespace {

constexpr const char* kDefaultAdminUrl = "http://127.0.0.1:9901";
constexpr const char* kFlags = "[--admin URL] [--token T] [--json]";
constexpr const char* kExitCodes =
    "exit codes: 0 ok, 1 the admin API answered with an error, 2 usage or invalid FILE, "
    "3 admin API unreachable, 4 missing or wrong token, 5 (--k8s) some pod failed or none "
    "matched";

// What a verb is called with: its NAME or FILE, and for `add` the experiment its flags built.
struct VerbInput {
  std::string argument;
  nlohmann::json experiment;
  bool replace = false;
};

// One verb of `faultline ctl`: its subcommand, the one argument it takes if any, and the call.
struct Verb {
  std::string name;
  std::string help;
  std::string argument;  // "NAME", "FILE", or empty for none
  std::string argument_help;
  std::function<int(CtlClient&, const VerbInput&)> run;
  bool add_flags = false;  // takes AddFlags (ctl_add.h)

  std::string synopsis() const { return argument.empty() ? name : name + " " + argument; }
};

const std::vector<Verb>& verbs() {
  using C = CtlClient;
  using A = const VerbInput&;
  static const std::vector<Verb> table = {
      {"status", "show the proxy's state: halt, version, uptime, listeners, last reload", "", "",
       [](C& c, A) { return c.status(); }},
      {"ls", "list the experiments with their state, counters and expiry", "", "",
       [](C& c, A) { return c.ls(); }},
      {"get", "show one experiment: state, counters and definition", "NAME",
       "the experiment to show", [](C& c, A in) { return c.get(in.argument); }},
      {"apply", "create or replace one experiment from a TOML or JSON file", "FILE",
       "the experiment file, TOML or JSON; - reads standard input",
       [](C& c, A in) { return c.apply(in.argument); }},
      {"add",
       "create an experiment with one fault from flags: add NAME --type KIND [--delay D] "
       "[--listener L] [--percentage P] [--duration D] ... (`ctl add --help` lists them)",
       "NAME", "the experiment to create",
       [](C& c, A in) { return c.add(in.argument, in.experiment, in.replace); }, true},
      {"pause", "pause an experiment", "NAME", "the experiment to pause",
       [](C& c, A in) { return c.pause(in.argument); }},
      {"resume", "resume a paused experiment", "NAME", "the experiment to resume",
       [](C& c, A in) { return c.resume(in.argument); }},
      {"rm", "stop and remove an experiment", "NAME", "the experiment to remove",
       [](C& c, A in) { return c.rm(in.argument); }},
      {"halt", "the kill switch: stop every fault and ignore header triggers until unhalt", "", "",
       [](C& c, A) { return c.halt(); }},
      {"unhalt", "let faults apply again after a halt", "", "", [](C& c, A) { return c.unhalt(); }},
      {"events", "show the audit trail: time, client, action, experiment, result", "", "",
       [](C& c, A) { return c.events(); }},
      {"reload", "reload the config file, as SIGHUP does", "", "",
       [](C& c, A) { return c.reload(); }},
  };
  return table;
}

// "usage: ..." after a usage error: the verb's own line, or every verb when none was given.
std::string usage_text(const Verb* verb) {
  const std::string head = std::string("usage: faultline ctl ") + kFlags + " ";
  if (verb != nullptr) return head + verb->synopsis() + "\n";
  std::string text = head + "VERB\nverbs: ";
  size_t line_start = text.size() - 7;
  for (size_t i = 0; i < verbs().size(); ++i) {
    const std::string item = verbs()[i].synopsis() + (i + 1 < verbs().size() ? " |" : "");
    if (text.size() - line_start + item.size() > 88) {
      text += "\n       ";
      line_start = text.size() - 7;
    } else if (i > 0) {
      text += ' ';
    }
    text += item;
  }
  return text + "\n`faultline ctl --help` and `faultline ctl VERB --help` say more\n";
}

// The command line of `faultline ctl`, one CLI11 subcommand per verb. Built per run.
class CtlCommandLine {
 public:
  CtlCommandLine();
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

 private:
  struct VerbCommand {
    const Verb* verb;
    CLI::App* app;
    CLI::Option* argument;  // nullptr for a verb without one
  };

  const VerbCommand* parsed_verb() const;
  bool json_wanted() const;
  std::string shape_problem(const std::vector<std::string>& args, const VerbCommand*& verb) const;
  int usage(CtlClient& client, std::ostream& err, const std::string& message,
            const VerbCommand* verb) const;

  CLI::App app_{"faultline ctl: the admin API client", "faultline ctl"};
  std::string admin_url_ = kDefaultAdminUrl;
  std::string token_;
  bool json_ = false;
  std::string argument_;  // the parsed verb's NAME or FILE
  CLI::Option* json_flag_ = nullptr;
  std::vector<VerbCommand> verb_commands_;
  AddFlags add_flags_;
  bool k8s_ = false;  // SPEC §11: every matching pod, through the API server (fleet.h)
  FleetOptions fleet_;
};

CtlCommandLine::CtlCommandLine() {
  app_.get_formatter()->label("SUBCOMMAND", "VERB");
  app_.add_option("--admin", admin_url_, "admin API URL; the flag wins over $FAULTLINE_ADMIN")
      ->envname("FAULTLINE_ADMIN")
      ->type_name("URL")
      ->capture_default_str();
  app_.add_option("--token", token_, "bearer token; the flag wins over $FAULTLINE_TOKEN")
      ->envname("FAULTLINE_TOKEN")
      ->type_name("T");
  json_flag_ = app_.add_flag("--json", json_, "print the raw JSON answer, and errors as JSON");
  app_.add_flag("--k8s", k8s_,
                "send the verb to every running pod matching -l, through the Kubernetes API "
                "server's pod proxy (kubectl proxy); one row per pod");
  app_.add_option("-n,--namespace", fleet_.namespace_name,
                  "with --k8s: the pods' namespace (default: the kubeconfig context's)")
      ->type_name("NS");
  app_.add_option("-l,--selector", fleet_.selector, "with --k8s: a label selector (app=checkout)")
      ->type_name("SELECTOR");
  app_.add_option("--k8s-proxy", fleet_.proxy_url,
                  "with --k8s: a running `kubectl proxy` URL instead of starting one")
      ->type_name("URL");
  app_.add_option("--parallel", fleet_.parallel, "with --k8s: pods talked to at once")
      ->type_name("N")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app_.add_option("--admin-port", fleet_.admin_port,
                  "with --k8s: the admin port (default: the faultline container's port named "
                  "\"faultline-admin\" or \"admin\", else 9901)")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535));
  app_.footer(std::string("The options go before or after the verb.\n") + kExitCodes);
  const std::string verb_footer = std::string("--admin URL, --token T and --json (see ") +
                                  "`faultline ctl --help`) go before or after the verb.\n" +
                                  kExitCodes;
  for (const Verb& verb : verbs()) {
    CLI::App* sub = app_.add_subcommand(verb.name, verb.help);
    sub->group("Verbs");
    sub->footer(verb_footer);
    // The options of `ctl` are accepted after the verb too.
    sub->fallthrough();
    CLI::Option* argument = nullptr;
    if (!verb.argument.empty())
      argument =
          sub->add_option(verb.argument, argument_, verb.argument_help)->required()->type_name("");
    if (verb.add_flags) add_flags_.declare(*sub);
    verb_commands_.push_back({&verb, sub, argument});
  }
  // Exactly one verb: once it is parsed, no later word is taken for another verb (an
  // experiment may be called "ls"). Words left over are diagnosed by shape_problem.
  app_.require_subcommand(1);
  app_.allow_extras();
}

const CtlCommandLine::VerbCommand* CtlCommandLine::parsed_verb() const {
  for (const VerbCommand& command : verb_commands_)
    if (command.app->parsed()) return &command;
  return nullptr;
}

// --json as given, read from the flag's count: a parse error can come before the flag's value
// is stored.
bool CtlCommandLine::json_wanted() const {
  if (json_flag_->count() == 0) return false;
  try {
    return json_flag_->as<bool>();
  } catch (const CLI::Error&) {
    return true;
  }
}

// What is wrong with the words given, in ctl's terms (empty when nothing is); `verb` is the
// verb the message is about, if any.
std::string CtlCommandLine::shape_problem(const std::vector<std::string>& args,
                                          const VerbCommand*& verb) const {
  const std::vector<std::string> extras = app_.remaining();
  verb = parsed_verb();
  for (const std::string& extra : extras)
    if (extra.size() > 1 && extra[0] == '-') return "unknown option \"" + extra + "\"";
  const auto position = [&args](const std::string& word) {
    return std::find(args.begin(), args.end(), word) - args.begin();
  };
  if (!extras.empty() && (verb == nullptr || position(extras[0]) < position(verb->verb->name))) {
    verb = nullptr;
    return "unknown verb \"" + extras[0] + "\"";
  }
  if (verb == nullptr) return "no verb given";
  const Verb& v = *verb->verb;
  if (verb->argument != nullptr && verb->argument->count() == 0)
    return v.name + " needs " + v.argument + " (" + v.argument_help + ")";
  if (!extras.empty())
    return verb->argument != nullptr
               ? v.name + " takes one " + v.argument + ", got also \"" + extras[0] + "\""
               : v.name + " takes no argument, got \"" + extras[0] + "\"";
  return {};
}

int CtlCommandLine::usage(CtlClient& client, std::ostream& err, const std::string& message,
                          const VerbCommand* verb) const {
  const int code = client.fail(kCtlUsage, message);
  if (!json_wanted()) err << usage_text(verb != nullptr ? verb->verb : nullptr);
  return code;
}

int CtlCommandLine::run(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  std::string required_error;
  try {
    app_.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app_.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app_.exit(e, out, err);
  } catch (const CLI::RequiredError& e) {
    required_error = e.what();  // a missing verb or argument, said in ctl's terms below
  } catch (const CLI::ParseError& e) {
    CtlClient client(out, err, json_wanted());
    return usage(client, err, e.what(), parsed_verb());
  }
  CtlClient client(out, err, json_wanted());
  const VerbCommand* verb = nullptr;
  std::string problem = shape_problem(args, verb);
  if (problem.empty()) problem = required_error;
  if (!problem.empty()) return usage(client, err, problem, verb);
  VerbInput input{argument_, {}, add_flags_.replace()};
  if (verb->verb->add_flags && !add_flags_.build(argument_, input.experiment, problem))
    return usage(client, err, problem, verb);
  if (k8s_) {
    // Standard input can be read once, not once per pod.
    if (verb->verb->name == "apply" && argument_ == "-")
      return usage(client, err, "--k8s apply needs a FILE, not - (standard input)", verb);
    fleet_.json = json_wanted();
    const bool json = fleet_.json;
    const Verb* chosen = verb->verb;
    return run_fleet(
        fleet_, chosen->name,
        [&](const std::string& url, std::ostream& pod_out, std::ostream& pod_err) {
          CtlClient pod_client(pod_out, pod_err, json);
          const int pod_connected = pod_client.connect(url, token_);
          if (pod_connected != kCtlOk) return pod_connected;
          return chosen->run(pod_client, input);
        },
        out, err);
  }
  const int connected = client.connect(admin_url_.empty() ? kDefaultAdminUrl : admin_url_, token_);
  if (connected != kCtlOk) return connected;
  return verb->verb->run(client, input);
}

}  // namespace

int run_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return CtlCommandLine().run(args, out, err);
}

int run_ctl(const CtlOptions& options, const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err) {
  std::vector<std::string> line;
  if (!options.admin_url.empty()) line.push_back("--admin=" + options.admin_url);
  if (!options.token.empty()) line.push_back("--token=" + options.token);
  if (options.json) line.push_back("--json");
  line.insert(line.end(), args.begin(), args.end());
  return run_ctl(line, out, err);
}

void add_ctl_command(CLI::App& app, int& exit_code) {
  std::string verb_list;
  for (const Verb& verb : verbs()) verb_list += (verb_list.empty() ? "" : ", ") + verb.synopsis();
  CLI::App* ctl = app.add_subcommand("ctl", "admin API client: " + verb_list);
  // Every word after `ctl`, --help included, is left to ctl's own command line (run_ctl), so
  // that its verbs, help and errors (JSON with --json) are its own.
  ctl->prefix_command();
  ctl->set_help_flag();
  ctl->callback([ctl, &exit_code] { exit_code = run_ctl(ctl->remaining(), std::cout, std::cerr); });
}

}  // namespace faultline::proxy
