# Spindle's build. `make test` is what CI runs (through .ci/run).
GO        ?= go
BIN       ?= bin/spindle
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/spindle-yarn/spindle/cli.Version=$(VERSION)
MINICLUSTER := integration/minicluster

.PHONY: bench-submit demo all build test unit vet fuzz bench generate minicluster dev-cluster dev-cluster-secure clean

all: build

# The README's main job: a Dask computation on YARN (the local cluster when
# HADOOP_CONF_DIR is unset).
demo: build minicluster
	$(GO) run ./integration/cmd/demo --binary $(BIN)


# One static binary: the same file runs on the edge node, in the AM and in
# every container, on any Linux NodeManager.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/spindle

# The dask-spindle wheel (python/), with this spindle binary inside, in dist/.
# Its build backend (python/_build) runs go build; pip needs no index for it.
PYTHON ?= python3
.PHONY: wheel
wheel:
	$(PYTHON) -m pip wheel --no-deps --disable-pip-version-check --no-input -w dist ./python

# The Java local cluster (MiniDFSCluster + MiniYARNCluster) the tests run against.
# Quiet and colourless: -q, -Dstyle.color=never, and .mvn/jvm.config's
# -Djansi.noreset=true (Maven 3.8's jansi prints reset codes even with -B -q).
minicluster:
	cd $(MINICLUSTER) && mvn -B -q -Dstyle.color=never package -DskipTests

# Unit and integration tests together; integration tests start the local
# Hadoop cluster themselves (once per test binary).
test: vet minicluster
	$(GO) test -count=1 -timeout 30m ./...

# Unit tests only, no Hadoop cluster.
unit:
	$(GO) test -count=1 -short ./...

vet:
	$(GO) vet ./...

# Each fuzz target for a short while (FUZZTIME=1m for longer).
FUZZTIME ?= 15s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -short -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -short -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Submit to scheduler address, address to ready workers, AM peak memory.
bench-submit: build minicluster
	$(GO) run ./integration/cmd/bench-submit --binary $(BIN)

# dask-spindle: YarnCluster() to Client(cluster) connected, scale(4) to 4 workers.
.PHONY: bench-python
bench-python: build minicluster
	$(GO) run ./integration/cmd/bench-python --binary $(BIN)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# Regenerates the committed Go code for our .proto subset.
generate:
	bash scripts/generate.sh

# The local cluster in the foreground, for a person: prints the
# `export HADOOP_CONF_DIR=...` line to paste. Ctrl-C stops it. A built
# binary, not `go run`: go run exits 1 on Ctrl-C, and make then says Error 1.
dev-cluster: minicluster
	$(GO) build -o bin/dev-cluster ./integration/cmd/dev-cluster
	bin/dev-cluster

# The same, Kerberized (a KDC, keytabs, a ticket cache for you); prints
# `export HADOOP_CONF_DIR=... KRB5_CONFIG=... KRB5CCNAME=...`.
# RPC_PROTECTION=privacy encrypts RPC and DataNode transfers; HTTPS=1 serves
# YARN's web (NodeManager logs) over HTTPS only.
RPC_PROTECTION ?= authentication
dev-cluster-secure: minicluster
	$(GO) build -o bin/dev-cluster ./integration/cmd/dev-cluster
	bin/dev-cluster --secure --rpc-protection $(RPC_PROTECTION) $(if $(HTTPS),--https)

clean:
	rm -rf bin dist $(MINICLUSTER)/target

# Packs one dask venv with spindle and with venv-pack; prints time and size.
.PHONY: bench-envpack
bench-envpack:
	bash scripts/bench-envpack.sh

# Times `spindle logs` against `yarn logs` (Hadoop's LogsCLI on a JVM) for the
# same applications on the local cluster (HADOOP_CONF_DIR's, or a new one).
.PHONY: bench-logs
bench-logs: build minicluster
	bash scripts/bench-logs.sh
