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

// alltoallDecide picks Alltoall's algorithm for p ranks and blocks of bytes.
func alltoallDecide(p, bytes int) string {
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
	return alltoall(c, send, recv, "")
}

func alltoall[T comm.Scalar](c *comm.Comm, send, recv []T, alg string) error {
	cc, tag, err := moveStart("alltoall", c)
	if err != nil {
		return err
	}
	p := cc.Size()
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
	alg, err = moveChoose(cc, "alltoall", alg, func() string { return alltoallDecide(p, n*comm.SizeOf[T]()) })
	if err != nil {
		return err
	}
	if send == nil {
		tmp, release := scratchFor[T](cc, p*n)
		defer release()
		copyHot(tmp, recv)
		send = tmp
	}
	var errs moveErrs
	off := moveEqualOffsets(p, n)
	switch alg {
	case "bruck":
		alltoallBruck(cc, send, recv, n, tag, &errs)
	case "pairwise":
		alltoallPairwise(cc, send, off, recv, off, tag, &errs)
	case "linear":
		alltoallLinear(cc, send, off, recv, off, tag, &errs)
	}
	return moveWrap("alltoall", errs.err)
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
	return alltoallv(c, send, sendCounts, recv, recvCounts, "")
}

func alltoallv[T comm.Scalar](c *comm.Comm, send []T, sendCounts []int, recv []T, recvCounts []int, alg string) error {
	cc, tag, err := moveStart("alltoallv", c)
	if err != nil {
		return err
	}
	p := cc.Size()
	rsum, err := moveCheckCounts("alltoallv", "recvCounts", recvCounts, p)
	if err != nil {
		return err
	}
	if len(recv) < rsum {
		return fmt.Errorf("collective: alltoallv: len(recv) = %d < %d counted: %w", len(recv), rsum, comm.ErrArg)
	}
	ssum := rsum
	if send != nil {
		if ssum, err = moveCheckCounts("alltoallv", "sendCounts", sendCounts, p); err != nil {
			return err
		}
		if len(send) < ssum {
			return fmt.Errorf("collective: alltoallv: len(send) = %d < %d counted: %w", len(send), ssum, comm.ErrArg)
		}
	}
	alg, err = moveChoose(cc, "alltoallv", alg, func() string {
		if max(ssum, rsum)*comm.SizeOf[T]() <= p*alltoallvMediumBytes {
			return "linear"
		}
		return "pairwise"
	})
	if err != nil {
		return err
	}
	roff := moveOffsets(recvCounts)
	soff := roff
	if send == nil {
		tmp, release := scratchFor[T](cc, rsum)
		defer release()
		copyHot(tmp, recv)
		send = tmp
	} else {
		soff = moveOffsets(sendCounts)
	}
	var errs moveErrs
	if alg == "pairwise" {
		alltoallPairwise(cc, send, soff, recv, roff, tag, &errs)
	} else {
		alltoallLinear(cc, send, soff, recv, roff, tag, &errs)
	}
	return moveWrap("alltoallv", errs.err)
}
