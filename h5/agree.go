//go:build cgo

package h5

import (
	"errors"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

// ioKey caches h5's own communicator on the user's: h5's messages then
// never match the user's receives, whatever tags either uses.
var ioKey = comm.NewKeyval()

// ioComm returns h5's communicator over c's group, made (collectively) on
// the first h5 call on c.
func ioComm(c *comm.Comm) (*comm.Comm, error) {
	if d, ok := c.Attr(ioKey).(*comm.Comm); ok {
		return d, nil
	}
	d, err := c.Dup()
	if err != nil {
		return nil, err
	}
	d2, _ := c.AttrOrInit(ioKey, func() any { return d }).(*comm.Comm)
	return d2, nil
}

// failure is an error as it travels between ranks: its kind (which of the
// package's sentinels it wraps) and its message.
type failure struct {
	Kind int
	Msg  string
}

// kinds lists the sentinels a failure can carry; index 0 is "none of them".
var kinds = []error{nil, ErrLayout, ErrMismatch, ErrNotFound, ErrOption, ErrIO}

func toFailure(err error) failure {
	if err == nil {
		return failure{}
	}
	f := failure{Msg: err.Error()}
	for k, s := range kinds[1:] {
		if errors.Is(err, s) {
			f.Kind = k + 1
			break
		}
	}
	return f
}

func (f failure) failed() bool { return f.Msg != "" }

// remoteError is another rank's error as this rank reports it: the same
// message, and errors.Is still finds the sentinel.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

func (f failure) err() error {
	var kind error
	if f.Kind > 0 && f.Kind < len(kinds) {
		kind = kinds[f.Kind]
	}
	return &remoteError{msg: f.Msg, kind: kind}
}

// agree shares every rank's outcome (mine: this rank's error, or nil) and
// returns the lowest failing rank and its error, so that every rank
// reports the same failure; rank is -1 when all succeeded. This rank's own
// error is returned as it is, with its whole chain. A failure of the
// exchange itself is returned as err with rank -1.
func agree(hc *comm.Comm, mine error) (rank int, err error) {
	all, cerr := collective.AllgatherObj(hc, toFailure(mine))
	if cerr != nil {
		return -1, cerr
	}
	for r, f := range all {
		if f.failed() {
			if r == hc.Rank() && mine != nil {
				return r, mine
			}
			return r, f.err()
		}
	}
	return -1, nil
}
