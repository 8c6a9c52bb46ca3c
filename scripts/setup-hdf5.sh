#!/usr/bin/env bash
# Installs what package h5 and the programs that use it (examples/heat2d)
# need on Debian, when missing: the HDF5 C library and headers
# (libhdf5-dev, found through pkg-config), and what the tests read the
# files back with (h5dump from hdf5-tools, h5py from python3-h5py). Kept
# apart from the other set-up scripts so that the rest of spmd, which is
# pure Go, never needs it. Safe to run again.
set -euo pipefail

need=()
pkg-config --version >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists hdf5 2>/dev/null || need+=(libhdf5-dev)
command -v h5dump >/dev/null 2>&1 || need+=(hdf5-tools)
# Debian's h5py belongs to Debian's Python, which need not be the first
# python3 on PATH.
/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1 || need+=(python3-h5py)
((${#need[@]})) || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "setup-hdf5: no apt-get: install ${need[*]} (or your system's equivalents) yourself" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "setup-hdf5: missing Debian packages ${need[*]} and not root" >&2
		exit 1
	fi
	sudo=sudo
fi
echo "setup-hdf5: installing ${need[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
