#!/usr/bin/env bash
# What `make test` needs beyond building (scripts/setup.sh): the Debian
# packages the tests use, installed when missing. Safe to run again.
#
# Required packages are installed as root or through sudo; without them
# the tests cannot run. Optional ones serve tests that skip, saying why,
# when they are missing: they are installed as root or through sudo that
# asks no password (never a prompt that would stop `make test`), and a
# failed install costs those tests, not the run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# One package a line: the Debian package; required, optional, or netns
# (optional, for the multi-host tests over network namespaces, which need
# root and which SPMD_NO_NETNS=1 skips: then not installed either); and a
# shell command that succeeds when the package is there. To add a
# package, add a line.
packages='
gcc             required  command -v gcc
iproute2        netns     command -v ip || test -x /usr/sbin/ip || test -x /sbin/ip
openssh-server  netns     test -x /usr/sbin/sshd
mpich           optional  command -v mpiexec.mpich
libmpich-dev    optional  command -v mpicc.mpich
chromium        optional  command -v chromium
'
# What each serves: gcc, cgo and the race detector; iproute2 and
# openssh-server, the netns cluster (scripts/netns-cluster.sh); mpich and
# libmpich-dev, the MPICH interoperability tests (launcher/cmd/spmdrun);
# chromium, the screenshot of spmdbench scale's HTML report.

required=() optional=() skipped=()
while read -r pkg kind check; do
	[ -n "$pkg" ] || continue
	if bash -c "$check" >/dev/null 2>&1; then
		continue
	fi
	case "$kind" in
	required) required+=("$pkg") ;;
	netns)
		if [ "${SPMD_NO_NETNS:-}" = 1 ]; then skipped+=("$pkg"); else optional+=("$pkg"); fi ;;
	optional) optional+=("$pkg") ;;
	*)
		echo "setup-test: package $pkg: unknown kind $kind (want required, optional or netns)" >&2
		exit 1 ;;
	esac
done <<<"$packages"
if ((${#skipped[@]})); then
	echo "setup-test: SPMD_NO_NETNS=1: not installing ${skipped[*]}; the multi-host tests will be skipped"
fi

# apt runs apt-get as root: directly, through sudo, or (for optional
# packages, with "quiet") through sudo only if it asks no password.
apt() {
	local quiet=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		env DEBIAN_FRONTEND=noninteractive apt-get "$@"
	elif [ "$quiet" = quiet ]; then
		sudo -n env DEBIAN_FRONTEND=noninteractive apt-get "$@"
	else
		sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"
	fi
}
can_sudo_quietly() { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
updated=""

if ((${#required[@]})); then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "setup-test: missing ${required[*]} and no apt-get: install them yourself" >&2
		exit 1
	fi
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
		echo "setup-test: missing Debian packages ${required[*]} and not root" >&2
		exit 1
	fi
	echo "setup-test: installing ${required[*]}"
	apt loud update -qq
	updated=1
	apt loud install -y -qq "${required[@]}"
fi

if ((${#optional[@]})); then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "setup-test: no apt-get: install ${optional[*]} yourself to run the tests that use them"
	elif [ "$(id -u)" -ne 0 ] && ! can_sudo_quietly; then
		echo "setup-test: not root: not installing ${optional[*]}; the tests that use them will be skipped"
	else
		echo "setup-test: installing ${optional[*]} (optional: for the tests that use them)"
		if ! { { [ -n "$updated" ] || apt quiet update -qq; } && apt quiet install -y -qq "${optional[@]}"; }; then
			echo "setup-test: could not install ${optional[*]}; the tests that use them will be skipped" >&2
		fi
	fi
fi

# Debian's Slurm and munge, for the real-Slurm tests (internal/realsched):
# root only, SPMD_NO_SLURM=1 leaves them out; a failed install skips those
# tests and does not stop the run.
bash scripts/setup-slurm.sh
