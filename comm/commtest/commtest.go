// Package commtest runs the ranks of an SPMD job as goroutines in one
// process, over spmd's real TCP transport on loopback, so that tests of
// package comm and of everything above it are fast, need no launcher, and
// run under the race detector.
//
//	err := commtest.Run(4, func(c *comm.Comm) error {
//		return comm.Send(c, []int{c.Rank()}, (c.Rank()+1)%c.Size(), 0)
//		// …
//	})
//
// Each rank gets its own runtime (its own matching engine, connections and
// world communicator), exactly as separate processes would; only the
// bootstrap (an in-memory key-value space with a fence) is shared.
package commtest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/internal/jobnames"
)

// DefaultTimeout bounds a Run unless Timeout says otherwise.
const DefaultTimeout = 2 * time.Minute

// Option changes how Run runs.
type Option func(*options)

type options struct {
	cfg     comm.Config
	timeout time.Duration
	logf    func(string, ...any)
	hosts   func(rank int) string
}

// Config sets the runtime configuration of every rank (Exit is replaced).
func Config(cfg comm.Config) Option { return func(o *options) { o.cfg = cfg } }

// Timeout bounds the whole run: past it Run returns an error naming the
// ranks that had not finished (their goroutines are left behind).
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Hosts gives each rank the host name it publishes (comm.Config.Host):
// ranks with different names talk over TCP, ranks with the same name over
// shared memory, so one process can run a "multi-host" job.
func Hosts(f func(rank int) string) Option { return func(o *options) { o.hosts = f } }

// Logf receives the runtime's log lines (default: dropped).
func Logf(f func(string, ...any)) Option { return func(o *options) { o.logf = f } }

// AbortError is the error of a rank that called Abort.
type AbortError struct {
	Rank, Code int
}

func (e *AbortError) Error() string { return fmt.Sprintf("rank %d called Abort(%d)", e.Rank, e.Code) }

// Run starts n ranks, calls f on each with its world communicator, then
// finalizes them. A rank whose f fails aborts, so that the peers it has a
// connection to fail promptly instead of waiting for it; a peer that never
// talked to it is not told (there is no launcher to tell it), and waits
// until the timeout if it waits for the failed rank, as a rank entering
// Finalize may. Run returns every rank's error, joined, each prefixed with
// its rank; past the timeout, the error names the ranks still running and
// carries the errors of those that failed.
func Run(n int, f func(c *comm.Comm) error, opts ...Option) error {
	o := options{timeout: DefaultTimeout, logf: func(string, ...any) {}}
	for _, opt := range opts {
		opt(&o)
	}
	if n < 1 {
		return fmt.Errorf("commtest: %d ranks: %w", n, comm.ErrArg)
	}
	k := newKVS(n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	finished := make([]bool, n)
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				finished[r] = true
				mu.Unlock()
			}()
			cfg := o.cfg
			cfg.Logf = o.logf
			if o.hosts != nil {
				cfg.Host = o.hosts(r)
			}
			cfg.Exit = func(code int) {
				if errs[r] == nil {
					errs[r] = &AbortError{Rank: r, Code: code}
				}
				runtime.Goexit()
			}
			c, err := comm.Join(&boot{k: k, rank: r}, cfg)
			if err != nil {
				errs[r] = fmt.Errorf("rank %d: join: %w", r, err)
				k.abort(err)
				return
			}
			if err := f(c); err != nil {
				errs[r] = fmt.Errorf("rank %d: %w", r, err)
				c.Abort(1)
			}
			if err := c.Finalize(); err != nil {
				errs[r] = fmt.Errorf("rank %d: %w", r, err)
			}
		}()
	}
	// Ranks unlink their shared-memory segments once mapped; a run killed
	// during wire-up has no launcher to remove them, so the cluster does.
	defer k.removeSegments()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timer := time.NewTimer(o.timeout)
	defer timer.Stop()
	select {
	case <-done:
		return errors.Join(errs...)
	case <-timer.C:
		// A rank that failed and aborted is told to no peer that never
		// talked to it (commtest has no launcher to tell them), so the
		// failure often shows as others waiting on it: report the errors
		// of the ranks that did finish, which name the cause. Each rank
		// wrote its error before marking itself finished under mu.
		mu.Lock()
		var stuck []int
		var failed []error
		for r, ok := range finished {
			if !ok {
				stuck = append(stuck, r)
			} else if errs[r] != nil {
				failed = append(failed, errs[r])
			}
		}
		mu.Unlock()
		err := fmt.Errorf("commtest: ranks %v did not finish within %v", stuck, o.timeout)
		return errors.Join(append([]error{err}, failed...)...)
	}
}

// kvs is the shared key-value space and fence of one cluster.
type kvs struct {
	mu      sync.Mutex
	cond    *sync.Cond
	data    map[string]string
	size    int
	arrived int
	gen     int
	err     error
}

func newKVS(size int) *kvs {
	k := &kvs{data: make(map[string]string), size: size}
	k.cond = sync.NewCond(&k.mu)
	return k
}

func (k *kvs) abort(err error) {
	k.mu.Lock()
	if k.err == nil {
		k.err = err
	}
	k.cond.Broadcast()
	k.mu.Unlock()
}

// removeSegments removes whatever shared-memory segments the job left in
// /dev/shm; their names derive from the cookie rank 0 published.
func (k *kvs) removeSegments() {
	k.mu.Lock()
	hexCookie, ok := k.data[jobnames.CookieKey]
	k.mu.Unlock()
	if cookie, err := hex.DecodeString(hexCookie); ok && err == nil {
		_ = shm.RemoveJob(jobnames.ShmPrefix(cookie))
	}
}

// boot is one rank's view of the shared kvs; it implements comm.Bootstrap.
type boot struct {
	k    *kvs
	rank int
}

func (b *boot) Rank() int { return b.rank }
func (b *boot) Size() int { return b.k.size }

func (b *boot) Put(key, value string) error {
	b.k.mu.Lock()
	defer b.k.mu.Unlock()
	if _, dup := b.k.data[key]; dup {
		return fmt.Errorf("commtest: key %q put twice", key)
	}
	b.k.data[key] = value
	return nil
}

func (b *boot) Get(key string) (string, error) {
	b.k.mu.Lock()
	defer b.k.mu.Unlock()
	v, ok := b.k.data[key]
	if !ok {
		return "", fmt.Errorf("commtest: no key %q", key)
	}
	return v, nil
}

func (b *boot) Fence() error {
	k := b.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return fmt.Errorf("commtest: fence: job aborted: %w", k.err)
	}
	gen := k.gen
	k.arrived++
	if k.arrived == k.size {
		k.arrived = 0
		k.gen++
		k.cond.Broadcast()
		return nil
	}
	for gen == k.gen && k.err == nil {
		k.cond.Wait()
	}
	if gen == k.gen {
		return fmt.Errorf("commtest: fence: job aborted: %w", k.err)
	}
	return nil
}

func (b *boot) Finalize() error { return nil }

func (b *boot) Abort(code int, msg string) error {
	b.k.abort(fmt.Errorf("rank %d: %s (code %d)", b.rank, msg, code))
	return nil
}
