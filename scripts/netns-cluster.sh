#!/usr/bin/env bash
# A three-host cluster on one machine, for spmdrun's multi-host tests (and
# the hosts of scripts/slurm-cluster.sh):
#
#   scripts/netns-cluster.sh up DIR [HOSTS]  make it (a few seconds at most);
#                                            HOSTS hosts, 1 to 9, default 3
#   scripts/netns-cluster.sh down DIR        remove it; safe to run again
#
# Each "host" is a network namespace with its own eth0 (a veth into a bridge
# that lives in a fourth, "switch" namespace), its own host name (UTS
# namespace) and its own /dev/shm (a tmpfs in a mount namespace), so that
# spmd's ranks take TCP across real interfaces between hosts and shared
# memory only within one, as on separate machines. The root namespace, where
# the root spmdrun runs, is on the bridge too. Every host runs an sshd that
# lets root in with a key made for the cluster. Apart from /dev/shm the hosts
# share the machine's file system and process ids, so binaries are at the
# same paths everywhere and pgrep on one host sees every host's processes.
#
# up writes into DIR (which must not hold whitespace or quotes; it is written
# into the ssh and sshd configurations):
#   hostfile      the hosts' addresses, slots=2 each, for --hostfile
#   ssh           "ssh with the cluster's configuration", for --launcher DIR/ssh
#   cluster.env   NET, ROOT_ADDR, HOSTS, NETNS, HOSTNAMES, SWITCH (shell syntax)
#   ssh_config, sshd_config, keys, sshd-hN.pid and .log, netns-cluster.log
#
# The addresses are 10.23.X.1 (root namespace) and 10.23.X.11-19 (hosts), X
# chosen so that no address or route of the root namespace is in 10.23.X.0/24.
# Names derive from DIR (a hash), so clusters with different DIRs do not
# collide. Needs root, iproute2, openssh-server and util-linux's unshare and
# flock. Every failure is one line on standard error and a non-zero status;
# a failed up removes what it made.
set -euo pipefail

prog=netns-cluster
die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -lt 2 ] || [ $# -gt 3 ] || [[ $1 != up && $1 != down ]] || [[ $1 == down && $# -ne 2 ]]; then
	die "usage: $0 up DIR [HOSTS] | down DIR"
fi
action=$1
nhosts=${3:-3}
case $nhosts in
[1-9]) ;;
*) die "HOSTS must be 1 to 9: $nhosts" ;;
esac
case $2 in
*[!A-Za-z0-9_./+-]* | '') die "DIR must be a non-empty path of letters, digits and _./+- (it goes into ssh configurations): $2" ;;
esac
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces and sshd)"
# ip is in /usr/sbin, which not every PATH has.
PATH=$PATH:/usr/sbin:/sbin
command -v ip >/dev/null || die "ip not found: install Debian's iproute2"

dir=$(realpath -m -- "$2")
id=$(printf '%s' "$dir" | sha256sum | cut -c1-8)
ns_host() { echo "spmd-$id-h$1"; } # also the host's host name
switch="spmd-$id-sw"
# The root namespace's end of its link to the switch; interface names have at
# most 15 characters.
rootlink="spmd${id}r"
log=$dir/$prog.log

# kill_ns kills every process in network namespace $1 and waits (bounded)
# until none is left: processes started through ssh outlive their sshd, and a
# namespace whose processes live on is not really gone.
kill_ns() {
	local ns=$1 pids i
	for i in $(seq 50); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086 # one pid per word
		kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	echo "$prog: processes outlived SIGKILL in namespace $ns: $pids" >&2
	return 1
}

# down removes everything up makes; what is already gone is skipped. It works
# from the names alone, so it also cleans up after an up that failed halfway
# or a DIR that was deleted.
down() {
	local i ns pid ok=0
	# Every host an up of any size may have made.
	for i in $(seq 9); do
		ns=$(ns_host "$i")
		# The sshd by its pid file first, checking that the pid is still in
		# the namespace (pids are reused), then whatever else is there.
		if pid=$(cat "$dir/sshd-h$i.pid" 2>/dev/null) && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		rm -f "$dir/sshd-h$i.pid"
		if [ -e "/run/netns/$ns" ]; then
			kill_ns "$ns" || ok=1
			ip netns del "$ns" 2>/dev/null || { echo "$prog: cannot delete namespace $ns" >&2 && ok=1; }
		fi
	done
	if [ -e "/run/netns/$switch" ]; then
		kill_ns "$switch" || ok=1
		# Deleting the switch namespace deletes the bridge and the veths in it,
		# and with them their peers: the hosts' eth0 and $rootlink.
		ip netns del "$switch" 2>/dev/null || { echo "$prog: cannot delete namespace $switch" >&2 && ok=1; }
	fi
	# The kernel tears a deleted namespace's devices down after the call
	# returns (later on a busy machine): $rootlink may still show, and
	# vanish while it is being deleted here. Only one that stays is an error.
	if ip link show "$rootlink" >/dev/null 2>&1; then
		ip link del "$rootlink" 2>/dev/null || true
		for _ in $(seq 50); do
			ip link show "$rootlink" >/dev/null 2>&1 || break
			sleep 0.1
		done
		if ip link show "$rootlink" >/dev/null 2>&1; then
			echo "$prog: cannot delete link $rootlink" >&2
			ok=1
		fi
	fi
	return "$ok"
}

# step runs a command, its output going to the log, and dies with the reason
# and the command's last line of output when it fails.
step() {
	local what=$1
	shift
	if ! "$@" </dev/null >>"$log" 2>&1; then
		die "up: $what failed: $(tail -n 1 "$log")"
	fi
}

# subnet_free tells whether 10.23.$1.0/24 is unused in the root namespace: no
# address in it, and no route into it or covering it other than a default.
subnet_free() {
	local p=10.23.$1.0/24
	[ -z "$(ip -4 addr show to "$p")" ] &&
		[ -z "$(ip -4 route show table all root "$p")" ] &&
		[ -z "$(ip -4 route show table all match "$p" | awk '$1 != "default"')" ]
}

# undo, the EXIT trap of up, removes what a failed up made.
undo() {
	local st=$?
	if [ "$st" -ne 0 ]; then
		down >/dev/null 2>&1 || true
	fi
	exit "$st"
}

up() {
	[ -x /usr/sbin/sshd ] || die "up: /usr/sbin/sshd not found: install Debian's openssh-server"
	local c
	for c in ssh ssh-keygen unshare flock hostname; do
		command -v "$c" >/dev/null || die "up: $c not found"
	done
	if [ -e "/run/netns/$(ns_host 1)" ] || [ -e "/run/netns/$switch" ]; then
		die "up: a cluster for $dir is already up (run: $0 down $dir)"
	fi
	mkdir -p "$dir" || die "up: cannot create $dir"
	: >"$log"
	# From here on a failure removes what was made.
	trap undo EXIT

	# Keys: sshd's host key and root's login key, new for every cluster.
	rm -f "$dir/host_ed25519" "$dir/host_ed25519.pub" "$dir/id_ed25519" "$dir/id_ed25519.pub"
	step "ssh-keygen (host key)" ssh-keygen -q -t ed25519 -N '' -C "$prog-host" -f "$dir/host_ed25519"
	step "ssh-keygen (user key)" ssh-keygen -q -t ed25519 -N '' -C "$prog-user" -f "$dir/id_ed25519"
	cp "$dir/id_ed25519.pub" "$dir/authorized_keys"

	# sshd refuses to start without its privilege separation directory,
	# which Debian's ssh service creates at start (not at install).
	mkdir -p /run/sshd
	chmod 0755 /run/sshd

	# The switch: a bridge in a namespace of its own rather than in the root
	# namespace, so that the root namespace's firewall (br_netfilter with a
	# FORWARD policy of DROP, as Docker sets it) cannot filter the traffic
	# between hosts.
	step "creating namespace $switch" ip netns add "$switch"
	step "creating the bridge" ip -n "$switch" link add br0 type bridge forward_delay 0
	step "bringing the bridge up" ip -n "$switch" link set br0 up
	step "creating $rootlink" ip link add "$rootlink" type veth peer name root netns "$switch"
	step "attaching $rootlink" ip -n "$switch" link set root master br0 up

	# Choose the subnet and claim it (by putting its first address on
	# $rootlink) under a lock, so that concurrent ups choose different ones.
	# The lock is on this script, which leaves no lock file behind.
	local x start k net=
	exec 9<"${BASH_SOURCE[0]}"
	flock -w 30 9 || die "up: timed out waiting for another $prog up to choose its subnet"
	start=$((16#${id:0:4} % 254))
	for k in $(seq 0 253); do
		x=$(((start + k) % 254 + 1))
		if subnet_free "$x"; then
			net=10.23.$x
			break
		fi
	done
	[ -n "$net" ] || die "up: no free subnet 10.23.X.0/24 in the root namespace"
	step "addressing $rootlink" ip addr add "$net.1/24" dev "$rootlink"
	step "bringing $rootlink up" ip link set "$rootlink" up
	flock -u 9
	exec 9<&-

	local i ns addr hosts=() names=()
	for i in $(seq "$nhosts"); do
		ns=$(ns_host "$i")
		addr=$net.1$i
		step "creating namespace $ns" ip netns add "$ns"
		step "creating $ns's eth0" ip -n "$switch" link add "h$i" type veth peer name eth0 netns "$ns"
		step "attaching $ns's eth0" ip -n "$switch" link set "h$i" master br0 up
		step "bringing $ns's lo up" ip -n "$ns" link set lo up
		step "addressing $ns's eth0" ip -n "$ns" addr add "$addr/24" dev eth0
		step "bringing $ns's eth0 up" ip -n "$ns" link set eth0 up
		# The default route reaches every address of the root namespace
		# (its eth0's too), wherever the root spmdrun says it listens.
		step "routing $ns" ip -n "$ns" route add default via "$net.1"
		hosts+=("$addr")
		names+=("$ns")
	done

	cat >"$dir/sshd_config" <<EOF
# sshd for the hosts of $prog (one per namespace; PidFile on the command line)
Port 22
ListenAddress 0.0.0.0
HostKey $dir/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# The keys and DIR may live under a world-writable /tmp.
StrictModes no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
# spmdrun may open a session per host at once, and tests run several jobs.
MaxStartups 100
MaxSessions 100
LogLevel INFO
EOF
	cat >"$dir/ssh_config" <<EOF
# ssh to the hosts of $prog: ssh -F $dir/ssh_config ADDRESS COMMAND
Host *
	User root
	Port 22
	IdentityFile $dir/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile /dev/null
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking no
	BatchMode yes
	LogLevel ERROR
	ConnectTimeout 5
	ControlMaster no
	ControlPath none
EOF
	printf '#!/bin/sh\n# ssh to the hosts of %s (spmdrun --launcher %s)\nexec ssh -F %s "$@"\n' \
		"$prog" "$dir/ssh" "$dir/ssh_config" >"$dir/ssh"
	chmod 0755 "$dir/ssh"
	step "checking sshd_config" /usr/sbin/sshd -t -f "$dir/sshd_config"

	for i in $(seq "$nhosts"); do
		ns=$(ns_host "$i")
		# unshare gives the host its own host name (spmd's ranks use the name,
		# with the kernel's boot id, to find the ranks that share their
		# machine) and its own /dev/shm. sshd daemonises; it and every
		# session it starts stay in these namespaces.
		# shellcheck disable=SC2016 # $1.. are the inner shell's arguments
		step "starting sshd in $ns" ip netns exec "$ns" unshare --uts --mount --propagation private \
			/bin/sh -c 'hostname "$1" && mount -t tmpfs -o mode=1777,nosuid,nodev spmd-shm /dev/shm &&
				exec /usr/sbin/sshd -f "$2" -o PidFile="$3" -E "$4"' \
			sh "$ns" "$dir/sshd_config" "$dir/sshd-h$i.pid" "$dir/sshd-h$i.log"
	done

	# Wait until every sshd lets us in: a refused connection fails at once,
	# so the retries are quick; 100 of them bound the wait to about 10 s.
	for i in $(seq "$nhosts"); do
		addr=${hosts[i - 1]}
		for k in $(seq 100); do
			"$dir/ssh" "$addr" true </dev/null >>"$log" 2>&1 && break
			[ "$k" -lt 100 ] || die "up: sshd on $addr (namespace $(ns_host "$i")) does not let root in: ssh: $(tail -n 1 "$log"); sshd: $(tail -n 1 "$dir/sshd-h$i.log" 2>/dev/null)"
			sleep 0.1
		done
	done

	{
		echo "# made by $prog up; the hosts are network namespaces"
		for addr in "${hosts[@]}"; do
			echo "$addr slots=2"
		done
	} >"$dir/hostfile"
	cat >"$dir/cluster.env" <<EOF
NET=$net
ROOT_ADDR=$net.1
HOSTS="${hosts[*]}"
NETNS="${names[*]}"
HOSTNAMES="${names[*]}"
SWITCH=$switch
EOF
	trap - EXIT
}

case $action in
up) up ;;
down) down || die "down: could not remove everything (see above)" ;;
esac
