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

// chooseBcast picks the algorithm for p ranks and a message of bytes.
func chooseBcast(p, bytes int) string {
	switch {
	case p < bcastMinProcs || bytes <= bcastShortBytes:
		return "binomial"
	case isPow2(p) && bytes <= bcastLongBytes:
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
	var x call
	alg, err := x.startBcast(c, len(buf)*comm.SizeOf[T](), root)
	if err != nil {
		return err
	}
	bcastRun(&x, buf, root, 0, alg)
	return x.done(alg, nil)
}

// Ibcast is the non-blocking Bcast (MPI_Ibcast): it returns at once with a
// request that completes when the broadcast has, on a goroutine of its own.
// buf must not be touched until then. Argument errors are returned at once;
// the others through the request. As with every collective, all ranks must
// start their non-blocking collectives on c in the same order.
func Ibcast[T comm.Scalar](c *comm.Comm, buf []T, root int) (*comm.Request, error) {
	x := new(call)
	alg, err := x.startBcast(c, len(buf)*comm.SizeOf[T](), root)
	if err != nil {
		return nil, err
	}
	req, complete := comm.NewRequest()
	x.detach("Ibcast", req)
	go func() {
		bcastRun(x, buf, root, 0, alg)
		complete(comm.Status{}, x.done(alg, nil))
	}()
	return req, nil
}

// startBcast begins a broadcast of bytes bytes: the call, the checks and
// the choice of algorithm, all before any message.
func (x *call) startBcast(c *comm.Comm, bytes, root int) (string, error) {
	if err := x.begin(c, "bcast"); err != nil {
		return "", err
	}
	x.note(bytes, root)
	if err := x.checkRoot(root); err != nil {
		return "", err
	}
	alg, err := x.forced("bcast")
	if alg == "" && err == nil {
		alg = chooseBcast(x.size, bytes)
	}
	return alg, err
}

// bcastRun runs broadcast algorithm alg; it uses roles role…role+3.
func bcastRun[T comm.Scalar](x *call, buf []T, root, role int, alg string) {
	if x.size == 1 {
		return
	}
	switch alg {
	case "binomial":
		bcastBinomial(x, buf, root, role)
	case "scatter_allgather":
		bcastScatterAllgather(x, buf, root, role, false)
	case "scatter_ring":
		bcastScatterAllgather(x, buf, root, role, true)
	case "linear":
		bcastLinear(x, buf, x.rank, root, 0, role)
	}
}
