# compare-lib.sh: what compare-pt2pt.sh and compare-coll.sh share. Source
# it from the repository root after setting PROG (the script's name, for
# messages).

say() { printf '%s\n' "$*" >&2; }
die() { say "$PROG: $*"; exit 1; }

# new_results_dir BASE: BASE, or BASE-2, BASE-3… if it exists (rounds of
# two sessions are never mixed); prints the directory it creates.
new_results_dir() {
	local out=$1 i=2
	if [[ -e $out ]]; then
		while [[ -e $out-$i ]]; do i=$((i + 1)); done
		out=$out-$i
	fi
	mkdir -p "$out/raw"
	printf '%s\n' "$out"
}

# install_mpis installs Debian's Open MPI and MPICH when missing.
install_mpis() {
	local need=()
	command -v mpicc.openmpi >/dev/null && command -v mpirun.openmpi >/dev/null || need+=(openmpi-bin libopenmpi-dev)
	command -v mpicc.mpich >/dev/null && command -v mpirun.mpich >/dev/null || need+=(mpich)
	((${#need[@]})) || return 0
	local sudo=
	[[ $(id -u) == 0 ]] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	say "installing ${need[*]}"
	if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
		timeout 600 $sudo apt-get update -q
	fi
	if ! timeout 900 $sudo apt-get install -y -q "${need[@]}"; then
		timeout 600 $sudo apt-get update -q
		timeout 900 $sudo apt-get install -y -q "${need[@]}"
	fi
}

# build_tools PEER builds spmdrun, spmdbench, benchtable and our C peer
# bench/peers/PEER.c for both MPIs into bin/.
build_tools() {
	local peer=$1
	mkdir -p bin
	say "building into $PWD/bin"
	go build -o bin/spmdrun ./launcher/cmd/spmdrun
	go build -o bin/spmdbench ./bench/cmd/spmdbench
	go build -o bin/benchtable ./bench/cmd/benchtable
	mpicc.openmpi -O2 -Wall -o "bin/$peer.openmpi" "bench/peers/$peer.c"
	mpicc.mpich -O2 -Wall -o "bin/$peer.mpich" "bench/peers/$peer.c"
}
