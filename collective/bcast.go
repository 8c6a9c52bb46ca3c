package collective

import "github.com/spmd-go/spmd/comm"

// Broadcast algorithms, the values of SPMD_COLL_BCAST.
func init() {
	register("bcast", "binomial", "scatter_allgather", "scatter_ring", "linear")
}

// Selection thresholds for Bcast: MPICH's defaults (BCAST_MIN_PROCS,
// BCAST_SHORT_MSG_SIZE, BCAST_LONG_MSG_SIZE). Below bcastShortBytes, or on
// fewer than bcastMinProcs ranks, the binomial tree's ⌈lg p⌉ latencies beat
// the scatter+allgather's extra steps; above, its n·lg p·β bandwidth term
// loses to the ≈2nβ of scatter+allgather. Recursive doubling finishes the
// allgather in lg p steps for power-of-two p up to bcastLongBytes; beyond,
// the ring's neighbour-only traffic wins. These are MPICH's numbers for
// its networks; they are to be tuned with spmd's own benchmarks.
const (
	bcastMinProcs   = 8
	bcastShortBytes = 12288
	bcastLongBytes  = 524288
)

// bcastDecide picks the algorithm for p ranks and a message of bytes.
func bcastDecide(p, bytes int) string {
	switch {
	case p < bcastMinProcs || bytes <= bcastShortBytes:
		return "binomial"
	case moveIsPow2(p) && bytes <= bcastLongBytes:
		return "scatter_allgather"
	default:
		return "scatter_ring"
	}
}

// Bcast sends root's buf to every rank of c, into their buf (MPI_Bcast).
// Every rank passes a buf of the same length.
//
// The algorithm follows MPICH: a binomial tree for short messages or few
// ranks; for long ones a scatter followed by an allgather (recursive
// doubling on power-of-two rank counts, a ring otherwise);
// SPMD_COLL_BCAST=binomial|scatter_allgather|scatter_ring|linear forces
// one.
//
// Errors: a nil c (comm.ErrComm) or a root outside c (comm.ErrRank), on
// every rank before any message; a buf whose length differs from root's, as
// comm.ErrTruncate or ErrMismatch at the ranks that notice; any
// point-to-point error.
func Bcast[T comm.Scalar](c *comm.Comm, buf []T, root int) error {
	run, err := bcastStart(c, buf, root, "")
	if err != nil {
		return err
	}
	return run()
}

// Ibcast is the non-blocking Bcast (MPI_Ibcast): it returns at once with a
// request that completes when the broadcast has, on a goroutine of its own.
// buf must not be touched until then. Argument errors are returned at once;
// the others through the request. As with every collective, all ranks must
// start their non-blocking collectives on c in the same order.
func Ibcast[T comm.Scalar](c *comm.Comm, buf []T, root int) (*comm.Request, error) {
	run, err := bcastStart(c, buf, root, "")
	if err != nil {
		return nil, err
	}
	req, complete := comm.NewRequest()
	go func() { complete(comm.Status{}, run()) }()
	return req, nil
}

// bcastStart does the synchronous part of a broadcast (the call's tag, the
// checks, the choice of algorithm; alg names one for tests) and returns the
// rest.
func bcastStart[T comm.Scalar](c *comm.Comm, buf []T, root int, alg string) (func() error, error) {
	cc, tag, err := moveStart("bcast", c)
	if err != nil {
		return nil, err
	}
	if err := moveCheckRoot("bcast", cc, root); err != nil {
		return nil, err
	}
	alg, err = moveChoose(cc, "bcast", alg, func() string {
		return bcastDecide(cc.Size(), len(buf)*comm.SizeOf[T]())
	})
	if err != nil {
		return nil, err
	}
	return func() error {
		var errs moveErrs
		bcastRun(cc, buf, root, tag, alg, &errs)
		return moveWrap("bcast", errs.err)
	}, nil
}

// bcastRun runs broadcast algorithm alg; it uses tags tag…tag+3.
func bcastRun[T comm.Scalar](cc *comm.Comm, buf []T, root, tag int, alg string, errs *moveErrs) {
	if cc.Size() == 1 {
		return
	}
	switch alg {
	case "binomial":
		bcastBinomial(cc, buf, root, tag, errs)
	case "scatter_allgather":
		bcastScatterAllgather(cc, buf, root, tag, false, errs)
	case "scatter_ring":
		bcastScatterAllgather(cc, buf, root, tag, true, errs)
	case "linear":
		bcastLinear(cc, buf, cc.Rank(), root, 0, tag, errs)
	}
}
