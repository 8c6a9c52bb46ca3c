// Package comm is spmd's rank runtime: MPI-style point-to-point message
// passing between the ranks of an SPMD job.
//
// A program calls Init once; it returns the world communicator, whose Rank
// and Size say who this process is. Messages are slices of Go numbers (see
// Scalar), sent as their bytes without encoding:
//
//	w, err := comm.Init()
//	if err != nil { log.Fatal(err) }
//	defer w.Finalize()
//	if w.Rank() == 0 {
//		err = comm.Send(w, []float64{1, 2, 3}, 1, 7)
//	} else if w.Rank() == 1 {
//		buf := make([]float64, 3)
//		st, err := comm.Recv(w, buf, comm.AnySource, comm.AnyTag)
//		_ = st.Source // 0
//	}
//
// Semantics are MPI's (MPI 4.1 §3): messages between one pair on one
// communicator and tag arrive in the order sent; AnySource and AnyTag take
// the earliest eligible message; a receive buffer that is too small yields
// an error wrapping ErrTruncate and leaves the stream intact; Ssend completes
// only once matched. Messages up to the eager limit travel at once and are
// buffered by the receiver if unexpected, within a per-peer credit window;
// larger ones (and eager ones once the window is used up) wait in the sender
// until the receiver posts a matching receive (rendezvous), so memory stays
// bounded whatever the program does.
//
// Every function and method is safe for concurrent use by many goroutines.
// A peer that dies makes the operations that depend on it fail with an error
// wrapping ErrPeerLost that names its rank.
//
// Values of any type travel through SendObj and RecvObj (gob-encoded): the
// convenient, slow path, like mpi4py's lower-case API.
package comm
