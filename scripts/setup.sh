#!/usr/bin/env bash
# What building spmd needs (make build, make demo): Go 1.26 or newer and
# the Go modules. Installs nothing else. A C compiler serves cgo where a
# package needs it; without one Go builds with cgo off, which every
# package but h5 allows. Safe to run again. The tests need more:
# scripts/setup-test.sh (make test) installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
	echo "setup: Go is not on PATH; install Go 1.26 or newer (https://go.dev/dl) and run again" >&2
	exit 1
fi

go mod download
