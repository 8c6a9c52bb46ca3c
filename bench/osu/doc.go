// Package osu measures spmd's point-to-point and collective performance by
// the method of the OSU Micro-Benchmarks (osu_latency, osu_bw, osu_bibw;
// osu_allreduce, osu_bcast, …), so that its numbers compare directly with
// those of MPI implementations measured the same way.
//
// The point-to-point method, for each message size from Options.MinSize to
// MaxSize in powers of two:
//
//   - the two ranks synchronise, run untimed warm-up iterations, then time a
//     fixed (or, with Options.Target, calibrated) number of iterations;
//   - latency is half the round trip of a blocking ping-pong (rank 0 sends
//     then receives, rank 1 receives then sends), averaged over iterations,
//     in microseconds;
//   - bandwidth is a window of 64 non-blocking sends of the same buffer,
//     received by 64 non-blocking receives into one buffer, then a 4-byte
//     acknowledgement; MB/s = size × window × iterations / time / 1e6;
//   - bidirectional bandwidth has both ranks post the window at once and
//     counts the bytes of both directions.
//
// Send and receive buffers are separate, allocated once at the largest size
// and written before any timing, as OSU does. Only the values of rank 0 are
// reported; the benchmarks need exactly two ranks.
//
// The collective method (any number of ranks), for each size:
//
//   - a barrier, then warm-up iterations, then timed ones; each iteration
//     times one call of the collective alone and is followed by an untimed
//     Barrier, so that a rank's time does not include waiting for the
//     others' previous call (Barrier itself is timed call after call);
//   - each rank averages its timed calls; the reported latency is the mean
//     of these averages over the ranks, with their minimum and maximum
//     (OSU's "-f" columns), in microseconds;
//   - sizes are bytes per rank for Bcast, Gather, Scatter and Allgather, per
//     pair of ranks for Alltoall, and the whole vector of size/8 float64
//     summed for Allreduce, Reduce and ReduceScatter (split n/p per rank,
//     the first ranks one more); rooted collectives use root 0.
//
// ForceAlgorithm makes a collective use one algorithm (SPMD_COLL_<OP>), to
// compare algorithms with each other and with MPI's.
package osu
