// Package yarnpb holds the protobuf messages Spindle exchanges with YARN:
// Spindle's own .proto subset of Hadoop 3.4.1's yarn_protos.proto,
// yarn_service_protos.proto and Security.proto, with the generated Go code,
// and the protocol and method names of the three YARN RPC protocols.
//
// The messages are wire-identical to Hadoop's (same field numbers, types,
// labels and defaults; proto2 semantics) but live in the proto package
// spindle.yarn, so they register without clashing with other Hadoop client
// libraries in the same binary. Regenerate with scripts/generate.sh.
package yarnpb
