// Package rpcpb holds the protobuf messages of Hadoop's IPC layer (Hadoop
// 3.4.1 RpcHeader.proto, IpcConnectionContext.proto and the request header of
// ProtobufRpcEngine2.proto): the per-call request and response headers, the
// SASL negotiation message and the connection context.
//
// The messages are wire-identical to Hadoop's (proto2, same numbers, types,
// labels and defaults) but live in the proto package spindle.ipc so that they
// do not clash with colinmarc/hdfs, which registers hadoop.common.*.
// Regenerate with scripts/generate.sh.
package rpcpb
