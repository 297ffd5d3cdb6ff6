package hadooprpc

// Regenerates the committed protobuf code in internal/rpcpb and yarnpb.
//go:generate ../scripts/generate.sh
