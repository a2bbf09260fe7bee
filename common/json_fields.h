// Reading fields of JSON that comes from elsewhere (Marathon, Chronos) without
// trusting their types: a field that is missing or of another type gives the
// fallback, never an exception (nlohmann's value() throws on a type mismatch).
#ifndef PAASTA_COMMON_JSON_FIELDS_H_
#define PAASTA_COMMON_JSON_FIELDS_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"

namespace paasta {

std::string StringField(const nlohmann::json& object, const char* key, const std::string& fallback = "");
int64_t IntField(const nlohmann::json& object, const char* key, int64_t fallback = 0);
bool BoolField(const nlohmann::json& object, const char* key, bool fallback);

}  // namespace paasta

#endif  // PAASTA_COMMON_JSON_FIELDS_H_
