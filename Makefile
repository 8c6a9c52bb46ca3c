# spmd — build, demo and test. `make demo` and `make test` set up what they
# need (scripts/setup.sh) on a Debian machine with Go.

GO      ?= go
BIN     := bin
NP      ?= 4
EXAMPLES := $(patsubst examples/%/main.go,%,$(wildcard examples/*/main.go))
TEST_TIMEOUT ?= 15m
FUZZTIME ?= 20s

.PHONY: all setup build demo test vet fmt-check unit bench compare compare-coll fuzz clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	$(GO) build -o $(BIN)/spmdrun ./launcher/cmd/spmdrun
	$(GO) build -o $(BIN)/spmdsubmit ./launcher/cmd/spmdsubmit
	$(GO) build -o $(BIN)/spmdbench ./bench/cmd/spmdbench
	@for e in $(EXAMPLES); do echo "$(GO) build -o $(BIN)/$$e ./examples/$$e"; $(GO) build -o $(BIN)/$$e ./examples/$$e || exit 1; done

## demo: build spmdrun and the examples, then compute pi on $(NP) local ranks.
demo: build
	$(BIN)/spmdrun -n $(NP) --timeout 60s $(BIN)/pi

## test: everything CI runs: formatting, vet, and every test under the race
## detector, including the multi-process runs through spmdrun.
test: setup fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

## bench: point-to-point benchmarks over TCP (in-process ranks).
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./comm/

## compare: spmd against Open MPI and MPICH on this machine, OSU method
## (installs both MPIs from Debian when missing; QUICK=1 for a short run).
## TRANSPORT=shm (default: each one's shared memory) or tcp (forced TCP loopback).
compare: build
	TRANSPORT=$${TRANSPORT:-shm} bash scripts/compare-pt2pt.sh

## compare-coll: collectives at np = 2 and 4 against Open MPI and MPICH.
compare-coll: build
	bash scripts/compare-coll.sh

## fuzz: run every fuzz target for $(FUZZTIME).
fuzz: setup
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeHeader$$' -fuzztime $(FUZZTIME) ./comm/internal/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeHello$$' -fuzztime $(FUZZTIME) ./comm/internal/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime $(FUZZTIME) ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseFrame$$' -fuzztime $(FUZZTIME) ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzPMI2Replies$$' -fuzztime $(FUZZTIME) ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzProxyFrame$$' -fuzztime $(FUZZTIME) ./launcher/
	$(GO) test -run '^$$' -fuzz '^FuzzServeLines$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseBlocked$$' -fuzztime $(FUZZTIME) ./launcher/
	$(GO) test -run '^$$' -fuzz '^FuzzExpand$$' -fuzztime $(FUZZTIME) ./internal/hostlist/
	$(GO) test -run '^$$' -fuzz '^FuzzParseBlockedKey$$' -fuzztime $(FUZZTIME) ./internal/jobnames/
	for f in FuzzParseHostfile FuzzParseTasksPerNode FuzzParseNodefile; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./launcher/sched/ || exit 1; done

clean:
	rm -rf $(BIN)
