#!/usr/bin/env bash
# A real Slurm cluster (Debian 12's Slurm 22.05 and munge) on one machine,
# for the tests that run spmd under Slurm:
#
#   scripts/slurm-cluster.sh up DIR [NODES]  start it; NODES 1 (default) to 9
#   scripts/slurm-cluster.sh down DIR        stop it; safe to run again
#
# Everything lives under DIR (which must not hold whitespace or quotes):
# slurm.conf and cgroup.conf, munge's key and socket, the daemons' state,
# spool, logs and pid files. Nothing under /etc/slurm or /etc/munge is read
# or written, and no munged, slurmctld or slurmd of the machine's own is
# touched; the cluster's daemons listen on ports derived from DIR. Clients
# find the cluster through SLURM_CONF: `. DIR/env` (or
# `export SLURM_CONF=DIR/slurm.conf`) before srun, sbatch, squeue, scancel.
#
# With NODES=1 the one node is this host, named by its host name. With
# NODES>1 each node is a host of scripts/netns-cluster.sh (a network
# namespace with its own address, host name and /dev/shm): each node's
# slurmd runs there, so a job's tasks on different nodes talk TCP across
# real interfaces, as on separate machines, and share memory only within
# one. munged and slurmctld run in the root namespace; the nodes reach the
# controller at the root namespace's address on the bridge.
#
# up installs what is missing (Debian's slurmctld, slurmd, slurm-client and
# munge, with a policy-rc.d that keeps their services from starting), starts
# munged, slurmctld and one slurmd per node, and waits (bounded) until every
# node is idle. An up of a cluster that is already up and idle does nothing;
# one that is half up is taken down and started again. down cancels every
# job, stops every daemon and process of the cluster and removes the
# namespaces; it checks that none is left. Needs root. Every failure is one
# line on standard error (with the tail of the log that explains it) and a
# non-zero status; a failed up removes what it made.
#
# up writes into DIR:
#   env          SLURM_CONF=..., NODES=..., NODENAMES="..." (shell syntax)
#   slurm.conf, cgroup.conf, munge/, state/, spool/, log/, run/
#   hosts        the nodes' /etc/hosts (NODES>1: the names resolve on every node)
#   net/         the scripts/netns-cluster.sh cluster of the nodes (NODES>1)
set -euo pipefail

prog=slurm-cluster
die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -lt 2 ] || [ $# -gt 3 ] || [[ $1 != up && $1 != down ]] || [[ $1 == down && $# -ne 2 ]]; then
	die "usage: $0 up DIR [NODES] | down DIR"
fi
action=$1
nodes=${3:-1}
case $nodes in
[1-9]) ;;
*) die "NODES must be 1 to 9: $nodes" ;;
esac
case $2 in
*[!A-Za-z0-9_./+-]* | '') die "DIR must be a non-empty path of letters, digits and _./+- (it goes into slurm.conf): $2" ;;
esac
[ "$(id -u)" -eq 0 ] || die "needs root (munged, slurmd and network namespaces)"
PATH=$PATH:/usr/sbin:/sbin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(realpath -m -- "$2")
id=$(printf '%s' "$dir" | sha256sum | cut -c1-8)
# Ports 17000-18999, two per cluster, so that a cluster does not take the
# ports of the machine's own Slurm (6817, 6818) or of a cluster in another
# DIR (bar a hash collision, which up reports as a port in use).
ctld_port=$((17000 + (16#${id:0:4} % 1000) * 2))
slurmd_port=$((ctld_port + 1))
conf=$dir/slurm.conf
export SLURM_CONF=$conf
# Every daemon of this cluster carries this variable, and so do the
# slurmstepd processes slurmd starts: down finds what is left by it.
mark="SPMD_SLURM_CLUSTER=$id"
log=$dir/$prog.log

# tail_of prints the last lines of file $1 on one line, for an error.
tail_of() {
	[ -s "$1" ] || {
		echo "($1 is empty)"
		return
	}
	tail -n "${2:-3}" "$1" | tr '\n' ' '
}

# ---------------------------------------------------------------- install

# install_missing installs the Debian packages that are missing. Their
# maintainer scripts would start the services; a policy-rc.d that exits
# 101 (see invoke-rc.d(8)) stops that, and is removed again if it is ours.
install_missing() {
	local need=() c
	for c in slurmctld:slurmctld slurmd:slurmd srun:slurm-client munged:munge; do
		command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c#*:}")
	done
	((${#need[@]})) || return 0
	command -v apt-get >/dev/null || die "up: missing ${need[*]} and no apt-get to install them"
	local ours=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# %s: no service starts during apt-get\nexit 101\n' "$prog" >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		ours=1
	fi
	echo "$prog: installing ${need[*]}" >&2
	local ok=0
	{
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" ||
			{ env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
				env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; }
	} </dev/null >>"$log" 2>&1 || ok=1
	[ "$ours" = 0 ] || rm -f /usr/sbin/policy-rc.d
	[ "$ok" = 0 ] || die "up: apt-get install ${need[*]} failed: $(tail_of "$log" 2)"
}

# ---------------------------------------------------------------- processes

# marked_pids prints the pids of the processes that carry this cluster's
# mark in their environment.
marked_pids() {
	grep -lzxF "$mark" /proc/[0-9]*/environ 2>/dev/null | sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p' || true
}

# with_descendants prints the pids given and all their descendants.
with_descendants() {
	[ $# -gt 0 ] || return 0
	ps -e -o pid=,ppid= | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
		{ parent[$1] = $2 }
		END {
			do {
				grew = 0
				for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 }
			} while (grew)
			for (p in keep) print p
		}'
}

# alive tells whether pid $1 is a live process of this cluster.
alive() {
	[ -n "$1" ] && grep -qzxF "$mark" "/proc/$1/environ" 2>/dev/null
}

# pid_of prints the pid in pid file $1 if that process is alive and ours.
pid_of() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	alive "$pid" && echo "$pid"
}

# kill_all kills (SIGKILL) every process of the cluster and their
# descendants, and waits (bounded) until none is left.
kill_all() {
	local pids i
	for i in $(seq 50); do
		# shellcheck disable=SC2046 # one pid per word
		pids=$(with_descendants $(marked_pids) | grep -vx "$$" || true)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	echo "$prog: processes outlived SIGKILL: $pids" >&2
	return 1
}

# ---------------------------------------------------------------- down

down() {
	local ok=0
	if [ -s "$conf" ] && pid_of "$dir/run/slurmctld.pid" >/dev/null; then
		# Cancel the jobs and give their steps a moment to end the proper
		# way; whatever is left is killed below.
		local jobs i
		jobs=$(timeout 5 squeue -h -o %i 2>/dev/null || true)
		# shellcheck disable=SC2086 # one job id per word
		[ -z "$jobs" ] || timeout 10 scancel --full --quiet $jobs </dev/null >/dev/null 2>&1 || true
		for i in $(seq 30); do
			[ -z "$(timeout 5 squeue -h -t all -o %i 2>/dev/null | head -n 1)" ] && break
			sleep 0.2
		done
	fi
	kill_all || ok=1
	local netid
	netid=$(printf '%s' "$dir/net" | sha256sum | cut -c1-8)
	if [ -e "$dir/nodes.netns" ] || compgen -G "/run/netns/spmd-$netid-*" >/dev/null; then
		"$here/netns-cluster.sh" down "$dir/net" || ok=1
	fi
	rm -f "$dir/nodes.netns" "$dir/env"
	# What is left: a process of ours, a namespace of ours.
	if [ -n "$(marked_pids)" ]; then
		echo "$prog: down: processes are left: $(marked_pids | tr '\n' ' ')" >&2
		ok=1
	fi
	local left
	left=$(compgen -G "/run/netns/spmd-$netid-*" || true)
	if [ -n "$left" ]; then
		echo "$prog: down: namespaces are left: $(echo "$left" | tr '\n' ' ')" >&2
		ok=1
	fi
	return "$ok"
}

# ---------------------------------------------------------------- up

# undo, the EXIT trap of up, removes what a failed up made.
undo() {
	local st=$?
	if [ "$st" -ne 0 ]; then
		down >/dev/null 2>&1 || true
	fi
	exit "$st"
}

# start runs a daemon in the background, detached (its own session, no
# terminal, output to file $1), marked as this cluster's, and appends its
# pid to daemons (setsid, env, nsenter, unshare and sh all exec: the
# background job's pid is the daemon's).
daemons=()
start() {
	local out=$1
	shift
	setsid env "$mark" "$@" </dev/null >>"$out" 2>&1 &
	daemons+=("$!")
}

# wait_for polls command "$@" every 0.2 s until it succeeds (status 0),
# $1 seconds have passed (status 1), or a daemon up started has died
# (status 2: waiting longer is useless).
wait_for() {
	local until=$((SECONDS + $1)) pid
	shift
	while :; do
		"$@" && return 0
		for pid in "${daemons[@]}"; do
			kill -0 "$pid" 2>/dev/null || return 2
		done
		[ "$SECONDS" -lt "$until" ] || return 1
		sleep 0.2
	done
}

write_conf() {
	local host=$1 ctld_addr=$2 names=$3
	cat >"$dir/cgroup.conf" <<EOF
# made by $prog: slurmd initialises cgroups at start-up whatever the plugins;
# nothing is constrained (proctrack/linuxproc, task/none).
CgroupPlugin=autodetect
IgnoreSystemd=yes
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
	cat >"$conf" <<EOF
# made by $prog for the cluster in $dir ($nodes node(s))
ClusterName=spmd$id
MailProg=/bin/true
SlurmctldHost=$host($ctld_addr)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Nodes claim 4 CPUs whatever the machine has (task/none binds nothing), so
# that tests can run 4 ranks on one node on a 2-core machine.
SlurmdParameters=config_overrides
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
# SIGTERM, then SIGKILL after KillWait seconds, when a job is cancelled.
KillWait=2
MinJobAge=60
MessageTimeout=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=DEFAULT CPUs=4 State=UNKNOWN
$names
PartitionName=spmd Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

# all_idle tells whether all of the cluster's nodes are idle.
all_idle() {
	local st
	st=$(timeout 5 sinfo -h -N -o '%N %t' 2>/dev/null) || return 1
	[ "$(printf '%s\n' "$st" | awk '$2 == "idle"' | sort -u | wc -l)" -eq "$nodes" ]
}

# is_up tells whether the cluster in DIR is up with NODES nodes, all idle.
is_up() {
	[ -s "$dir/env" ] && [ -s "$conf" ] || return 1
	pid_of "$dir/run/munged.pid" >/dev/null && pid_of "$dir/run/slurmctld.pid" >/dev/null || return 1
	grep -qx "NODES=$nodes" "$dir/env" || return 1
	all_idle
}

up() {
	local c
	for c in setsid timeout sha256sum realpath ps awk; do
		command -v "$c" >/dev/null || die "up: $c not found"
	done
	local p=$dir
	while [ "$p" != / ]; do
		p=$(dirname "$p")
		[ ! -e "$p" ] || [ "$(($(stat -c %a "$p") % 2))" = 1 ] ||
			die "up: munged needs every directory above its socket searchable by all, and $p is not (mode $(stat -c %a "$p")); choose a DIR elsewhere"
	done
	mkdir -p "$dir" || die "up: cannot create $dir"
	if is_up; then
		echo "$prog: the cluster in $dir is already up ($nodes node(s), idle)" >&2
		return 0
	fi
	# Half up, or up with another size: start again.
	down >/dev/null 2>&1 || down || die "up: cannot take down what is left of an earlier cluster in $dir"
	: >"$log"
	install_missing
	trap undo EXIT

	rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/run" "$dir/munge"
	mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run" "$dir/munge"
	# munged insists that every directory up to its socket is searchable by
	# all, and its key readable by its user only.
	chmod 0755 "$dir" "$dir/munge"
	mungekey -c -k "$dir/munge/munge.key" >>"$log" 2>&1 || die "up: mungekey failed: $(tail_of "$log" 1)"

	local host ctld_addr names nodenames=() i ns
	if [ "$nodes" = 1 ]; then
		host=$(hostname -s)
		ctld_addr=127.0.0.1
		nodenames=("$host")
		names="NodeName=$host NodeAddr=127.0.0.1"
	else
		command -v ip >/dev/null || die "up: ip not found: install Debian's iproute2"
		"$here/netns-cluster.sh" up "$dir/net" "$nodes" || die "up: the nodes' namespaces could not be made (above)"
		: >"$dir/nodes.netns"
		# shellcheck disable=SC1091
		. "$dir/net/cluster.env"
		host=$(hostname -s)
		ctld_addr=$ROOT_ADDR
		read -r -a nodenames <<<"$HOSTNAMES"
		local addrs
		read -r -a addrs <<<"$HOSTS"
		names=""
		printf '# made by %s: /etc/hosts of the nodes\n127.0.0.1\tlocalhost\n%s\t%s\n' "$prog" "$ROOT_ADDR" "$host" >"$dir/hosts"
		for i in "${!nodenames[@]}"; do
			names+="NodeName=${nodenames[i]} NodeAddr=${addrs[i]}"$'\n'
			printf '%s\t%s\n' "${addrs[i]}" "${nodenames[i]}" >>"$dir/hosts"
		done
	fi
	write_conf "$host" "$ctld_addr" "$names"
	for i in "${nodenames[@]}"; do
		mkdir -p "$dir/spool/$i"
	done

	start "$dir/log/munged.out" munged -F --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
		--pid-file="$dir/run/munged.pid" --seed-file="$dir/munge/munged.seed" --log-file="$dir/log/munged.log"
	wait_for 10 test -S "$dir/munge/munge.socket" ||
		die "up: munged did not start: $(tail_of "$dir/log/munged.log") $(tail_of "$dir/log/munged.out" 2)"

	start "$dir/log/slurmctld.out" slurmctld -D -c -i -f "$conf"
	wait_for 30 sh -c 'timeout 5 scontrol ping 2>/dev/null | grep -q "is UP"' ||
		die "up: slurmctld did not start: $(tail_of "$dir/log/slurmctld.log") $(tail_of "$dir/log/slurmctld.out" 2)"

	if [ "$nodes" = 1 ]; then
		start "$dir/log/slurmd-$host.out" slurmd -D -f "$conf" -N "$host"
	else
		for ns in "${nodenames[@]}"; do
			# Its own host name and /dev/shm, as netns-cluster.sh gives its
			# sshd: slurmd's jobs see the node's name, and ranks on
			# different nodes cannot meet in shared memory. nsenter rather
			# than `ip netns exec`, which would mount a /sys without the
			# cgroup file systems that slurmd needs. The node names resolve
			# on every node, as on a real cluster (the nodes cannot reach
			# the machine's DNS): DIR/hosts is the nodes' /etc/hosts.
			# shellcheck disable=SC2016 # $1.. are the inner shell's arguments
			start "$dir/log/slurmd-$ns.out" nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private \
				/bin/sh -c 'hostname "$1" && mount -t tmpfs -o mode=1777,nosuid,nodev spmd-shm /dev/shm &&
					mount --bind "$3" /etc/hosts && exec slurmd -D -f "$2" -N "$1"' sh "$ns" "$conf" "$dir/hosts"
		done
	fi
	if ! wait_for 60 all_idle; then
		local st
		st=$(timeout 5 sinfo -h -N -o '%N:%t' 2>&1 | tr '\n' ' ' || true)
		for ns in "${nodenames[@]}"; do
			if ! timeout 5 sinfo -h -n "$ns" -o %t 2>/dev/null | grep -qx idle; then
				die "up: node $ns did not become idle (sinfo: $st): $(tail_of "$dir/log/slurmd-$ns.log") $(tail_of "$dir/log/slurmd-$ns.out" 2)"
			fi
		done
		die "up: the nodes did not become idle within 60 s, or a daemon died (sinfo: $st)"
	fi
	cat >"$dir/env" <<EOF
# made by $prog up: the Slurm cluster in $dir
SLURM_CONF=$conf
export SLURM_CONF
NODES=$nodes
NODENAMES="${nodenames[*]}"
EOF
	trap - EXIT
}

case $action in
up) up ;;
down) down || die "down: could not remove everything (see above)" ;;
esac
