// Package realsched holds the tests that run spmd under real batch systems
// started on this machine, rather than under stand-ins: a real Slurm
// (Debian's slurmctld and slurmd, through scripts/slurm-cluster.sh), one
// node on this host and three nodes in network namespaces.
//
// The package has no code of its own; its tests are the point. They need
// root and Debian's Slurm packages (scripts/setup-slurm.sh installs them),
// and skip, saying why, without them or with SPMD_NO_SLURM=1. When
// SPMD_REALSCHED_REPORT names a file, the test binary writes one line
// there saying whether the real-Slurm tests ran, for `make test` to print.
package realsched
