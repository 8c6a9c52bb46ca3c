package comm

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm/internal/match"
)

// Request is a non-blocking operation in progress, returned by Isend, Irecv
// and their kin. Wait or Test until it completes before touching its buffer.
type Request struct {
	w      *world
	recv   match.Recv // receives: the engine's view
	buf    []byte
	isRecv bool
	alloc  bool // receive into a buffer of the message's size (object receives)
	peer   int  // world rank: the destination of a send
	tag    int  // a send's tag and context, for diagnostics
	ctx    uint32
	sync   bool // a synchronous-mode send
	nbytes int  // the buffer's size when posted, for diagnostics
	// pollPeer is the world rank whose link a waiter polls for this
	// request's progress, or -1 for every link (AnySource).
	pollPeer int

	// Completion is lock-free: complete claims the request (claimed),
	// writes status and err, then publishes them (done); whoever sees done
	// reads them without a lock. A waiter that sleeps registers a channel
	// first (waiting), and only then does complete take mu to signal it,
	// so that the common case, a request completed while its owner
	// polls, costs two atomic stores and no lock.
	claimed atomic.Bool
	done    atomic.Bool
	waiting atomic.Bool
	mu      sync.Mutex
	wake    chan struct{} // signalled on completion once waiting is set
	status  Status
	err     error
}

// complete records the outcome and wakes a waiter. The first completion
// wins: a request failed by a lost peer stays failed.
func (r *Request) complete(st Status, err error) {
	if !r.claimed.CompareAndSwap(false, true) {
		return
	}
	r.status, r.err = st, err
	r.done.Store(true)
	// A waiter sets waiting after registering its channel and before its
	// last look at done: either it sees done, or this sees waiting.
	if r.waiting.Load() {
		r.mu.Lock()
		ch := r.wake
		r.mu.Unlock()
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// spinRounds is how often WaitAny yields before it sleeps on a channel.
const spinRounds = 64

// Wait blocks until the request completes and returns its status. A send's
// status is zero. Waiting again returns the same result.
func (r *Request) Wait() (Status, error) {
	return r.WaitContext(context.Background())
}

// WaitContext is Wait that gives up when ctx ends, returning ctx's error.
// The request stays in progress: wait for it again or cancel it.
func (r *Request) WaitContext(ctx context.Context) (Status, error) {
	if r == nil {
		return Status{}, fmt.Errorf("comm: wait on a nil request: %w", ErrArg)
	}
	if r.poll() {
		return r.result()
	}
	if r.w != nil {
		op := r.describe()
		r.w.diag.enter(op)
		defer r.w.diag.leave(op)
	}
	ch := r.waitChan()
	for !r.done.Load() {
		select {
		case <-ch:
		case <-ctx.Done():
			return Status{}, ctx.Err()
		}
	}
	return r.result()
}

// waitChan returns the channel that complete signals, registering it.
func (r *Request) waitChan() chan struct{} {
	r.mu.Lock()
	if r.wake == nil {
		r.wake = make(chan struct{}, 1)
	}
	ch := r.wake
	r.mu.Unlock()
	r.waiting.Store(true)
	return ch
}

// result returns the outcome of a request that is done.
func (r *Request) result() (Status, error) {
	return r.status, r.err
}

// Test reports whether the request has completed, with its status if so.
func (r *Request) Test() (bool, Status, error) {
	if r == nil {
		return false, Status{}, fmt.Errorf("comm: test of a nil request: %w", ErrArg)
	}
	if !r.done.Load() {
		return false, Status{}, nil
	}
	st, err := r.result()
	return true, st, err
}

// Cancel cancels a receive that nothing has matched yet; it then completes
// with an error wrapping ErrCanceled. Cancelling a receive that has matched,
// or one already complete, does nothing: Wait reports its real outcome.
// Sends cannot be cancelled (MPI deprecated it) and return ErrArg.
func (r *Request) Cancel() error {
	if r == nil {
		return fmt.Errorf("comm: cancel of a nil request: %w", ErrArg)
	}
	if !r.isRecv {
		return fmt.Errorf("comm: a send cannot be cancelled: %w", ErrArg)
	}
	if r.w.eng.Cancel(&r.recv) {
		r.complete(Status{}, fmt.Errorf("comm: receive from %d tag %d: %w", r.recv.Src, r.recv.Tag, ErrCanceled))
	}
	return nil
}

// WaitAll waits for every request and returns the errors of those that
// failed, joined (nil entries are skipped).
func WaitAll(reqs ...*Request) error {
	var errs []error
	for i, r := range reqs {
		if r == nil {
			continue
		}
		if _, err := r.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("request %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// WaitAny waits until one of the requests completes and returns its index
// and status, setting that entry of reqs to nil (MPI_REQUEST_NULL) so that
// repeated calls visit each request once. With no non-nil request it returns
// index -1 at once.
func WaitAny(reqs ...*Request) (int, Status, error) {
	ch := make(chan struct{}, 1)
	for spin := 0; ; spin++ {
		live := false
		for i, r := range reqs {
			if r == nil {
				continue
			}
			live = true
			if r.done.Load() {
				reqs[i] = nil
				st, err := r.result()
				return i, st, err
			}
		}
		if !live {
			return -1, Status{}, nil
		}
		if spin < spinRounds {
			runtime.Gosched()
			continue
		}
		if spin == spinRounds {
			// Subscribe every request to one channel, then look again: a
			// completion after the look sends on ch.
			for _, r := range reqs {
				if r != nil {
					r.mu.Lock()
					r.wake = ch
					r.mu.Unlock()
					r.waiting.Store(true)
				}
			}
			continue
		}
		<-ch
	}
}

// requestPool recycles the requests behind blocking calls, which never
// escape to the caller, so that Send and Recv allocate nothing.
var requestPool = sync.Pool{New: func() any { return new(Request) }}

func getRequest() *Request {
	r := requestPool.Get().(*Request)
	return r
}

func putRequest(r *Request) {
	if r.waiting.Load() && len(r.wake) > 0 {
		<-r.wake // drop a stale signal
	}
	r.w, r.recv, r.buf, r.isRecv, r.alloc, r.peer, r.pollPeer = nil, match.Recv{}, nil, false, false, 0, 0
	r.tag, r.ctx, r.sync, r.nbytes = 0, 0, false, 0
	r.status, r.err = Status{}, nil
	r.waiting.Store(false)
	r.claimed.Store(false)
	r.done.Store(false)
	requestPool.Put(r)
}

// NewRequest returns a request that completes when complete is first
// called: a generalized request (MPI_Grequest_start), for operations built
// on top of comm — non-blocking collectives that progress on a goroutine of
// their own, for instance. Wait, Test, WaitAll and WaitAny treat it like any
// other; Cancel returns ErrArg.
func NewRequest() (req *Request, complete func(Status, error)) {
	r := new(Request)
	return r, r.complete
}
