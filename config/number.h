#pragma once
// The one rule for numbers, in config files (TOML) and admin-API bodies (JSON) alike. Every
// integer field (config keys, experiment keys, fault parameters) and every number field reads
// its value through these two functions, so a value means the same thing wherever it is written.
#include <cstdint>
#include <optional>

#include "config/node.h"

namespace faultline::config {

// An integer, or a float whose value is a whole number (10.0, 1e3). JSON has one number type
// and common writers emit 10.0 for 10 (Python's json for a float, jq arithmetic, YAML-to-JSON
// converters); the value is exact, so accepting it loses nothing, while refusing it would make
// "status": 503.0 fail where a user sees 503. A fraction (10.5), a non-finite value and a
// magnitude of 2^53 or more (where doubles no longer hold every integer) are refused, never
// rounded. TOML follows the same rule so that a config converted between the formats means the
// same. nullopt for anything else; the caller reports it in its own words.
std::optional<int64_t> integer_value(const Node& node);

// An integer or a finite float; nullopt for anything else (NaN and inf included).
std::optional<double> number_value(const Node& node);

}  // namespace faultline::config
