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
	// For the profile: timed marks a request the program started (Isend,
	// Irecv, …) in a profiled world, whose Wait and Test are counted;
	// sendSeq and recvSeq number the message sent or received (see
	// profile_link.go), 0 if none.
	timed            bool
	obj              bool  // RecvObj's own receive, counted as RecvObj
	comm             *Comm // a timed request's communicator
	sendSeq, recvSeq uint64

	// Completion is lock-free: complete claims the request (reqClaimed),
	// writes status and err, then publishes them (reqDone); whoever sees
	// reqDone reads them without a lock. A waiter that sleeps registers a
	// channel first (reqWaiting), and only then does complete take mu to
	// signal it, so that the common case, a request completed while its
	// owner polls, costs two atomic operations and no lock. The three
	// flags share one word: each step is one atomic Or that also returns
	// the flags before it, so that complete learns whether anyone waits
	// from the very operation that publishes the outcome.
	state  atomic.Uint32
	mu     sync.Mutex
	wake   chan struct{} // signalled on completion once reqWaiting is set
	status Status
	err    error
}

// Request state flags (Request.state).
const (
	reqClaimed = 1 << iota // complete has begun: its outcome wins
	reqDone                // status and err are written
	reqWaiting             // a waiter registered its channel and may sleep
)

// isDone reports whether the request has completed.
func (r *Request) isDone() bool { return r.state.Load()&reqDone != 0 }

// complete records the outcome and wakes a waiter. The first completion
// wins: a request failed by a lost peer stays failed.
func (r *Request) complete(st Status, err error) {
	if r.state.Or(reqClaimed)&reqClaimed != 0 {
		return
	}
	r.status, r.err = st, err
	// A waiter sets reqWaiting after registering its channel and before
	// its last look at reqDone: either it sees reqDone, or this sees
	// reqWaiting.
	if r.state.Or(reqDone)&reqWaiting != 0 {
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
	if r != nil && r.timed {
		op := opWait
		if r.obj {
			op = opRecvObj
		}
		return r.waitTimed(op, context.Background())
	}
	return r.wait(context.Background())
}

// WaitContext is Wait that gives up when ctx ends, returning ctx's error.
// The request stays in progress: wait for it again or cancel it.
func (r *Request) WaitContext(ctx context.Context) (Status, error) {
	if r != nil && r.timed {
		return r.waitTimed(opWaitContext, ctx)
	}
	return r.wait(ctx)
}

// wait is WaitContext, never counted in the profile.
func (r *Request) wait(ctx context.Context) (Status, error) {
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
	for !r.isDone() {
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
	r.state.Or(reqWaiting)
	return ch
}

// result returns the outcome of a request that is done.
func (r *Request) result() (Status, error) {
	return r.status, r.err
}

// Test reports whether the request has completed, with its status if so.
func (r *Request) Test() (bool, Status, error) {
	if r != nil && r.timed {
		return r.testTimed()
	}
	if r == nil {
		return false, Status{}, fmt.Errorf("comm: test of a nil request: %w", ErrArg)
	}
	if !r.isDone() {
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
// failed, joined, each prefixed with its index (nil entries are skipped).
// It discards the statuses, as MPI_Waitall with MPI_STATUSES_IGNORE does,
// and allocates nothing when every request succeeds; WaitAllStatus keeps
// them.
func WaitAll(reqs ...*Request) error {
	if p := timedIn(reqs); p != nil {
		return p.waitAll(opWaitAll, reqs, nil)
	}
	return waitAll(reqs, nil)
}

// WaitAllStatus is WaitAll that also returns the statuses (MPI_Waitall):
// the i-th is reqs[i]'s, as Wait would return it, and zero for a nil
// entry. The statuses are returned even when some requests failed: a
// truncated receive's says how many bytes it stored.
func WaitAllStatus(reqs ...*Request) ([]Status, error) {
	sts := make([]Status, len(reqs))
	if p := timedIn(reqs); p != nil {
		return sts, p.waitAll(opWaitAllStatus, reqs, sts)
	}
	return sts, waitAll(reqs, sts)
}

// waitAll waits for reqs, storing their statuses in sts unless it is nil.
func waitAll(reqs []*Request, sts []Status) error {
	var errs []error
	for i, r := range reqs {
		if r == nil {
			continue
		}
		st, err := r.wait(context.Background())
		if sts != nil {
			sts[i] = st
		}
		if err != nil {
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
	if p := timedIn(reqs); p != nil {
		return p.waitAny(reqs)
	}
	i, _, st, err := waitAny(reqs)
	return i, st, err
}

// waitAny is WaitAny, never counted in the profile; it also returns the
// request that completed.
func waitAny(reqs []*Request) (int, *Request, Status, error) {
	ch := make(chan struct{}, 1)
	for spin := 0; ; spin++ {
		live := false
		for i, r := range reqs {
			if r == nil {
				continue
			}
			live = true
			if r.isDone() {
				reqs[i] = nil
				st, err := r.result()
				return i, r, st, err
			}
		}
		if !live {
			return -1, nil, Status{}, nil
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
					r.state.Or(reqWaiting)
				}
			}
			continue
		}
		<-ch
	}
}

// requestPool recycles the requests behind blocking calls, which never
// escape to the caller, so that Send and Recv allocate nothing. It backs
// each world's spare requests (world.spare).
var requestPool = sync.Pool{New: func() any { return new(Request) }}

// getRequest returns a request for a blocking call: one of the world's
// spares (a blocking call needs one, a Sendrecv with a large send two),
// else one from requestPool. A spare costs one atomic swap; the pool's
// Get and Put stood out in profiles of a small Sendrecv to self, which
// the spares made faster (bench/results/2026-11-21-msg-path).
func (w *world) getRequest() *Request {
	for i := range w.spare {
		if w.spare[i].Load() != nil {
			if r := w.spare[i].Swap(nil); r != nil {
				return r
			}
		}
	}
	return requestPool.Get().(*Request)
}

// putRequest resets r, which the caller has waited for, and keeps it for
// the next blocking call.
func (w *world) putRequest(r *Request) {
	if r.state.Load()&reqWaiting != 0 && len(r.wake) > 0 {
		<-r.wake // drop a stale signal
	}
	r.w, r.recv, r.buf, r.isRecv, r.alloc, r.peer, r.pollPeer = nil, match.Recv{}, nil, false, false, 0, 0
	r.tag, r.ctx, r.sync, r.nbytes = 0, 0, false, 0
	r.timed, r.obj, r.comm, r.sendSeq, r.recvSeq = false, false, nil, 0, 0
	r.status, r.err = Status{}, nil
	r.state.Store(0)
	for i := range w.spare {
		if w.spare[i].Load() == nil && w.spare[i].CompareAndSwap(nil, r) {
			return
		}
	}
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
