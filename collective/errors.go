package collective

import "errors"

// Errors of this package, to be tested with errors.Is (besides comm's).
var (
	// ErrAlgorithm: SPMD_COLL_<OP> names an algorithm the operation lacks.
	ErrAlgorithm = errors.New("unknown collective algorithm")
	// ErrMismatch: ranks passed arguments that disagree where MPI requires
	// agreement (counts, roots, lengths).
	ErrMismatch = errors.New("mismatched collective arguments")
)
