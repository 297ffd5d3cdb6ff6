// Package hadooprpc is Spindle's JVM-free Hadoop client: typed clients for
// the three YARN protocols (client→ResourceManager, AM→ResourceManager,
// AM→NodeManager), ResourceManager HA failover, and the errors callers test
// with errors.Is. The wire protocol (framing, SASL) lives in internal/ipc and
// internal/sasl; configuration in conf, token files in credentials, and the
// protobuf messages in yarnpb.
package hadooprpc
