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

# Optional Debian packages, for the multi-host tests (scripts/netns-cluster.sh:
# network namespaces joined by veth links, an sshd in each). Those tests need
# root and skip without these, so they are installed only as root (never
# through sudo, which could stop `make test` at a password prompt), and
# SPMD_NO_NETNS=1 leaves them out as it skips the tests. sshd lives in
# /usr/sbin, which is not on every PATH, hence the file tests.
opt=()
have_ip() { command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; }
have_ip || opt+=(iproute2)
[ -x /usr/sbin/sshd ] || opt+=(openssh-server)
if ((${#opt[@]})); then
	if [ "${SPMD_NO_NETNS:-}" = 1 ]; then
		echo "setup: SPMD_NO_NETNS=1: not installing ${opt[*]}; the multi-host tests will be skipped"
	elif [ "$(id -u)" -ne 0 ]; then
		echo "setup: not root: not installing ${opt[*]}; the multi-host tests (which need root) will be skipped"
	elif ! command -v apt-get >/dev/null 2>&1; then
		echo "setup: no apt-get: install ${opt[*]} yourself to run the multi-host tests"
	else
		# Optional: a failed install costs those tests, not the whole run.
		echo "setup: installing ${opt[*]} (for the multi-host tests)"
		if ! { env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${opt[@]}"; }; then
			echo "setup: could not install ${opt[*]}; the multi-host tests will be skipped" >&2
		fi
	fi
fi

go mod download

# MPICH, for the interoperability tests (spmd under mpiexec, MPICH programs
# under spmdrun); they skip when it is missing.
bash scripts/install-mpich.sh
