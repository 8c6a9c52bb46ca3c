package collective

import (
	"errors"
	"fmt"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/internal/commhook"
)

// call is one collective call on one rank, the shape every algorithm is
// written in: the communicator's collective view, the call's base tag, the
// scratch the call holds and the first error it kept while the algorithm
// carried on. Each exported function declares a call on its stack, begins
// it, checks its arguments, picks the algorithm and runs it; done ends it.
// The reductions extend it with their operation (reduction).
type call struct {
	cc         *comm.Comm // the collective view of the communicator
	st         *state     // the communicator's state
	name       string     // the operation, for errors ("gatherv")
	tag        int        // the call's base tag; messages use tag+role, role < 1<<callTagBits
	rank, size int
	held       [6][]uint64 // scratch to give back when the call ends (4 at most today)
	nheld      int
	err        error // the first error kept while the algorithm carried on
	// For the profile (profile.go): nil prof when c is not profiled.
	prof        *commhook.Profile[*comm.Comm]
	user        *comm.Comm // the communicator the program called with
	start       int64
	bytes, root int // the caller's buffer size and root (-1: none), set by the exported function
}

// begin starts a call of operation name on c. It rejects a nil
// communicator and then, before any other check, numbers the call, so that
// every rank numbers its calls alike even when some rank's arguments are
// wrong: an erroneous call still counts. begin fills x in place rather than
// returning a call, which would zero and copy it on the hot path
// (bench/results/2026-11-21-coll-small-bind/profile.md).
func (x *call) begin(c *comm.Comm, name string) error {
	cc, prof := commhook.CollectiveCall(c)
	if prof != nil {
		x.prof, x.user, x.start, x.root = prof, c, prof.Start(), -1
	}
	if cc == nil {
		return fmt.Errorf("collective: %s: nil communicator: %w", name, comm.ErrComm)
	}
	st := stateOf(cc)
	seq := st.seq.Add(1)
	x.cc, x.st, x.name = cc, st, name
	x.tag = int(seq%(1<<(31-callTagBits))) << callTagBits
	x.rank, x.size = cc.Rank(), cc.Size()
	return nil
}

// forced returns the algorithm forced for op (a test override on this
// communicator, else SPMD_COLL_<OP>), or "" for the decision function's
// choice. It is called before any message, so that every rank (whose
// environment and arguments agree) runs the same algorithm.
func (x *call) forced(op string) (string, error) {
	if m := x.st.override.Load(); m != nil {
		if alg, ok := (*m)[op]; ok {
			return alg, checkAlgorithm(op, alg, "test override")
		}
	}
	return x.st.forcedByEnv(op)
}

// checkRoot rejects a root outside the communicator; every rank sees the
// same error.
func (x *call) checkRoot(root int) error {
	if root < 0 || root >= x.size {
		return fmt.Errorf("collective: %s: root %d of %d ranks: %w", x.name, root, x.size, comm.ErrRank)
	}
	return nil
}

// keep records err if it is the call's first; the algorithm carries on.
func (x *call) keep(err error) {
	if x.err == nil && err != nil {
		x.err = err
	}
}

// done ends the call: it gives the scratch back and returns err, else the
// first error kept, wrapped with the operation and the algorithm (alg may
// be "" where none was chosen).
func (x *call) done(alg string, err error) error {
	for i := range x.nheld {
		x.st.put(x.held[i])
		x.held[i] = nil
	}
	x.nheld = 0
	if x.prof != nil {
		x.prof.End(x.user, x.start, goName(x.name), alg, x.bytes, x.root)
	}
	if err == nil {
		err = x.err
	}
	switch {
	case err == nil:
		return nil
	case alg == "":
		return fmt.Errorf("collective: %s: %w", x.name, err)
	}
	return fmt.Errorf("collective: %s (%s): %w", x.name, alg, err)
}

// hold records scratch words to give back when the call ends.
func (x *call) hold(b []uint64) {
	if x.nheld < len(x.held) {
		x.held[x.nheld] = b
		x.nheld++
	}
}

// Messages. Each call's messages carry tag+role, role naming the message's
// part in the algorithm (below 1<<callTagBits). A receive expects exactly
// its buffer's length: a message of another length means the ranks passed
// lengths that disagree, and the receiver keeps that error (ErrMismatch
// for a shorter message, comm.ErrTruncate for a longer one) and returns
// nil, so that the algorithm goes on to its end and no peer is left
// waiting. Other errors are returned, naming the peer.

// sendTo sends buf to rank to.
func sendTo[T comm.Scalar](x *call, buf []T, to, role int) error {
	if err := comm.Send(x.cc, buf, to, x.tag+role); err != nil {
		return fmt.Errorf("send to rank %d: %w", to, err)
	}
	return nil
}

// isendTo starts a send of buf to rank to.
func isendTo[T comm.Scalar](x *call, buf []T, to, role int) (*comm.Request, error) {
	req, err := comm.Isend(x.cc, buf, to, x.tag+role)
	if err != nil {
		return nil, fmt.Errorf("send to rank %d: %w", to, err)
	}
	return req, nil
}

// recvFrom receives exactly len(buf) elements from rank from.
func recvFrom[T comm.Scalar](x *call, buf []T, from, role int) error {
	st, err := comm.Recv(x.cc, buf, from, x.tag+role)
	return x.received(st, err, len(buf)*comm.SizeOf[T](), from)
}

// irecvFrom starts a receive into buf from rank from; check its length
// with waitRecv.
func irecvFrom[T comm.Scalar](x *call, buf []T, from, role int) (*comm.Request, error) {
	req, err := comm.Irecv(x.cc, buf, from, x.tag+role)
	if err != nil {
		return nil, fmt.Errorf("receive from rank %d: %w", from, err)
	}
	return req, nil
}

// exchange sends sbuf to rank to and receives exactly len(rbuf) elements
// from rank from, at once.
func exchange[T comm.Scalar](x *call, sbuf []T, to int, rbuf []T, from, role int) error {
	st, err := comm.Sendrecv(x.cc, sbuf, to, x.tag+role, rbuf, from, x.tag+role)
	if err != nil && !errors.Is(err, comm.ErrTruncate) {
		return fmt.Errorf("exchange (send to rank %d, receive from rank %d): %w", to, from, err)
	}
	return x.received(st, err, len(rbuf)*comm.SizeOf[T](), from)
}

// waitRecv waits for a receive from rank from that expects bytes bytes.
func (x *call) waitRecv(req *comm.Request, bytes, from int) error {
	st, err := req.Wait()
	return x.received(st, err, bytes, from)
}

// received checks a completed receive that expected want bytes: see
// Messages above.
func (x *call) received(st comm.Status, err error, want, from int) error {
	switch {
	case errors.Is(err, comm.ErrTruncate):
		x.keep(fmt.Errorf("receive from rank %d: %w", from, err))
	case err != nil:
		return fmt.Errorf("receive from rank %d: %w", from, err)
	case st.Bytes != want:
		x.keep(fmt.Errorf("receive from rank %d: %d bytes, expected %d: %w", from, st.Bytes, want, ErrMismatch))
	}
	return nil
}
