#include "proxy/compat/toxics.h"

#include <cmath>

#include "config/loader.h"
#include "config/value.h"

namespace faultline::proxy::toxiproxy {

namespace {

// Every attribute of every toxic is an integer in Toxiproxy (Go int/int64), in this order.
struct ToxicType {
  const char* type;
  std::vector<const char*> attributes;
};

const std::vector<ToxicType>& toxic_types() {
  static const std::vector<ToxicType> types = {
      {"latency", {"latency", "jitter"}}, {"bandwidth", {"rate"}},
      {"slow_close", {"delay"}},          {"timeout", {"timeout"}},
      {"reset_peer", {"timeout"}},        {"slicer", {"average_size", "size_variation", "delay"}},
      {"limit_data", {"bytes"}},          {"noop", {}},
  };
  return types;
}

const ToxicType* find_type(const std::string& type) {
  for (const auto& t : toxic_types())
    if (type == t.type) return &t;
  return nullptr;
}

std::string go_value_kind(const Json& value) {
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "bool";
  if (value.is_array()) return "array";
  if (value.is_object()) return "object";
  return "number " + value.dump();
}

int64_t attr(const Toxic& toxic, const char* key) {
  return toxic.attributes.value(key, int64_t{0});
}

std::string ms(int64_t value) {
  return std::to_string(value) + "ms";
}

}  // namespace

Json toxic_json(const Toxic& toxic) {
  Json out;
  out["name"] = toxic.name;
  out["type"] = toxic.type;
  out["stream"] = toxic.stream;
  // Go writes a float32 1 as 1, not 1.0.
  if (toxic.toxicity == std::floor(toxic.toxicity))
    out["toxicity"] = static_cast<int64_t>(toxic.toxicity);
  else
    out["toxicity"] = toxic.toxicity;
  out["attributes"] = toxic.attributes;
  return out;
}

std::optional<Json> default_attributes(const std::string& type) {
  const ToxicType* t = find_type(type);
  if (!t) return std::nullopt;
  Json out = Json::object();
  for (const char* key : t->attributes) out[key] = 0;
  return out;
}

std::string merge_attributes(const std::string& type, const Json& given, Json& attributes) {
  const ToxicType* t = find_type(type);
  if (!t) return "invalid toxic type";
  if (given.is_null()) return {};
  if (!given.is_object())
    return "json: cannot unmarshal " + go_value_kind(given) + " into Go value of type toxics." +
           type;
  Json next = attributes;
  for (const char* key : t->attributes) {
    auto it = given.find(key);
    if (it == given.end() || it->is_null()) continue;
    if (!it->is_number_integer())
      return "json: cannot unmarshal " + go_value_kind(*it) + " into Go struct field ." + key +
             " of type int64";
    next[key] = it->get<int64_t>();
  }
  attributes = std::move(next);
  return {};
}

std::optional<config::ExperimentConfig> toxic_experiment(const Toxic& toxic,
                                                         const std::string& listener,
                                                         const std::string& experiment_name,
                                                         config::Duration ttl, std::string& error) {
  Json fault;
  const std::string& type = toxic.type;
  if (type == "latency") {
    if (attr(toxic, "latency") == 0 && attr(toxic, "jitter") == 0) return std::nullopt;
    fault = {{"type", "latency"},
             {"delay", ms(attr(toxic, "latency"))},
             {"jitter", ms(attr(toxic, "jitter"))}};
  } else if (type == "bandwidth") {
    if (attr(toxic, "rate") <= 0) return std::nullopt;  // Toxiproxy: unlimited
    fault = {{"type", "bandwidth"}, {"rate", std::to_string(attr(toxic, "rate")) + "KB/s"}};
  } else if (type == "slow_close") {
    fault = {{"type", "slow_close"}, {"delay", ms(attr(toxic, "delay"))}};
  } else if (type == "timeout") {
    fault = {{"type", "blackhole"}, {"close_after", ms(attr(toxic, "timeout"))}};
  } else if (type == "reset_peer") {
    // Toxiproxy drops the stream's first chunk and resets `timeout` ms after it.
    fault = {{"type", "reset"}, {"phase", "data"}, {"delay", ms(attr(toxic, "timeout"))}};
  } else if (type == "slicer") {
    const int64_t average = attr(toxic, "average_size");
    int64_t variation = attr(toxic, "size_variation");
    if (variation >= average) variation = average > 0 ? average - 1 : 0;
    // Toxiproxy's delay is in microseconds; faultline's timers tick in milliseconds.
    fault = {{"type", "slice"},
             {"average_size", average},
             {"size_variation", variation},
             {"delay", ms((attr(toxic, "delay") + 999) / 1000)}};
  } else if (type == "limit_data") {
    if (attr(toxic, "bytes") <= 0)  // nothing may pass: drop it and close at once
      fault = {{"type", "blackhole"}, {"close_after", "1ms"}};
    else
      fault = {{"type", "limit_data"}, {"bytes", attr(toxic, "bytes")}};
  } else {
    return std::nullopt;  // noop
  }
  // The stream is a TCP direction; slow_close acts on the whole connection.
  if (type != "slow_close") fault["direction"] = toxic.stream;
  Json experiment = {{"name", "toxiproxy"},
                     {"description", "Toxiproxy toxic \"" + toxic.name + "\" (" + type + ", " +
                                         toxic.stream + ")"},
                     {"listeners", Json::array({listener})},
                     {"duration", config::format_duration(ttl)},
                     {"match", {{"percentage", toxic.toxicity * 100.0}}},
                     {"faults", Json::array({fault})}};
  config::Diagnostics diags;
  auto decoded = config::decode_experiment_json(experiment.dump(), diags);
  if (!decoded || !diags.ok()) {
    error = diags.items().empty() ? "invalid toxic" : diags.items().front().message;
    return std::nullopt;
  }
  decoded->name = experiment_name;  // Toxiproxy's names need not be faultline's a-z0-9-
  return decoded;
}

}  // namespace faultline::proxy::toxiproxy
