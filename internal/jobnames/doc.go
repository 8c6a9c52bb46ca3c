// Package jobnames holds the names that the ranks of a job (package comm)
// and its launcher (package launcher) must agree on without being told:
// the keys the ranks put into the job's PMI key-value space, and the names
// of the shared-memory segments they create. Each name is written here
// once; both sides build and parse names only through this package.
//
// # Keys in the key-value space
//
// One PMI key-value space serves a job, whichever process manager runs it
// (spmdrun, MPICH's mpiexec, Slurm's srun, or rank 0 itself in a Slurm step
// without PMI), so every key spmd puts is listed here, including those only
// the ranks read, so that no two can collide:
//
//	spmd-card-<rank>            a rank's business card (host, TCP port and
//	                            addresses, pid), put at start-up; spmdrun
//	                            asks only ranks that put one for reports
//	spmd-cookie                 the job's secret, put by rank 0 when the
//	                            launcher gave none
//	spmd-blocked-<rank>-<seq>   the rank's report, on SIGUSR1, of the
//	                            operations it is blocked in (seq counts the
//	                            reports from 0)
//	spmd-lost-<rank>            the peer the rank saw die; spmdrun uses it
//	                            to blame the rank that failed first
//	spmd-span-<rank>            when the rank's Init returned and its
//	                            Finalize began, put as Finalize begins;
//	                            spmdrun --report times the program with it
//
// The values' formats belong to the side that writes them (package comm)
// and the launcher's readers; this package names keys only. Every key is
// printable ASCII without spaces, ';' or '=', and far below the 64-byte key
// limit of PMI-1 servers, so it travels over both PMI wires.
//
// # Shared-memory segments
//
// Two ranks on one host share a segment in /dev/shm, made by the one that
// dials when they first talk, named with a prefix derived from the job's
// secret cookie ([ShmPrefix]) followed by "<dialler>-<listener>-<n>". Both
// unlink it during the pair's set-up; a rank killed in between can leave
// it behind, and the launcher, which knows the cookie, removes whatever
// starts with the prefix when the job ends.
//
// The package sits below both sides because the runtime must not import
// the launcher (a rank binary would carry the launcher's parsers), and the
// launcher never imports the runtime.
package jobnames
