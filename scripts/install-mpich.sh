#!/usr/bin/env bash
# Installs Debian's MPICH (mpiexec.mpich, mpicc.mpich) for the MPICH
# interoperability tests in launcher/cmd/spmdrun (mpich_test.go), which skip
# without it. Safe to run again; does nothing when MPICH is already there.
set -euo pipefail

if command -v mpiexec.mpich >/dev/null 2>&1 && command -v mpicc.mpich >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-mpich: not a Debian system; install MPICH yourself to run the interoperability tests" >&2
	exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-mpich: not root and no sudo; the MPICH interoperability tests will be skipped" >&2
		exit 0
	fi
	sudo=sudo
fi
echo "install-mpich: installing mpich libmpich-dev"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mpich libmpich-dev
