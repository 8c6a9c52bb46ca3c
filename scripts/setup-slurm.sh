#!/usr/bin/env bash
# Installs what the real-Slurm tests (internal/realsched, through
# scripts/slurm-cluster.sh) need on a Debian machine: Debian's slurmctld,
# slurmd, slurm-client and munge, plus iproute2 and openssh-server for the
# three-node cluster's network namespaces. Safe to run again: it installs
# only what is missing.
#
# The tests need root and skip without it, so this installs only as root
# (never through sudo, which could stop `make test` at a password prompt);
# SPMD_NO_SLURM=1 leaves everything out as it skips the tests. A failed
# install costs those tests, not the run: it says so and exits 0.
#
# The packages' maintainer scripts would start munge, slurmctld and slurmd
# as services; a policy-rc.d that exits 101 (invoke-rc.d(8)) keeps them
# from it during the install. The tests start their own daemons, with their
# own configuration, and leave /etc/slurm and /etc/munge alone.
set -euo pipefail

say() { echo "setup-slurm: $*"; }

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
have slurmctld || need+=(slurmctld)
have slurmd || need+=(slurmd)
have srun || need+=(slurm-client)
have munged || need+=(munge)
have ip || need+=(iproute2)
have sshd || need+=(openssh-server)
((${#need[@]})) || exit 0

if [ "${SPMD_NO_SLURM:-}" = 1 ]; then
	say "SPMD_NO_SLURM=1: not installing ${need[*]}; the real-Slurm tests will be skipped"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	say "not root: not installing ${need[*]}; the real-Slurm tests (which need root) will be skipped"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	say "no apt-get: install ${need[*]} yourself to run the real-Slurm tests"
	exit 0
fi

ours=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# setup-slurm: no service starts during apt-get\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	ours=1
fi
say "installing ${need[*]} (for the real-Slurm tests)"
ok=0
{ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
	{ env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; }; } </dev/null || ok=1
[ "$ours" = 0 ] || rm -f /usr/sbin/policy-rc.d
if [ "$ok" != 0 ]; then
	say "could not install ${need[*]}; the real-Slurm tests will be skipped" >&2
fi
exit 0
