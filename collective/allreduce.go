package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Allreduce algorithms (SPMD_COLL_ALLREDUCE values).
const (
	allreduceRecursiveDoubling = "recursive_doubling"
	allreduceRabenseifner      = "rabenseifner"
	allreduceRing              = "ring"
	allreduceLinear            = "linear"
)

func init() {
	register("allreduce", allreduceRecursiveDoubling, allreduceRabenseifner, allreduceRing, allreduceLinear)
}

// The decision table for Allreduce, tuned over shared memory on 2, 3 and 4
// ranks (per-size medians of alternated runs of each algorithm; figures
// and commands in bench/results/2026-11-21-coll-shm-tuned/decisions.md).
// Where nothing was measured (p > 4) the table keeps MPICH's defaults and
// the α-β costs.
const (
	// allreduceShortBytes: up to here recursive doubling's lg p exchanges
	// of the whole vector win (MPICH: 2 KiB). Below p' elements
	// Rabenseifner's blocks would be empty, so recursive doubling too.
	allreduceShortBytes = 4 << 10
	// allreduceHalvesBytes: up to here Rabenseifner wins, because its
	// halves still go eagerly while recursive doubling's whole vector
	// needs a rendezvous round trip. Beyond it both pay rendezvous and the
	// fewer exchanges of recursive doubling win again.
	allreduceHalvesBytes = 8 << 10
	// allreduceDoublingBytes: with p ≤ 4, recursive doubling keeps
	// winning below here; from here Rabenseifner's smaller bandwidth term
	// wins on 4 ranks but not on 2, where it moves as many bytes in two
	// exchanges as recursive doubling does in one: p = 2 keeps recursive
	// doubling at every size. At 1 MiB on 4 ranks the two were even with
	// a core per rank (2026-11-21-coll-shm-tuned); with 4 ranks on 2
	// cores every rank's work takes a core from another, and Rabenseifner
	// copies a quarter fewer bytes and combines 3/8 of the elements
	// recursive doubling does, which won most rounds
	// (bench/results/2026-12-06-large-messages).
	allreduceDoublingBytes = 1 << 20
	// allreduceDoublingMaxP: the largest group measured for the mid range;
	// larger ones follow MPICH (Rabenseifner above allreduceShortBytes,
	// the ring from allreduceWideRingBytes when p is not a power of two),
	// since recursive doubling's n·lg p bandwidth term grows with p.
	allreduceDoublingMaxP = 4
	// allreduceWideRingBytes: for those larger non-power-of-two groups,
	// where Rabenseifner pays 2nβ for the fold while the ring pays
	// 2(p−1)α − (2 lg p + 2)α more latency: with TCP's α and β the ring
	// wins from a few hundred KiB (an estimate, not a measurement).
	allreduceWideRingBytes = 256 << 10
	// allreduceRingBytes: on a non-power-of-two group the ring wins from
	// here (no fold, neighbours only), below which recursive doubling
	// does; from allreduceDoublingBytes Rabenseifner is back ahead, so the
	// ring's range ends there.
	allreduceRingBytes = 128 << 10
)

// chooseAllreduce is the decision function: the algorithm for a vector of
// count elements of bytes bytes on p ranks (see the table above).
func chooseAllreduce(bytes, count, p int, commutative bool) string {
	pof := floorPow2(p)
	switch {
	case bytes <= allreduceShortBytes || count < pof:
		return allreduceRecursiveDoubling
	case bytes <= allreduceHalvesBytes:
		return allreduceRabenseifner
	case p == 2:
		return allreduceRecursiveDoubling
	case p > allreduceDoublingMaxP:
		if p != pof && commutative && bytes >= allreduceWideRingBytes {
			return allreduceRing
		}
		return allreduceRabenseifner
	case bytes >= allreduceDoublingBytes:
		return allreduceRabenseifner
	case p != pof && commutative && bytes >= allreduceRingBytes:
		return allreduceRing
	}
	return allreduceRecursiveDoubling
}

// Allreduce combines send from every rank with op and leaves the result in
// recv on every rank: recv[i] = send₀[i] ∘ send₁[i] ∘ … ∘ send_{p−1}[i], in
// rank order, so non-commutative operations work too. Every rank gets the
// same bits, floating point included.
//
// send and recv have the same length on every rank. In place (MPI_IN_PLACE):
// pass a nil send, or equivalently the same slice as send and recv (slices
// that start at the same element); the input is read from recv and the
// result replaces it. Otherwise send and recv must not overlap.
//
// The algorithm follows the vector's size and the rank count (see the
// package documentation): recursive doubling for short
// vectors and, on up to 4 ranks, below 1 MiB; Rabenseifner's
// reduce-scatter + allgather and a pipelined ring for long ones.
// SPMD_COLL_ALLREDUCE forces one, except that a forced ring with a
// non-commutative op gives way to the default choice (the ring combines
// each block in a cyclic rank order).
//
// Errors wrap comm.ErrComm (nil c), comm.ErrArg (lengths, overlap), ErrOp
// (op undefined on T), ErrAlgorithm (bad SPMD_COLL_ALLREDUCE), ErrMismatch
// or comm.ErrTruncate (lengths that differ between ranks) or
// comm.ErrPeerLost, under the rule of the package documentation ("Errors
// and staying in step"); ranks whose lengths differ enough to choose
// different algorithms (or ring segment counts) can still hang.
func Allreduce[T comm.Scalar](c *comm.Comm, send, recv []T, op Op) error {
	var x reduction[T]
	alg, err := x.start(c, op, "allreduce")
	if err != nil {
		return err
	}
	x.note(sizeOf(recv), -1)
	send = inPlace(send, recv)
	if err := checkLengths(send, recv, "allreduce"); err != nil {
		return err
	}
	return x.allreduce(alg, send, recv)
}

// Iallreduce starts an Allreduce and returns at once; the reduction
// progresses on a goroutine of its own while the caller computes. Do not
// touch send or recv until the request completes. Like every collective it
// must be called in the same order on every rank; several may be
// outstanding at once.
func Iallreduce[T comm.Scalar](c *comm.Comm, send, recv []T, op Op) (*comm.Request, error) {
	var x reduction[T]
	alg, err := x.start(c, op, "allreduce")
	if err != nil {
		return nil, err
	}
	x.note(sizeOf(recv), -1)
	send = inPlace(send, recv)
	if err := checkLengths(send, recv, "iallreduce"); err != nil {
		return nil, err
	}
	req, complete := comm.NewRequest()
	x.detach("Iallreduce", req)
	go func() { complete(comm.Status{}, x.allreduce(alg, send, recv)) }()
	return req, nil
}

// inPlace returns the send buffer of a call: recv when send is nil (the
// package's in-place idiom, MPI_IN_PLACE), else send.
func inPlace[T comm.Scalar](send, recv []T) []T {
	if send == nil {
		return recv
	}
	return send
}

// checkLengths requires len(send) == len(recv) and no overlap but the
// in-place one.
func checkLengths[T comm.Scalar](send, recv []T, name string) error {
	if len(send) != len(recv) {
		return fmt.Errorf("collective: %s: len(send) = %d but len(recv) = %d: %w", name, len(send), len(recv), comm.ErrArg)
	}
	if _, overlap := aliasing(send, recv); overlap {
		return errOverlap(name)
	}
	return nil
}

// allreduce runs the call: recv starts as a copy of send and is reduced in
// place.
func (x *reduction[T]) allreduce(alg string, send, recv []T) error {
	n := len(recv)
	if alg == "" || (alg == allreduceRing && !x.op.Commutative()) {
		alg = chooseAllreduce(n*comm.SizeOf[T](), n, x.size, x.op.Commutative())
	}
	if same, _ := aliasing(send, recv); !same {
		x.src = send // read by the first step rather than copied (reduction.src)
	}
	if x.size == 1 {
		x.settle(recv)
	}
	var err error
	if x.size > 1 {
		switch alg {
		case allreduceRecursiveDoubling:
			err = x.allreduceRecursiveDoubling(recv)
		case allreduceRabenseifner:
			err = x.allreduceRabenseifner(recv)
		case allreduceRing:
			err = x.allreduceRing(recv)
		default:
			err = x.allreduceLinear(recv)
		}
	}
	return x.done(alg, err)
}
