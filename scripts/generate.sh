#!/usr/bin/env bash
# Regenerates the committed Go code for Spindle's .proto files
# (hadooprpc/internal/rpcpb, hadooprpc/yarnpb). Run from anywhere:
#   scripts/generate.sh
# Needs protoc (installed with apt-get when missing and running as root) and
# protoc-gen-go at the version pinned below (installed with go install into a
# cache directory when missing). Output depends only on those two versions,
# so running it twice gives no diff.
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v protoc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "generate: protoc missing; installing protobuf-compiler with apt-get" >&2
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y protobuf-compiler >/dev/null
  else
    echo "generate: protoc not found; install protobuf-compiler (e.g. apt-get install protobuf-compiler) and retry" >&2
    exit 1
  fi
fi

# Use a protoc-gen-go of exactly the pinned version: the generated code names
# the plugin version, so another version would show up as a diff.
plugin=""
if command -v protoc-gen-go >/dev/null 2>&1 &&
  [ "$(protoc-gen-go --version 2>/dev/null)" = "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]; then
  plugin="$(command -v protoc-gen-go)"
else
  gobin="$(go env GOPATH)/bin"
  if [ ! -x "$gobin/protoc-gen-go" ] ||
    [ "$("$gobin/protoc-gen-go" --version 2>/dev/null)" != "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]; then
    echo "generate: installing protoc-gen-go $PROTOC_GEN_GO_VERSION into $gobin" >&2
    GOBIN="$gobin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
  fi
  plugin="$gobin/protoc-gen-go"
fi

# Files are compiled with the repository root as the include path, so each is
# registered under its repository path (e.g. hadooprpc/yarnpb/yarn.proto) and
# cannot clash with the file names other Hadoop client libraries register.
for dir in hadooprpc/internal/rpcpb hadooprpc/yarnpb; do
  mapfile -t files < <(LC_ALL=C ls "$dir"/*.proto)
  rm -f "$dir"/*.pb.go
  protoc -I . --plugin=protoc-gen-go="$plugin" \
    --go_out=. --go_opt=paths=source_relative "${files[@]}"
done
gofmt -l hadooprpc/internal/rpcpb hadooprpc/yarnpb | (! grep .) || {
  echo "generate: generated code is not gofmt-clean" >&2
  exit 1
}
echo "generate: ok ($(protoc --version), protoc-gen-go $PROTOC_GEN_GO_VERSION)" >&2
