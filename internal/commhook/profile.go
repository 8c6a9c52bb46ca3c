package commhook

// Profile is how a collective call on a profiled communicator reports
// itself: Start reads the rank's profile clock as the call begins, End
// records the call once it is over. Package comm makes one per world that
// profiles or traces; package collective gets it with CollectiveCall, and
// gets nil when the communicator is not profiled, which is then the only
// cost of profiling to a collective call.
//
// A collective's own messages go over the communicator's collective view,
// which is never profiled: the collective's one record stands for them.
type Profile[C any] struct {
	// Start returns the time the call began, on the rank's profile clock.
	Start func() int64
	// End records a call of the collective op (its Go name, "Allreduce")
	// on c that began at start, with the algorithm alg that ran (may be
	// ""), the bytes of the caller's buffer, and the root (a rank of c;
	// -1 for none).
	End func(c C, start int64, op, alg string, bytes, root int)
	// Timed makes the program's waits and tests on req, the request of a
	// non-blocking collective on c (a *comm.Request), count as calls.
	Timed func(c C, req any)
}

// collectiveCall holds a func(C) (C, *Profile[C]) with C = *comm.Comm, set
// once by comm's init.
var collectiveCall any

// SetCollectiveCall registers f as the function that returns a
// communicator's collective view and its profile (nil when it is not
// profiled). Package comm calls it once, at init.
func SetCollectiveCall[C any](f func(C) (C, *Profile[C])) { collectiveCall = f }

// CollectiveCall returns c's collective view (as CollectiveView does) and
// c's profile, nil when c is not profiled. It panics if C is not the type
// comm registered.
func CollectiveCall[C any](c C) (C, *Profile[C]) {
	return collectiveCall.(func(C) (C, *Profile[C]))(c)
}
