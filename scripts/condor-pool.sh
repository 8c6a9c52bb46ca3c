#!/usr/bin/env bash
# A real HTCondor pool (Debian 13's HTCondor 23.9, in a chroot) on one
# Debian 12 machine, for the tests that run spmd's HTCondor submissions:
#
#   scripts/condor-pool.sh up DIR [HOSTS]  build the chroot if needed, start
#                                          the pool on HOSTS hosts (1-4, default 3)
#   scripts/condor-pool.sh down DIR        stop it and unmount; safe to run again
#
# HTCondor is not packaged for Debian 12 and Debian 13's packages need its
# newer C library, so the pool lives in a Debian 13 (trixie) chroot made
# with debootstrap from the Debian mirror apt already uses: DIR/root. The
# first up builds it (a few minutes; debootstrap is installed on the host
# when missing); later ones reuse it. The chroot is never deleted by this
# script (rm -rf of DIR while the pool is up would reach through its bind
# mounts into the host's /dev: run down first).
#
# The pool is Debian's minicondor (central manager, submit and execute
# roles on 127.0.0.1, on this host) with a dedicated scheduler, so that it
# runs `universe = parallel` jobs: $CPUS/2 static slots of 2 CPUs each (more
# CPUs than this machine has: nothing is bound to a core), one per node of
# a job (up to 2 ranks per node), never preempted. With HOSTS > 1, HOSTS-1
# more execute hosts, node1, node2..., join it with 2 slots each: each is a
# condor_master and condor_startd of its own in the same chroot, in a UTS
# namespace with its own host name and a mount namespace with its own
# /dev/shm, reaching the central manager over 127.0.0.1. The nodes of a
# parallel job that land there see another host, as on a real cluster
# (its slots have SlotID 1 and 2: `requirements = SlotID == 1` puts every
# node of a job of up to HOSTS nodes on a host of its own). Jobs run as the
# chroot's unprivileged user spmd (condor_submit refuses root), with the
# host's /proc, /sys and /dev, a /dev/shm of their host's own (shared memory
# between the ranks of one job on one host) and a /tmp of their own.
# Everything a job needs must be inside DIR/root: the tests copy static
# binaries into spmd's home, DIR/root/home/spmd.
#
# up mounts those, starts the condor_master processes in the chroot and
# waits (bounded) until every slot and the schedulers are there. An up of a pool that is
# already up does nothing. down stops condor_master (gracefully, then
# every process whose root is the chroot is killed) and unmounts; it
# checks that no process and no mount is left. Needs root. Every failure
# is one line on standard error and a non-zero status: 3 when the chroot
# cannot be built here (no debootstrap, or Debian's mirror unreachable), 1
# otherwise. A failed up takes down what it started.
#
# up writes DIR/env (shell syntax): ROOT (the chroot), POOL_USER (spmd),
# SCHEDD (the schedd's name), HOSTS (the hosts' names), CPUS. Run a command
# in the pool as its user:
#
#   chroot --userspec=spmd:spmd DIR/root /bin/sh -c 'cd ~ && condor_q'
set -euo pipefail

prog=condor-pool
die() {
	echo "$prog: $*" >&2
	exit 1
}
# cannot ends up with status 3: this machine cannot build the chroot (no
# debootstrap, no way to Debian's mirror), which tests take as a reason to
# skip rather than a failure.
cannot() {
	echo "$prog: $*" >&2
	exit 3
}

if [ $# -lt 2 ] || [ $# -gt 3 ] || [[ $1 != up && $1 != down ]] || [[ $1 == down && $# -ne 2 ]]; then
	die "usage: $0 up DIR [HOSTS] | down DIR"
fi
action=$1
hosts=${3:-3}
case $hosts in
[1-4]) ;;
*) die "HOSTS must be 1 to 4: $hosts" ;;
esac
case $2 in
*[!A-Za-z0-9_./+-]* | '') die "DIR must be a non-empty path of letters, digits and _./+-: $2" ;;
esac
[ "$(id -u)" -eq 0 ] || die "needs root (chroot and mounts)"
PATH=$PATH:/usr/sbin:/sbin

dir=$(realpath -m -- "$2")
[ "$dir" != / ] || die "DIR must not be /"
root=$dir/root
suite=trixie
user=spmd
# CPUS is what this host offers, in slots of 2: enough for several small
# parallel jobs at once (the tests run six, of 2 or 3 nodes, 13 in all).
# Each other host offers NODE_CPUS.
CPUS=32
NODE_CPUS=4
log=$dir/$prog.log

# tail_of prints the last lines of file $1 on one line, for an error.
tail_of() {
	[ -s "$1" ] || {
		echo "($1 is empty)"
		return
	}
	tail -n "${2:-3}" "$1" | tr '\n' ' '
}

# in_root runs a command in the chroot as root, with a plain environment.
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# ---------------------------------------------------------------- mounts

# The mounts up makes, in order; down unmounts them in reverse.
mounts=(proc sys dev dev/shm tmp)

# mounted tells whether $root/$1 is a mount point.
mounted() {
	mountpoint -q "$root/$1" 2>/dev/null
}

mount_all() {
	local m
	for m in "${mounts[@]}"; do
		mounted "$m" && continue
		mkdir -p "$root/$m"
		case $m in
		proc) mount -t proc -o nosuid,nodev,noexec spmd-proc "$root/proc" ;;
		sys) mount --bind -o ro /sys "$root/sys" && mount -o remount,bind,ro "$root/sys" ;;
		dev) mount --bind /dev "$root/dev" ;;
		# Its own /dev/shm: the host's is a separate mount that a plain bind
		# of /dev leaves out, and the chroot's user must be able to create
		# segments there.
		dev/shm) mount -t tmpfs -o mode=1777,nosuid,nodev spmd-shm "$root/dev/shm" ;;
		tmp) mount -t tmpfs -o mode=1777,nosuid,nodev spmd-tmp "$root/tmp" ;;
		esac || die "up: cannot mount $root/$m"
		# Nothing mounted later under the host's tree reaches the chroot,
		# and nothing mounted in the chroot reaches the host.
		mount --make-private "$root/$m" 2>/dev/null || true
	done
}

# our_mounts prints the mount points at or below $root, deepest first.
our_mounts() {
	awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

umount_all() {
	local m ok=0
	for m in $(our_mounts); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || ok=1
	done
	return "$ok"
}

# ---------------------------------------------------------------- processes

# root_pids prints the pids of the processes whose root directory is the
# chroot: the pool's daemons and its jobs.
root_pids() {
	find /proc -mindepth 2 -maxdepth 2 -name root -lname "$root" 2>/dev/null | sed -n 's|^/proc/\([0-9]*\)/root$|\1|p' || true
}

# kill_all kills (SIGKILL) every process in the chroot and waits (bounded)
# until none is left.
kill_all() {
	local pids
	for _ in $(seq 50); do
		pids=$(root_pids)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086 # one pid per word
		kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	echo "$prog: processes outlived SIGKILL: $(echo "$pids" | tr '\n' ' ')" >&2
	return 1
}

# ---------------------------------------------------------------- down

down() {
	local ok=0
	if [ -n "$(root_pids)" ] && [ -x "$root/usr/sbin/condor_off" ]; then
		# condor_off ends the jobs and the daemons the proper way; whatever
		# is left is killed below.
		timeout 10 chroot "$root" /usr/sbin/condor_off -master -fast >/dev/null 2>&1 || true
		for _ in $(seq 50); do
			[ -z "$(root_pids)" ] && break
			sleep 0.2
		done
	fi
	kill_all || ok=1
	umount_all || ok=1
	rm -f "$dir/env"
	if [ -n "$(root_pids)" ]; then
		echo "$prog: down: processes are left: $(root_pids | tr '\n' ' ')" >&2
		ok=1
	fi
	if [ -n "$(our_mounts)" ]; then
		echo "$prog: down: mounts are left: $(our_mounts | tr '\n' ' ')" >&2
		ok=1
	fi
	return "$ok"
}

# ---------------------------------------------------------------- build

# mirror prints the Debian mirror apt uses on this host.
mirror() {
	local m
	m=$(grep -rhoE '^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+/debian/?' \
		/etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE 'https?://[^[:space:]]+' | head -n 1 || true)
	echo "${m:-http://deb.debian.org/debian}"
}

# build makes the chroot in $root.tmp and renames it to $root once it is
# complete (a build cut short leaves no half chroot that up would use).
build() {
	local tmp=$root.tmp url
	if ! command -v debootstrap >/dev/null; then
		command -v apt-get >/dev/null || cannot "up: debootstrap not found and no apt-get to install it"
		echo "$prog: installing debootstrap" >&2
		{
			env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap ||
				{ env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
					env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; }
		} </dev/null >>"$log" 2>&1 || cannot "up: apt-get install debootstrap failed: $(tail_of "$log" 2)"
	fi
	[ -e /usr/share/debootstrap/scripts/$suite ] ||
		cannot "up: this debootstrap does not know Debian $suite (/usr/share/debootstrap/scripts/$suite is missing)"
	url=$(mirror)
	# A chroot cut short may still have mounts: never rm -rf through them.
	local old=$root
	root=$tmp
	umount_all || die "up: cannot unmount what is left under $tmp"
	root=$old
	rm -rf "$tmp"
	echo "$prog: building a Debian $suite chroot from $url in $tmp (once)" >&2
	debootstrap --variant=minbase $suite "$tmp" "$url" </dev/null >>"$log" 2>&1 ||
		cannot "up: debootstrap $suite from $url failed: $(tail_of "$log" 2)"
	# No service starts while packages are installed (invoke-rc.d(8)).
	printf '#!/bin/sh\n# %s: no service starts during apt-get\nexit 101\n' "$prog" >"$tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/usr/sbin/policy-rc.d"
	root=$tmp
	mount_all
	local st=0
	in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends minicondor' \
		</dev/null >>"$log" 2>&1 || st=$?
	[ "$st" != 0 ] || in_root useradd -m -s /bin/sh "$user" >>"$log" 2>&1 || st=$?
	umount_all || die "up: cannot unmount $tmp after the build"
	root=$old
	[ "$st" = 0 ] || cannot "up: installing minicondor in the chroot failed: $(tail_of "$log" 2)"
	mv "$tmp" "$root"
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

write_conf() {
	# The schedd of a personal pool is named after the host; the execute
	# side names it as its dedicated scheduler. The policy never preempts
	# or suspends a claimed slot, as parallel jobs need.
	cat >"$root/etc/condor/config.d/50-spmd-parallel" <<EOF
# made by $prog: a dedicated scheduler for parallel-universe jobs
DedicatedScheduler = "DedicatedScheduler@\$(FULL_HOSTNAME)"
STARTD_ATTRS = \$(STARTD_ATTRS), DedicatedScheduler
# Static slots: the dedicated scheduler loses track of the dynamic slots
# it carves out of a partitionable one when several parallel jobs start at
# once ("claim id not found for new dynamic slot"), and their jobs stay
# idle for ever.
NUM_CPUS = $CPUS
MEMORY = $((CPUS * 512))
SLOT_TYPE_1 = cpus=2, memory=1024
SLOT_TYPE_1_PARTITIONABLE = False
NUM_SLOTS_TYPE_1 = $((CPUS / 2))
START = True
SUSPEND = False
PREEMPT = False
KILL = False
WANT_SUSPEND = False
WANT_VACATE = False
RANK = Scheduler =?= \$(DedicatedScheduler)
NEGOTIATOR_INTERVAL = 2
NEGOTIATOR_CYCLE_DELAY = 1
SCHEDD_INTERVAL = 2
UPDATE_INTERVAL = 2
# A chroot cannot unshare a mount namespace for the job's /tmp and
# /var/tmp: without this every job fails to start.
MOUNT_UNDER_SCRATCH =
EOF
	# Daemons look their host name up; the chroot has no resolver.
	local h
	for h in "$(hostname)" node1 node2 node3; do
		grep -qw "$h" "$root/etc/hosts" 2>/dev/null || printf '127.0.0.1\t%s\n' "$h" >>"$root/etc/hosts"
	done
}

# start_node starts execute host node$1: a condor_master that runs only a
# startd, in a UTS namespace with the host name node$1 and a mount
# namespace with its own /dev/shm, with its own log, spool, execute, lock
# and run directories. It serves the central manager's dedicated scheduler
# ($2), in its uid and file system domains ($3), so that the jobs of the
# schedd's users run there with their files. It uses no family security
# session (its daemons' family is not the central manager's) and no shared
# port (this host's takes the port on 127.0.0.1).
start_node() {
	local n=node$1 sched=$2 domain=$3 d
	local top=/var/lib/condor-$n
	rm -rf "${root:?}$top"
	for d in log spool execute lock run; do
		mkdir -p "$root$top/$d"
	done
	in_root chown -R condor:condor "$top"
	chmod 0755 "$root$top/execute"
	# shellcheck disable=SC2016 # $1.. are the inner shell's arguments
	setsid unshare --uts --mount --propagation private /bin/sh -c '
		hostname "$1" && mount -t tmpfs -o mode=1777,nosuid,nodev spmd-shm "$2/dev/shm" && shift 2 && exec "$@"' \
		sh "$n" "$root" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		_CONDOR_DAEMON_LIST="MASTER STARTD" _CONDOR_USE_SHARED_PORT=False _CONDOR_SEC_USE_FAMILY_SESSION=False \
		_CONDOR_LOG="$top/log" _CONDOR_SPOOL="$top/spool" _CONDOR_EXECUTE="$top/execute" \
		_CONDOR_LOCK="$top/lock" _CONDOR_RUN="$top/run" \
		_CONDOR_DedicatedScheduler="\"DedicatedScheduler@$sched\"" \
		_CONDOR_UID_DOMAIN="$domain" _CONDOR_FILESYSTEM_DOMAIN="$domain" \
		_CONDOR_NUM_CPUS=$NODE_CPUS _CONDOR_MEMORY=$((NODE_CPUS * 512)) _CONDOR_NUM_SLOTS_TYPE_1=$((NODE_CPUS / 2)) \
		/usr/sbin/condor_master -f </dev/null >>"$log" 2>&1 &
}

# pool_ready tells whether the slot is advertised with its dedicated
# scheduler, and the schedd answers.
pool_ready() {
	local slots
	slots=$(timeout 5 chroot "$root" /usr/bin/condor_status -const '!isUndefined(DedicatedScheduler)' -af Cpus 2>/dev/null) || return 1
	[ "$(printf '%s\n' "$slots" | awk '{ n += $1 } END { print n + 0 }')" -ge $((CPUS + (hosts - 1) * NODE_CPUS)) ] || return 1
	timeout 5 chroot "$root" /usr/bin/condor_q -totals >/dev/null 2>&1
}

# wait_for polls command "$@" every 0.5 s until it succeeds (status 0), $1
# seconds have passed (status 1) or condor_master has died (status 2).
wait_for() {
	local until=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ -n "$(root_pids)" ] || return 2
		[ "$SECONDS" -lt "$until" ] || return 1
		sleep 0.5
	done
}

up() {
	local c
	for c in chroot mountpoint timeout realpath readlink awk setsid; do
		command -v "$c" >/dev/null || die "up: $c not found"
	done
	mkdir -p "$dir" || die "up: cannot create $dir"
	if [ -s "$dir/env" ] && grep -qx "NHOSTS=$hosts" "$dir/env" && [ -n "$(root_pids)" ] && pool_ready; then
		echo "$prog: the pool in $dir is already up" >&2
		return 0
	fi
	# Half up: start again.
	down >/dev/null 2>&1 || down || die "up: cannot take down what is left of an earlier pool in $dir"
	: >"$log"
	[ -x "$root/usr/sbin/condor_master" ] || build
	trap undo EXIT
	mount_all
	write_conf
	# A fresh start: no job, log or claim of an earlier pool.
	rm -rf "$root/var/lib/condor/spool/"* "$root/var/lib/condor/execute/"* "$root/var/log/condor/"*
	setsid chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		/usr/sbin/condor_master -f </dev/null >>"$log" 2>&1 &
	# The other hosts serve this host's schedd, named after the host, in its
	# domains (also the host name: minicondor sets neither).
	local name i names=()
	name=$(in_root condor_config_val FULL_HOSTNAME 2>>"$log") || die "up: condor_config_val FULL_HOSTNAME failed: $(tail_of "$log" 1)"
	names+=("$name")
	for ((i = 1; i < hosts; i++)); do
		start_node "$i" "$name" "$name"
		names+=("node$i")
	done
	local st=0
	wait_for 90 pool_ready || st=$?
	case $st in
	0) ;;
	2) die "up: condor_master died: $(tail_of "$log" 2) $(tail_of "$root/var/log/condor/MasterLog" 3)" ;;
	*) die "up: the pool's slots or schedd did not appear within 90 s (slots: $(timeout 5 chroot "$root" /usr/bin/condor_status -af Name 2>&1 | tr '\n' ' ')): $(tail_of "$root/var/log/condor/StartLog" 2) $(tail_of "$root/var/log/condor/SchedLog" 2)" ;;
	esac
	local schedd
	schedd=$(timeout 5 chroot "$root" /usr/bin/condor_status -schedd -af Name 2>/dev/null | head -n 1)
	cat >"$dir/env" <<EOF
# made by $prog up: the HTCondor pool in $dir
ROOT=$root
POOL_USER=$user
SCHEDD=$schedd
NHOSTS=$hosts
HOSTS="${names[*]}"
CPUS=$CPUS
EOF
	trap - EXIT
}

case $action in
up) up ;;
down) down || die "down: could not remove everything (see above)" ;;
esac
