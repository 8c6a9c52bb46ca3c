package comm

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
	"github.com/spmd-go/spmd/internal/pmi"
)

// Bootstrap is how the ranks of a job find each other before they can talk:
// a key-value space with a fence, as PMI provides. Init uses PMI (PMI-1
// from spmdrun or MPICH's mpiexec; PMI-1 or PMI-2 from srun --mpi=pmi2), a
// key-value server of its own in a Slurm step without PMI, or, with no
// launcher, a world of one; Join takes any implementation (package
// commtest has an in-process one).
type Bootstrap interface {
	Rank() int
	Size() int
	// Put publishes a value; others see it after the next Fence.
	Put(key, value string) error
	// Fence waits until every rank has reached it.
	Fence() error
	// Get reads a value published before the last Fence.
	Get(key string) (string, error)
	// Finalize says this rank is done.
	Finalize() error
	// Abort asks the launcher to end the job with code.
	Abort(code int, msg string) error
}

// envPMI selects the PMI wire protocol: "1", "2", or "auto" (the default,
// also when empty). See bootstrapFromEnv.
const envPMI = "SPMD_PMI"

// bootstrapFromEnv picks the first bootstrap the environment offers:
//
//  1. PMI, when PMI_FD or PMI_PORT is set (spmdrun, MPICH's mpiexec,
//     srun --mpi=pmi2). SPMD_PMI chooses the wire: 1 for PMI-1 only, 2
//     for PMI-2 only (over PMI_FD), auto (the default) for PMI-1 unless
//     the server answers that it speaks PMI-2, in which case the same
//     connection goes on in PMI-2 (see pmi.ConnectFromEnv). PMI-1 is the
//     default because every known server speaks it, Slurm's pmi2 plugin
//     included.
//  2. A Slurm step without PMI (srun --mpi=none or --mpi=pmix: SLURM_JOB_ID,
//     SLURM_STEP_ID and SLURM_PROCID set): rank 0 serves the key-value
//     space itself (see slurmBootstrapFromEnv).
//  3. Else a world of one rank.
//
// A variable that is set but malformed is an error, not a fall-through:
// running as a singleton by mistake would be worse.
func bootstrapFromEnv() (Bootstrap, error) {
	v, err := pmi.ParseVersion(os.Getenv(envPMI))
	if err != nil {
		return nil, fmt.Errorf("comm: %s: %w: %w", envPMI, ErrArg, err)
	}
	e, err := pmi.ConnectFromEnv(v)
	switch {
	case err == nil:
		return pmiBootstrap{e}, nil
	case !errors.Is(err, pmi.ErrNoPMI):
		return nil, fmt.Errorf("comm: PMI bootstrap: %w", err)
	}
	b, err := slurmBootstrapFromEnv(os.Getenv)
	if err != nil || b != nil {
		return b, err
	}
	return singleton{}, nil
}

// pmiBootstrap is the bootstrap of a rank launched through PMI, over
// either wire (the PMI-1 or the PMI-2 client).
type pmiBootstrap struct{ pmi.Endpoint }

func (b pmiBootstrap) Fence() error { return b.Barrier() }

// lossReporter is a bootstrap that can tell the launcher which peer this
// rank saw die. When one rank dies its peers fail too, often within a
// millisecond; the report lets the launcher name the rank that died first
// rather than one that exited because of it.
type lossReporter interface {
	ReportLost(peer int)
}

// lossReportWait bounds how long reporting a loss may hold up the failure
// of the operations that depend on the lost peer. The put is answered by
// the rank's own launcher or proxy on its host, at once unless that host
// is overloaded; a report that comes too late lets the launcher blame
// this rank's failure rather than the death it follows (spmdrun holds
// failures for up to a second to sort them), so the bound is generous:
// it costs nothing when the launcher answers, or is gone (the put then
// fails at once).
const lossReportWait = time.Second

// ReportLost puts "spmd-lost-<rank>" into the job's key-value space, which
// spmdrun watches; other PMI servers just store it.
func (b pmiBootstrap) ReportLost(peer int) {
	done := make(chan struct{})
	go func() {
		_ = b.Put(jobnames.LostKey(b.Rank()), strconv.Itoa(peer))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(lossReportWait):
	}
}

// singleton is the bootstrap of a program run without a launcher.
type singleton struct{}

func (singleton) Rank() int                { return 0 }
func (singleton) Size() int                { return 1 }
func (singleton) Put(string, string) error { return nil }
func (singleton) Fence() error             { return nil }
func (singleton) Finalize() error          { return nil }
func (singleton) Abort(int, string) error  { return nil }
func (singleton) Get(k string) (string, error) {
	return "", fmt.Errorf("comm: singleton has no key %q", k)
}
