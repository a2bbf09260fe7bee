"""paasta_proto_library: a .proto file to a cc_library with messages and gRPC stubs.

The project's one Bazel macro. It runs Debian's protoc and grpc_cpp_plugin in a
genrule (nothing is downloaded), so imports resolve against the workspace root
(`import "protos/types.proto";`) and against /usr/include for the well-known types
(`import "google/protobuf/timestamp.proto";`, linked from libprotobuf).

Example:

    paasta_proto_library(
        name = "agent_proto",
        srcs = ["agent.proto"],
        deps = [":types_proto"],
    )

gives `:agent_proto` (a cc_library; include "protos/agent.pb.h" and
"protos/agent.grpc.pb.h") and `:agent_proto_files` (the .proto files of the target
and of its deps, for the protoc of dependents).
"""

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def paasta_proto_library(name, srcs, deps = [], visibility = None, testonly = False):
    """Generates C++ messages and gRPC stubs for srcs.

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other paasta_proto_library targets whose files srcs import.
      visibility: visibility of the generated targets.
      testonly: whether only tests may depend on it.
    """
    package = native.package_name()
    native.filegroup(
        name = name + "_files",
        srcs = srcs + [dep + "_files" for dep in deps],
        visibility = visibility,
        testonly = testonly,
    )

    stems = [src[:-len(".proto")] for src in srcs]
    headers = []
    sources = []
    for stem in stems:
        headers += [stem + ".pb.h", stem + ".grpc.pb.h"]
        sources += [stem + ".pb.cc", stem + ".grpc.pb.cc"]

    proto_paths = " ".join([(package + "/" if package else "") + src for src in srcs])
    native.genrule(
        name = name + "_generate",
        srcs = [name + "_files"],
        outs = headers + sources,
        cmd = " ".join([
            _PROTOC,
            "--proto_path=.",
            "--proto_path=/usr/include",
            "--cpp_out=$(GENDIR)",
            "--grpc_out=$(GENDIR)",
            "--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN,
            proto_paths,
        ]),
        message = "Generating C++ and gRPC code for " + ", ".join(srcs),
        testonly = testonly,
    )

    native.cc_library(
        name = name,
        srcs = sources,
        hdrs = headers,
        deps = deps + [
            "//third_party:grpc",
            "//third_party:protobuf",
        ],
        visibility = visibility,
        testonly = testonly,
    )
