// Package collective provides MPI's collective operations over comm
// communicators: Barrier, Bcast, Scatter(v), Gather(v), Allgather(v),
// Alltoall(v), Reduce, Allreduce, ReduceScatter(Block), Scan and Exscan;
// the non-blocking Ibarrier, Ibcast and Iallreduce; and object forms
// (BcastObj, GatherObj, ScatterObj, AllgatherObj, AllreduceObj) for any
// value comm.SendObj can send, encoded as it encodes them. Each operation has the algorithms MPICH and Open MPI
// use, and a decision table picks one by message size and rank count.
//
// Every rank of a communicator must call the same collectives in the same
// order. Collectives run on the communicator's private collective context,
// with tags of their own for every call, so they never match user
// point-to-point messages (not even AnySource/AnyTag receives), and
// non-blocking collectives outstanding at once on one communicator never
// take each other's messages.
//
// # Cost model
//
// The algorithms are compared, as in the MPI literature, by the time one
// call takes on p ranks with n bytes per rank (for the gathers, scatters
// and Allgather, n is the total of all blocks):
//
//   - α, the latency: the time to start a message, whatever its size;
//   - β, the transfer time per byte: 1/bandwidth of a link;
//   - γ, the compute time per byte of a reduction (one ∘ of two elements).
//
// A message of n bytes costs α + nβ. An algorithm that takes ⌈lg p⌉ rounds
// pays ⌈lg p⌉α; one that sends every byte across each of lg p levels pays
// n·lg p·β, one that splits the vector first pays about n(p−1)/p·β. Short
// messages are latency-bound (favour few rounds), long ones bandwidth-bound
// (favour algorithms whose β term does not grow with p). Rank counts that
// are not powers of two fold the extra ranks into a power-of-two group
// first, as MPICH does (about 2α + 2nβ more).
//
// # Algorithms
//
// The index below lists each operation's algorithms, under the names
// SPMD_COLL_<OP> accepts, with their cost and when the decision table
// picks them. lg is ⌈log₂ p⌉; p' is the largest power of two ≤ p.
//
//	barrier
//	  dissemination       lg·α; the only one
//	bcast
//	  binomial            lg·(α + nβ); up to 12 KiB, or on fewer than 8 ranks
//	  scatter_allgather   scatter then recursive-doubling allgather, ≈ 2lg·α + 2nβ;
//	                      power-of-two p up to 512 KiB
//	  scatter_ring        scatter then ring allgather, ≈ (lg + p)α + 2nβ; the rest
//	  linear              (p−1)(α + nβ) at the root; reference only
//	scatter, gather (and their v forms)
//	  binomial            lg·α + n(p−1)/p·β, copies at inner ranks; up to 512 KiB
//	                      in all on 3 ranks or more (Scatterv, Gatherv: forced only)
//	  linear              (p−1)α + n(p−1)/p·β, all on the root's link; the rest
//	allgather (and Allgatherv)
//	  recursive_doubling  lg·α + n(p−1)/p·β; power-of-two p up to 4 MiB in all
//	  bruck               lg·α + n(p−1)/p·β + two local copies; other p from 5
//	                      ranks, below 80 KiB in all
//	  ring                (p−1)α + n(p−1)/p·β, neighbours only; the rest
//	  linear              gather then broadcast; reference only
//	alltoall
//	  bruck               lg·α + (n/2)·lg·β; blocks up to 256 B on 8 ranks or more
//	  linear              (p−1)α + nβ, every message in flight; blocks up to 32 KiB
//	  pairwise            (p−1)α + nβ, one exchange at a time; larger blocks
//	alltoallv
//	  linear, pairwise    as for alltoall, by the rank's average block
//	reduce
//	  binomial            lg·(α + nβ + nγ); up to 2 KiB, or fewer elements than p'
//	  rabenseifner        reduce-scatter + gather, 2lg·α + 2n(p−1)/p·β + n(p−1)/p·γ;
//	                      above that (non-commutative ops too: it keeps rank order)
//	  linear              (p−1)(α + nβ + nγ) at the root; reference only
//	allreduce
//	  recursive_doubling  lg·(α + nβ + nγ); up to 4 KiB, or fewer elements than p',
//	                      and on 2 to 4 ranks at the sizes where it was measured
//	                      to win (every size on 2 ranks)
//	  rabenseifner        reduce-scatter + allgather,
//	                      2lg·α + 2n(p−1)/p·β + n(p−1)/p·γ; above 4 KiB up to
//	                      8 KiB, from 1 MiB on 3 and 4 ranks, and above 4 KiB
//	                      on more than 4 ranks where the ring does not run
//	  ring                2(p−1)α + 2n(p−1)/p·β + n(p−1)/p·γ, pipelined, no fold;
//	                      commutative ops on non-power-of-two p, from 128 KiB
//	                      (p ≤ 4, up to 1 MiB) or 256 KiB (p > 4)
//	  linear              reduce to rank 0 and broadcast; reference only
//	reduce_scatter, reduce_scatter_block
//	  recursive_halving   lg·α + n(p−1)/p·(β + γ); below 512 KiB, and every
//	                      non-commutative op
//	  pairwise            (p−1)α + n(p−1)/p·(β + γ); commutative ops from 512 KiB
//	scan, exscan
//	  recursive_doubling  lg·(α + nβ) + up to 2n·lg·γ; always
//	  linear              (p−1)(α + nβ + nγ); reference only
//
// The thresholds for Allreduce and Allgather were measured over shared
// memory on up to 4 ranks (bench/results/2026-11-21-coll-shm-tuned); the
// others, and everything beyond 4 ranks, are MPICH's and Open MPI's
// defaults. Algorithms lists the names at run time.
//
// SPMD_COLL_<OP>=<algorithm> (for example SPMD_COLL_ALLREDUCE=ring) makes
// every call of that operation use the named algorithm instead of the
// decision table's choice; a name the operation lacks makes every call fail
// with ErrAlgorithm. The variables are read when a communicator makes its
// first collective call. Where a forced algorithm cannot run the
// operation's arguments (a ring or pairwise exchange with a
// non-commutative op), the decision table's choice runs instead.
//
// # Buffers and in place
//
// A nil send buffer means "in place" (MPI_IN_PLACE): the input is already
// where the result goes — the root's own block in Gather's recv (Scatter:
// a nil recv at the root keeps its block in send), every rank's own block
// in Allgather's recv, the reduction's input in recv. For the reductions,
// passing the same slice as send and recv (slices that start at the same
// element) means in place too; other overlaps are errors. Arguments
// significant only at the root (Gather's recv, Scatter's send, the counts
// of Gatherv and Scatterv, Reduce's recv) may be nil elsewhere. The
// v-variants take no displacements: blocks lie back to back in rank order,
// a block's displacement being the sum of the counts before it.
//
// Non-blocking collectives (Ibarrier, Ibcast, Iallreduce) return argument
// errors at once and everything else through the request; their buffers
// must not be touched until it completes.
//
// # Errors and staying in step
//
// Errors wrap comm's (comm.ErrComm, comm.ErrRank, comm.ErrArg,
// comm.ErrTruncate, comm.ErrPeerLost, …) or this package's (ErrAlgorithm,
// ErrMismatch, ErrOp) and are tested with errors.Is. One rule holds for
// every collective:
//
//   - The call counts before anything is checked but the communicator: a
//     call that fails still takes its place in the communicator's sequence
//     of collectives, so ranks that all return the same error stay in step
//     and their next collective works.
//   - Argument errors come before any message is sent: a nil communicator,
//     a root out of range, an unknown forced algorithm, an op undefined on
//     the element type, and counts or lengths that are wrong in themselves.
//     Errors that every rank makes alike come back on every rank. An error
//     in arguments only the root checks (its counts, its buffer's length)
//     comes back at the root alone, and the other ranks then go on as with
//     a root that skipped the call, which may leave them waiting; treat it
//     as fatal (comm.Comm.Abort).
//   - Once messages move, a length that disagrees between ranks (which MPI
//     calls erroneous) shows at a receiver as a message shorter than
//     expected (ErrMismatch) or longer (comm.ErrTruncate). That rank keeps
//     the first such error and goes on with the algorithm, so that every
//     message is still sent and received and no peer waits for ever; it
//     returns the error at the end. That is safe because each algorithm's
//     message pattern depends only on the rank count, the root and the
//     algorithm — but lengths far enough apart to make ranks choose
//     different algorithms can still hang. A Gatherv, Scatterv or
//     Allgatherv rank whose own block disagrees with its counts entry is
//     reported in the same way, after the call has run.
//   - A failed point-to-point operation (a lost peer) ends a reduction at
//     once; the data-movement collectives keep the first such error and
//     carry on with their other messages.
//
// # Node awareness
//
// The algorithms are flat: they treat every pair of ranks alike and do not
// know which ranks share a host, so there are no hierarchical (node-aware)
// collectives yet: on several hosts, messages cross the network wherever an
// algorithm's pattern puts them, where a two-level algorithm (within each
// host first, then between hosts) would send fewer.
package collective
