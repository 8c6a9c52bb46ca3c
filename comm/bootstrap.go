package comm

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spmd-go/spmd/launcher/pmi"
)

// Bootstrap is how the ranks of a job find each other before they can talk:
// a key-value space with a fence, as PMI provides. Init uses PMI-1 (from
// spmdrun or MPICH's mpiexec) or, with no launcher, a world of one; Join
// takes any implementation (package commtest has an in-process one).
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

// bootstrapFromEnv picks PMI-1 when the environment offers it, else a
// singleton world.
func bootstrapFromEnv() (Bootstrap, error) {
	c, err := pmi.NewClientFromEnv()
	if errors.Is(err, pmi.ErrNoPMI) {
		return singleton{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("comm: PMI bootstrap: %w", err)
	}
	return pmiBootstrap{c}, nil
}

type pmiBootstrap struct{ *pmi.Client }

func (b pmiBootstrap) Fence() error { return b.Barrier() }

// lossReporter is a bootstrap that can tell the launcher which peer this
// rank saw die. When one rank dies its peers fail too, often within a
// millisecond; the report lets the launcher name the rank that died first
// rather than one that exited because of it.
type lossReporter interface {
	ReportLost(peer int)
}

// lossReportWait bounds how long reporting a loss may hold up the failure
// of the operations that depend on the lost peer.
const lossReportWait = 200 * time.Millisecond

// ReportLost puts "spmd-lost-<rank>" into the job's key-value space, which
// spmdrun watches; other PMI servers just store it.
func (b pmiBootstrap) ReportLost(peer int) {
	done := make(chan struct{})
	go func() {
		_ = b.Put("spmd-lost-"+strconv.Itoa(b.Rank()), strconv.Itoa(peer))
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
