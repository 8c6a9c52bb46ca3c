// Package commhook hands package collective the private collective context
// of a communicator without making it part of comm's exported API.
//
// Package comm registers the function that returns a communicator's view on
// its collective context (SetCollectiveView, from an init function);
// package collective calls it (CollectiveView). Being internal to the
// module, neither function is reachable from user code, so user messages
// can never be sent or received on the context the collectives use.
//
// The functions are generic so that this package need not import comm
// (comm imports it): C is *comm.Comm at both ends.
package commhook

// collectiveView holds a func(C) C with C = *comm.Comm, set once by comm's
// init before any communicator exists and only read afterwards.
var collectiveView any

// SetCollectiveView registers f as the function that returns a
// communicator's collective view. Package comm calls it once, at init.
func SetCollectiveView[C any](f func(C) C) { collectiveView = f }

// CollectiveView returns c's view on its private collective context: the
// same group and ranks, on a context that user point-to-point traffic
// never matches. It panics if C is not the type comm registered.
func CollectiveView[C any](c C) C { return collectiveView.(func(C) C)(c) }
