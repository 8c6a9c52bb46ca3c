# spmd — build, demo and test. `make demo` and `make test` set up what they
# need (scripts/setup.sh) on a Debian machine with Go.

GO      ?= go
BIN     := bin
NP      ?= 4
EXAMPLES := $(patsubst examples/%/main.go,%,$(wildcard examples/*/main.go))
TEST_TIMEOUT ?= 15m
FUZZTIME ?= 20s

.PHONY: all setup setup-slurm build demo test vet fmt-check unit bench compare compare-coll fuzz clean

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
## detector, including the multi-process runs through spmdrun and, as root,
## the runs under a real Slurm (internal/realsched; SPMD_NO_SLURM=1 skips
## them). Its last line says whether the real-Slurm tests ran, or why not.
test: setup setup-slurm fmt-check vet unit

## setup-slurm: Debian's Slurm and munge for the real-Slurm tests (as root).
setup-slurm:
	@bash scripts/setup-slurm.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	@report=$$(mktemp); \
	SPMD_REALSCHED_REPORT=$$report $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...; st=$$?; \
	if [ -s "$$report" ]; then cat "$$report"; else echo "real Slurm: skipped: its tests did not run to the end (see above)"; fi; \
	rm -f "$$report"; exit $$st

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
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime $(FUZZTIME) ./launcher/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseFrame$$' -fuzztime $(FUZZTIME) ./launcher/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzClient2Replies$$' -fuzztime $(FUZZTIME) ./launcher/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzProxyFrame$$' -fuzztime $(FUZZTIME) ./launcher/
	$(GO) test -run '^$$' -fuzz '^FuzzServeLines$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x ./launcher/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseBlocked$$' -fuzztime $(FUZZTIME) ./launcher/
	for f in FuzzParseHostfile FuzzExpandHostlist FuzzParseTasksPerNode FuzzParseNodefile; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./launcher/sched/ || exit 1; done

clean:
	rm -rf $(BIN)
