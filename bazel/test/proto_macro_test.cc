// paasta_proto_library builds a proto that imports a project proto and
// google/protobuf/timestamp.proto, and the messages round-trip through bytes.
#include <string>

#include "bazel/test/envelope.grpc.pb.h"
#include "bazel/test/envelope.pb.h"
#include "gtest/gtest.h"

namespace {

TEST(ProtoMacroTest, MessageWithImportsRoundTrips) {
  paasta::test::Envelope envelope;
  envelope.mutable_instance()->set_service("example_service");
  envelope.mutable_instance()->set_instance("main");
  envelope.mutable_instance()->set_cluster("local");
  envelope.mutable_sent_at()->set_seconds(1461628800);  // 2016-04-26T00:00:00Z
  envelope.mutable_sent_at()->set_nanos(5);
  envelope.set_note("hello");

  std::string bytes;
  ASSERT_TRUE(envelope.SerializeToString(&bytes));
  ASSERT_FALSE(bytes.empty());

  paasta::test::Envelope parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.instance().service(), "example_service");
  EXPECT_EQ(parsed.instance().instance(), "main");
  EXPECT_EQ(parsed.instance().cluster(), "local");
  EXPECT_EQ(parsed.sent_at().seconds(), 1461628800);
  EXPECT_EQ(parsed.sent_at().nanos(), 5);
  EXPECT_EQ(parsed.note(), "hello");
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
}

TEST(ProtoMacroTest, ServiceStubsAreGenerated) {
  // The generated service descriptor names the method with its full path.
  const auto* service = paasta::test::Envelope::descriptor()->file()->FindServiceByName("Echo");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->full_name(), "paasta.test.Echo");
  ASSERT_EQ(service->method_count(), 1);
  EXPECT_EQ(service->method(0)->input_type()->full_name(), "paasta.test.Envelope");
  // The stub class exists and names the same method.
  EXPECT_STREQ(paasta::test::Echo::service_full_name(), "paasta.test.Echo");
}

}  // namespace
