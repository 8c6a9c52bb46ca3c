package comm

import (
	"errors"
	"fmt"
)

// Errors returned by comm, to be tested with errors.Is.
var (
	// ErrTruncate: the message was longer than the receive buffer. The
	// buffer holds the message's first bytes; later messages are unaffected.
	ErrTruncate = errors.New("message truncated: receive buffer too small")
	// ErrRank: a rank outside the communicator.
	ErrRank = errors.New("invalid rank")
	// ErrTag: a negative tag on a send, or a tag below AnyTag on a receive.
	ErrTag = errors.New("invalid tag")
	// ErrPeerLost: the peer's process or connection is gone. The error that
	// wraps it is a *PeerLostError naming the rank.
	ErrPeerLost = errors.New("peer lost")
	// ErrFinalized: the runtime was finalized.
	ErrFinalized = errors.New("comm finalized")
	// ErrCanceled: the receive was cancelled before anything matched it.
	ErrCanceled = errors.New("request cancelled")
	// ErrComm: a nil communicator, or one this process does not belong to.
	ErrComm = errors.New("invalid communicator")
	// ErrPending: an operation was still pending on a communicator being
	// freed (see Comm.Free).
	ErrPending = errors.New("operation pending on a freed communicator")
	// ErrArg: some other invalid argument.
	ErrArg = errors.New("invalid argument")
)

// PeerLostError reports a lost peer. It matches ErrPeerLost with errors.Is.
type PeerLostError struct {
	Rank  int   // the peer's rank in the world communicator
	Cause error // what was observed: a reset connection, a malformed frame…
}

func (e *PeerLostError) Error() string {
	return fmt.Sprintf("comm: rank %d lost: %v", e.Rank, e.Cause)
}

// Is makes errors.Is(err, ErrPeerLost) true.
func (e *PeerLostError) Is(target error) bool { return target == ErrPeerLost }

// Unwrap returns the cause.
func (e *PeerLostError) Unwrap() error { return e.Cause }
