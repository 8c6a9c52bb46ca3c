package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// All-to-all algorithms, the values of SPMD_COLL_ALLTOALL and
// SPMD_COLL_ALLTOALLV. Alltoallv has an operation name of its own because
// Bruck's algorithm needs equal blocks.
func init() {
	register("alltoall", "bruck", "pairwise", "linear")
	register("alltoallv", "pairwise", "linear")
}

// Selection thresholds for Alltoall, on the block (bytes per destination):
// MPICH's defaults (ALLTOALL_SHORT_MSG_SIZE, ALLTOALL_MEDIUM_MSG_SIZE, and
// Bruck only from 8 ranks). Bruck's ⌈lg p⌉ steps win for tiny blocks on
// many ranks despite moving each block up to lg p times; up to medium
// blocks, posting everything at once (linear) overlaps the p−1 latencies;
// above, pairwise exchange keeps one message per direction in flight and
// contention low. To be tuned with spmd's benchmarks.
const (
	alltoallBruckMinProcs = 8
	alltoallShortBytes    = 256
	alltoallMediumBytes   = 32768
)

// chooseAlltoall picks Alltoall's algorithm for p ranks and blocks of bytes.
func chooseAlltoall(p, bytes int) string {
	switch {
	case p >= alltoallBruckMinProcs && bytes <= alltoallShortBytes:
		return "bruck"
	case bytes <= alltoallMediumBytes:
		return "linear"
	default:
		return "pairwise"
	}
}

// Alltoall sends block i of send to rank i, which stores it as block r of
// its recv, r the sender's rank (MPI_Alltoall). Blocks have n = len(send)/p
// elements (len(send) must be a multiple of p), block i being
// send[i*n:(i+1)*n]; every rank uses the same n and passes a recv at least
// p*n long.
//
// In place: a nil send means the data to send are in recv, and are
// replaced by the data received; n = len(recv)/p.
//
// Algorithms as in MPICH: Bruck for blocks up to 256 B on 8 ranks or more,
// linear (everything posted at once) up to 32 KiB, pairwise exchange
// above; SPMD_COLL_ALLTOALL=bruck|pairwise|linear forces one.
//
// Errors: nil c (comm.ErrComm), lengths not multiples of p or recv too
// short (comm.ErrArg), before any message; lengths that differ between
// ranks, as comm.ErrTruncate or ErrMismatch where noticed; point-to-point
// errors.
func Alltoall[T comm.Scalar](c *comm.Comm, send, recv []T) error {
	var x call
	if err := x.begin(c, "alltoall"); err != nil {
		return err
	}
	x.note(sizeOf(recv), -1)
	p := x.size
	src := send
	if send == nil {
		src = recv
	}
	if len(src)%p != 0 {
		return fmt.Errorf("collective: alltoall: %d elements to send is not a multiple of %d ranks: %w", len(src), p, comm.ErrArg)
	}
	n := len(src) / p
	if len(recv) < p*n {
		return fmt.Errorf("collective: alltoall: len(recv) = %d < %d ranks × %d: %w", len(recv), p, n, comm.ErrArg)
	}
	alg, err := x.forced("alltoall")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = chooseAlltoall(p, n*comm.SizeOf[T]())
	}
	if send == nil {
		send = scratchOf[T](&x, p*n)
		copyHot(send, recv)
	}
	off := equalOffsets(p, n)
	switch alg {
	case "bruck":
		alltoallBruck(&x, send, recv, n, 0)
	case "pairwise":
		alltoallPairwise(&x, send, off, recv, off, 0)
	case "linear":
		alltoallLinear(&x, send, off, recv, off, 0)
	}
	return x.done(alg, nil)
}

// alltoallvMediumBytes: Alltoallv posts everything at once (linear) while
// a rank's average block is at most this many bytes, and exchanges
// pairwise above: Alltoall's medium threshold. Each rank decides from its
// own counts, which may differ from the others'; that is safe because the
// two algorithms exchange the same messages with the same tag.
const alltoallvMediumBytes = alltoallMediumBytes

// Alltoallv is Alltoall with blocks of different lengths (MPI_Alltoallv):
// rank r sends sendCounts[i] elements to rank i and receives recvCounts[i]
// from it, where rank i's sendCounts[r] must equal rank r's recvCounts[i].
// Blocks lie back to back in rank order (the displacements are the prefix
// sums of the counts; there are no explicit displacements): block i of
// send starts at sendCounts[0]+…+sendCounts[i-1], likewise for recv.
//
// In place: a nil send means the data to send are in recv, laid out by
// recvCounts (sendCounts is then ignored and may be nil), and are replaced
// by the data received.
//
// Algorithms: linear (everything posted at once) while the rank's average
// block is at most 32 KiB, pairwise exchange above;
// SPMD_COLL_ALLTOALLV=pairwise|linear forces one.
//
// Errors: nil c (comm.ErrComm), counts of the wrong length or negative, or
// buffers shorter than their sums (comm.ErrArg), before any message; counts
// that disagree between ranks, as comm.ErrTruncate or ErrMismatch where
// noticed; point-to-point errors.
func Alltoallv[T comm.Scalar](c *comm.Comm, send []T, sendCounts []int, recv []T, recvCounts []int) error {
	var x call
	if err := x.begin(c, "alltoallv"); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	p := x.size
	rsum, err := x.checkCounts("recvCounts", recvCounts)
	if err != nil {
		return err
	}
	if len(recv) < rsum {
		return fmt.Errorf("collective: alltoallv: len(recv) = %d < %d counted: %w", len(recv), rsum, comm.ErrArg)
	}
	ssum := rsum
	if send != nil {
		if ssum, err = x.checkCounts("sendCounts", sendCounts); err != nil {
			return err
		}
		if len(send) < ssum {
			return fmt.Errorf("collective: alltoallv: len(send) = %d < %d counted: %w", len(send), ssum, comm.ErrArg)
		}
	}
	alg, err := x.forced("alltoallv")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = "pairwise"
		if max(ssum, rsum)*comm.SizeOf[T]() <= p*alltoallvMediumBytes {
			alg = "linear"
		}
	}
	roff := blockOffsets(recvCounts)
	soff := roff
	if send == nil {
		send = scratchOf[T](&x, rsum)
		copyHot(send, recv)
	} else {
		soff = blockOffsets(sendCounts)
	}
	if alg == "pairwise" {
		alltoallPairwise(&x, send, soff, recv, roff, 0)
	} else {
		alltoallLinear(&x, send, soff, recv, roff, 0)
	}
	return x.done(alg, nil)
}
