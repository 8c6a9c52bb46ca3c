//go:build cgo

package h5

import (
	"runtime"
	"sync"
)

// libMu serialises every use of the HDF5 library by this process. Debian's
// build is thread-safe, but only one call at a time, and a sequence of
// calls (open, select, write, close) is not atomic even there; other builds
// are not thread-safe at all. Ranks run as goroutines of one process in
// tests, so they take turns here.
var libMu sync.Mutex

// locked runs f holding the library and pinned to one OS thread: the
// library keeps its error stack and its "print errors" switch per thread,
// so a failed call must be followed on the same thread by the walk that
// reads its messages. f must not communicate: a rank waiting for a message
// while holding the library would stall the other ranks of the process.
func locked(f func() error) error {
	libMu.Lock()
	defer libMu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return f()
}
