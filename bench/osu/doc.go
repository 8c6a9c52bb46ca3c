// Package osu measures spmd's point-to-point performance by the method of
// the OSU Micro-Benchmarks (osu_latency, osu_bw, osu_bibw), so that its
// numbers compare directly with those of MPI implementations measured the
// same way.
//
// The method, for each message size from Options.MinSize to MaxSize in
// powers of two:
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
package osu
