// Package realsched holds the tests that run spmd under real batch systems
// started on this machine, rather than under stand-ins: a real Slurm
// (Debian's slurmctld and slurmd, through scripts/slurm-cluster.sh), one
// node on this host and three nodes in network namespaces; and a real
// HTCondor pool running parallel-universe jobs (Debian 13's HTCondor in a
// chroot, through scripts/condor-pool.sh, which builds the chroot once and
// keeps it in /var/tmp/spmd-condor-pool or SPMD_CONDOR_POOL).
//
// The package has no code of its own; its tests are the point. They need
// root and Debian's Slurm packages (scripts/setup-slurm.sh installs them),
// and skip, saying why, without them or with SPMD_NO_SLURM=1. The HTCondor
// tests need root and a way to Debian's mirror for the first build of the
// chroot, and skip, saying why, without them or with SPMD_NO_CONDOR=1.
// When SPMD_REALSCHED_REPORT names a file, the test binary writes two
// lines there saying whether the real-Slurm and the real-HTCondor tests
// ran, for `make test` to print.
package realsched
