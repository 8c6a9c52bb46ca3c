# spmd — build, demo and test. `make build` and `make demo` need Go (and a
# C compiler at most) and install nothing: scripts/setup.sh checks Go and
# downloads the modules. `make test` also installs the Debian packages the
# tests use when they are missing (scripts/setup-test.sh).

GO      ?= go
BIN     := bin
NP      ?= 4
EXAMPLES := $(patsubst examples/%/main.go,%,$(wildcard examples/*/main.go))
# Examples that import h5, hence need cgo and the HDF5 library.
HDF5_EXAMPLES := heat2d
TEST_TIMEOUT ?= 15m
FUZZTIME ?= 20s

.PHONY: all setup test-setup setup-hdf5 setup-slurm build demo test lint vet fmt-check unit bench compare compare-coll compare-apps fuzz clean

all: build

setup:
	@bash scripts/setup.sh

## test-setup: setup, and the test-only Debian packages (gcc for the race
## detector; iproute2, openssh-server and MPICH for the tests that skip
## without them).
test-setup:
	@bash scripts/setup-test.sh

## setup-hdf5: libhdf5-dev, hdf5-tools and python3-h5py, for package h5
## and examples/heat2d (the only cgo code) and their tests.
setup-hdf5:
	@bash scripts/setup-hdf5.sh

build: setup
	$(GO) build -o $(BIN)/spmdrun ./launcher/cmd/spmdrun
	$(GO) build -o $(BIN)/spmdsubmit ./launcher/cmd/spmdsubmit
	$(GO) build -o $(BIN)/spmdbench ./bench/cmd/spmdbench
	@for e in $(EXAMPLES); do \
		if echo " $(HDF5_EXAMPLES) " | grep -q " $$e " && ! pkg-config --exists hdf5 2>/dev/null; then \
			echo "skipping examples/$$e: it needs the HDF5 library (make setup-hdf5)"; continue; fi; \
		echo "$(GO) build -o $(BIN)/$$e ./examples/$$e"; $(GO) build -o $(BIN)/$$e ./examples/$$e || exit 1; done

## demo: build spmdrun and the examples, then compute pi on $(NP) local ranks.
demo: build
	$(BIN)/spmdrun -n $(NP) --timeout 60s $(BIN)/pi

## test: everything CI runs: formatting, vet, and every test under the race
## detector, including the multi-process runs through spmdrun and, as root,
## the runs under a real Slurm (internal/realsched; SPMD_NO_SLURM=1 skips
## them), a real HTCondor pool (scripts/condor-pool.sh; SPMD_NO_CONDOR=1
## skips them) and the emulated PBS (internal/pbsemu; SPMD_NO_PBS=1 skips
## them). Its last lines say whether each scheduler's tests ran, or why not.
test: test-setup setup-hdf5 fmt-check vet lint unit

## setup-slurm: Debian's Slurm and munge for the real-Slurm tests, as root
## (test-setup runs it too).
setup-slurm:
	@bash scripts/setup-slurm.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## lint: staticcheck, at the version pinned here (fetched through the Go
## module proxy on first use).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) run $(STATICCHECK) ./...

unit:
	@report=$$(mktemp); pbsreport=$$(mktemp); \
	SPMD_REALSCHED_REPORT=$$report SPMD_PBSEMU_REPORT=$$pbsreport $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...; st=$$?; \
	if [ -s "$$report" ]; then cat "$$report"; else echo "real Slurm: skipped: its tests did not run to the end (see above)"; \
		echo "real HTCondor: skipped: its tests did not run to the end (see above)"; fi; \
	if [ -s "$$pbsreport" ]; then cat "$$pbsreport"; else echo "PBS (emulated OpenPBS/Torque): skipped: its tests did not run to the end (see above)"; fi; \
	rm -f "$$report" "$$pbsreport"; exit $$st

## bench: point-to-point benchmarks over TCP (in-process ranks).
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./comm/

## compare: spmd against Open MPI and MPICH on this machine, OSU method
## (installs both MPIs from Debian when missing; QUICK=1 for a short run).
## TRANSPORT=shm (default: each one's shared memory) or tcp (forced TCP loopback).
## Then objects against mpi4py's pickled API (scripts/compare-obj.sh).
compare: build
	TRANSPORT=$${TRANSPORT:-shm} bash scripts/compare-pt2pt.sh
	bash scripts/compare-obj.sh

## compare-coll: collectives at np = 2 and 4 against Open MPI and MPICH.
compare-coll: build
	bash scripts/compare-coll.sh

## compare-apps: the PRK Stencil and Transpose kernels (examples/stencil,
## examples/transpose) against the same programs in C on Open MPI and MPICH,
## np = 1, 2, 4; prints spmd's rate over theirs, total and communication time.
compare-apps: build
	bash scripts/compare-apps.sh

## fuzz: run every fuzz target for $(FUZZTIME).
fuzz: setup
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeHeader$$' -fuzztime $(FUZZTIME) ./comm/internal/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeHello$$' -fuzztime $(FUZZTIME) ./comm/internal/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePair$$' -fuzztime $(FUZZTIME) ./comm/internal/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime $(FUZZTIME) ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseFrame$$' -fuzztime $(FUZZTIME) ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzPMI2Replies$$' -fuzztime $(FUZZTIME) ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzProxyFrame$$' -fuzztime $(FUZZTIME) ./launcher/
	$(GO) test -run '^$$' -fuzz '^FuzzServeLines$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x ./internal/pmi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseBlocked$$' -fuzztime $(FUZZTIME) ./launcher/
	$(GO) test -run '^$$' -fuzz '^FuzzDimsCreate$$' -fuzztime $(FUZZTIME) ./comm/
	$(GO) test -run '^$$' -fuzz '^FuzzPack$$' -fuzztime $(FUZZTIME) ./grid/
	$(GO) test -run '^$$' -fuzz '^FuzzExpand$$' -fuzztime $(FUZZTIME) ./internal/hostlist/
	$(GO) test -run '^$$' -fuzz '^FuzzParseBlockedKey$$' -fuzztime $(FUZZTIME) ./internal/jobnames/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/objcodec/
	$(GO) test -run '^$$' -fuzz '^FuzzGobStream$$' -fuzztime $(FUZZTIME) ./internal/objcodec/
	for f in FuzzParseHostfile FuzzParseTasksPerNode FuzzParseNodefile; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./launcher/sched/ || exit 1; done

clean:
	rm -rf $(BIN)
