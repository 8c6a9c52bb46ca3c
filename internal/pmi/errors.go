package pmi

import "errors"

// Sentinel errors. Functions wrap them with detail; test with errors.Is.
var (
	// ErrNoPMI means the environment names no PMI server (neither PMI_FD
	// nor PMI_PORT is set). The caller then runs as a singleton: rank 0 of
	// a world of size 1.
	ErrNoPMI = errors.New("pmi: no PMI server in the environment (PMI_FD and PMI_PORT unset)")

	// ErrKeyNotFound is returned by Client.Get when the key is not in the
	// key-value space (the server replied rc!=0, key not found).
	ErrKeyNotFound = errors.New("pmi: key not found")

	// ErrProtocol means a peer sent a malformed line or an unexpected
	// reply. The connection is unusable afterwards.
	ErrProtocol = errors.New("pmi: protocol error")

	// ErrRejected means the server answered a well-formed request with
	// rc!=0 for a reason other than a missing key: a duplicate or reserved
	// key, an unsupported version, a failed barrier.
	ErrRejected = errors.New("pmi: request rejected by server")

	// ErrInvalid means an argument cannot be sent over PMI-1: a key or
	// value that is empty, too long, or not printable space-free ASCII, or
	// a request line that would reach MaxLineLen bytes.
	ErrInvalid = errors.New("pmi: invalid argument")

	// ErrClosed is returned by Client methods after Close, Finalize or
	// Abort, and by Server methods after Close.
	ErrClosed = errors.New("pmi: closed")
)
