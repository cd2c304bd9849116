#pragma once
// Toxiproxy's toxics as faultline faults: each toxic's attributes (with Toxiproxy's defaults and
// JSON types) and the TCP experiment that does what the toxic does.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "config/schema.h"

namespace faultline::proxy::toxiproxy {

using Json = nlohmann::ordered_json;

struct Toxic {
  std::string name;
  std::string type;
  std::string stream = "downstream";  // "upstream": client -> server
  double toxicity = 1.0;              // the share of connections it applies to
  Json attributes;                    // every attribute of the type, defaults included
  std::string experiment;             // the faultline experiment behind it; "" = no effect
};

// Toxiproxy's JSON for a toxic: {"name","type","stream","toxicity","attributes"}.
Json toxic_json(const Toxic& toxic);

// The type's attributes at their defaults; nullopt for an unknown type.
std::optional<Json> default_attributes(const std::string& type);

// Merges `given` (a JSON object from a request) into `attributes`; "" on success, else Go's
// style of decoding error ("json: cannot unmarshal ...").
std::string merge_attributes(const std::string& type, const Json& given, Json& attributes);

// The experiment that gives `toxic` on listener `listener` its effect; nullopt when the toxic
// does nothing (noop, a zero latency, bandwidth 0 = unlimited as in Toxiproxy).
std::optional<config::ExperimentConfig> toxic_experiment(const Toxic& toxic,
                                                         const std::string& listener,
                                                         const std::string& experiment_name,
                                                         config::Duration ttl, std::string& error);

}  // namespace faultline::proxy::toxiproxy
