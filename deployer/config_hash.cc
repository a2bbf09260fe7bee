#include "deployer/config_hash.h"

#include <openssl/evp.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace paasta::deployer {
namespace {

void Dump(const nlohmann::json& value, std::string* out) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.items()) {  // std::map: sorted keys
        if (!first) out->append(", ");
        first = false;
        out->append(nlohmann::json(key).dump(-1, ' ', /*ensure_ascii=*/true));
        out->append(": ");
        Dump(item, out);
      }
      out->push_back('}');
      return;
    }
    case nlohmann::json::value_t::array: {
      out->push_back('[');
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out->append(", ");
        Dump(value[i], out);
      }
      out->push_back(']');
      return;
    }
    case nlohmann::json::value_t::number_float: {
      // Python's repr: shortest round-trip digits, ".0" on integral values,
      // exponent form outside 1e-4 <= |x| < 1e16.
      const double number = value.get<double>();
      if (std::isnan(number)) {
        out->append("NaN");
      } else if (std::isinf(number)) {
        out->append(number > 0 ? "Infinity" : "-Infinity");
      } else {
        out->append(value.dump());
      }
      return;
    }
    default:
      out->append(value.dump(-1, ' ', /*ensure_ascii=*/true));
  }
}

}  // namespace

std::string PythonJsonDumps(const nlohmann::json& value) {
  std::string out;
  Dump(value, &out);
  return out;
}

std::string ConfigHash(const nlohmann::json& config, const std::string& force_bounce) {
  const std::string text = PythonJsonDumps(config) + force_bounce;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < 4 && i < length; ++i) absl::StrAppendFormat(&hex, "%02x", digest[i]);
  return "config" + hex;
}

std::string FormatIdPart(const std::string& part) { return absl::StrReplaceAll(part, {{"_", "--"}}); }

std::string AppId(const std::string& service, const std::string& instance, const std::string& git_sha,
                  const std::string& config_hash) {
  return absl::StrCat(FormatIdPart(service), ".", FormatIdPart(instance), ".",
                      FormatIdPart("git" + git_sha.substr(0, 8)), ".", FormatIdPart(config_hash));
}

std::string AppIdPrefix(const std::string& service, const std::string& instance) {
  return absl::StrCat(FormatIdPart(service), ".", FormatIdPart(instance));
}

}  // namespace paasta::deployer
