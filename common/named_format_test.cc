#include "common/named_format.h"

#include "gtest/gtest.h"

namespace paasta {
namespace {

TEST(FormatNamedTest, SubstitutesLikePython) {
  const std::map<std::string, std::string> fields = {
      {"host", "10.0.0.5"}, {"port", "31000"}, {"service", "svc"}};
  EXPECT_EQ(*FormatNamed("http://{host}:{port}/drain", fields), "http://10.0.0.5:31000/drain");
  EXPECT_EQ(*FormatNamed("{{literal}} {service}", fields), "{literal} svc");
  EXPECT_EQ(*FormatNamed("no fields", fields), "no fields");
  EXPECT_EQ(FormatNamed("{nope}", fields).status().message(),
            "has an unknown placeholder {nope}: use {host}, {port}, {service}");
  EXPECT_EQ(FormatNamed("{host", fields).status().message(), "has a \"{\" with no \"}\"");
  EXPECT_EQ(FormatNamed("host}", fields).status().message(), "has a \"}\" with no \"{\"");
}

}  // namespace
}  // namespace paasta
