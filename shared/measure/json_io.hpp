// Reading and writing the results file's JSON (results.cpp): the field accessors that name
// what they failed on, shared by the writers of the file's parts.
#pragma once
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "measure/results.hpp"
#include "train/error.hpp"

namespace gd::json_io {

using Json = nlohmann::ordered_json;  // keeps fields in the documented order

inline Json opt(const std::optional<double>& v) { return v && std::isfinite(*v) ? Json(*v) : Json(nullptr); }
inline Json num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }
inline Json flag_names(const std::vector<Flag>& flags) {
  Json out = Json::array();
  for (Flag f : flags) out.push_back(std::string(flag_name(f)));
  return out;
}

// Reading: every accessor names the field it failed on, e.g. "cells[3].rep_seconds".
struct In {
  const std::string& source;

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw UsageError(fmt::format("{}: {}: {} (not a valid gdlab results file)", source, where, what));
  }
  const Json& field(const Json& j, const char* key, const std::string& where) const {
    if (!j.is_object()) fail(where, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) fail(where + "." + key, "missing");
    return *it;
  }
  std::string str(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (!v.is_string()) fail(where + "." + key, "expected a string");
    return v.get<std::string>();
  }
  double number(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (!v.is_number()) fail(where + "." + key, "expected a number");
    return v.get<double>();
  }
  long integer(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (!v.is_number_integer()) fail(where + "." + key, "expected an integer");
    return v.get<long>();
  }
  bool boolean(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (!v.is_boolean()) fail(where + "." + key, "expected true or false");
    return v.get<bool>();
  }
  std::optional<double> opt_number(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (v.is_null()) return std::nullopt;
    if (!v.is_number()) fail(where + "." + key, "expected a number or null");
    return v.get<double>();
  }
  const Json& array(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (!v.is_array()) fail(where + "." + key, "expected an array");
    return v;
  }
  std::vector<double> numbers(const Json& j, const char* key, const std::string& where) const {
    std::vector<double> out;
    for (const Json& v : array(j, key, where)) {
      if (!v.is_number()) fail(where + "." + key, "expected an array of numbers");
      out.push_back(v.get<double>());
    }
    return out;
  }
  template <class T>
  std::vector<T> list(const Json& j, const char* key, const std::string& where) const {
    std::vector<T> out;
    for (const Json& v : array(j, key, where)) {
      if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) fail(where + "." + key, "expected an array of strings");
      } else {
        if (!v.is_number_integer()) fail(where + "." + key, "expected an array of integers");
      }
      out.push_back(v.get<T>());
    }
    return out;
  }
  std::map<std::string, std::string> strings(const Json& j, const char* key, const std::string& where) const {
    const Json& v = field(j, key, where);
    if (!v.is_object()) fail(where + "." + key, "expected an object");
    std::map<std::string, std::string> out;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.value().is_string()) fail(where + "." + key + "." + it.key(), "expected a string");
      out[it.key()] = it.value().get<std::string>();
    }
    return out;
  }
};

}  // namespace gd::json_io
