//go:build cgo

package h5

import (
	"errors"
	"fmt"
)

// Errors returned by h5, to be tested with errors.Is. Every error h5
// returns is an *Error naming the file and dataset and wrapping one of
// these (or an error of package comm when the communication failed).
var (
	// ErrLayout: the ranks' blocks do not tile the global shape (a block
	// outside it, two blocks overlapping, elements no block covers), a
	// local slice whose length is not the block's size, or ranks that
	// disagree on the file, dataset, shape, type or options.
	ErrLayout = errors.New("invalid layout")
	// ErrMismatch: the dataset or attribute exists with another shape or
	// element type than the call's.
	ErrMismatch = errors.New("shape or type mismatch")
	// ErrNotFound: no such dataset or attribute.
	ErrNotFound = errors.New("not found")
	// ErrOption: an option's value is invalid (a compression level out of
	// range, chunks of the wrong rank, an attribute of an unsupported type,
	// the direct strategy asked for a compressed dataset).
	ErrOption = errors.New("invalid option")
	// ErrIO: the file could not be created, opened, read or written; the
	// message is the HDF5 library's or the system's.
	ErrIO = errors.New("I/O error")
)

// Error is the error of an h5 call: what was being done, to which file and
// dataset, on which rank when the failure is one rank's, and why.
type Error struct {
	Op      string // "write", "read", "read attribute", "shape"
	File    string
	Dataset string
	Rank    int // the rank whose part failed, or -1 when it is everyone's
	Err     error
}

func (e *Error) Error() string {
	where := e.File
	if e.Dataset != "" {
		where += ":" + e.Dataset
	}
	if e.Rank >= 0 {
		return fmt.Sprintf("h5: %s %s: rank %d: %v", e.Op, where, e.Rank, e.Err)
	}
	return fmt.Sprintf("h5: %s %s: %v", e.Op, where, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// libError is a failure reported by the C side: msg is the library's.
func libError(msg string) error {
	return fmt.Errorf("%w: %s", ErrIO, msg)
}
