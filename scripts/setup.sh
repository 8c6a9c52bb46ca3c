#!/usr/bin/env bash
# Installs what building and testing spmd needs on a Debian machine that has
# Go: the Go modules, and Debian packages when missing. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
	echo "setup: Go is not on PATH; install Go 1.26 or newer (https://go.dev/dl) and run again" >&2
	exit 1
fi

# Debian packages: each "command package" pair is installed when the
# command is missing. gcc serves cgo and the race detector.
need=()
while read -r cmd pkg; do
	command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done <<'PKGS'
gcc gcc
make make
PKGS
if ((${#need[@]})); then
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
		echo "setup: missing Debian packages ${need[*]} and not root" >&2
		exit 1
	fi
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "setup: installing ${need[*]}"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

go mod download

# MPICH, for the interoperability tests (spmd under mpiexec, MPICH programs
# under spmdrun); they skip when it is missing.
bash scripts/install-mpich.sh
