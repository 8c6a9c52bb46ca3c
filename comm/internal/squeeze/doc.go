// Package squeeze compresses the data of large messages for links where
// the wire, not the processor, is the limit (SPMD_COMPRESS), with
// klauspost/compress's S2 or Zstandard.
//
// A message's data travels as chunks of at most MaxChunk bytes, each
// compressed on its own so that the receiver can decompress one while the
// next is on the wire. A chunk goes out compressed only when that saves at
// least an eighth of it; otherwise its bytes go as they are (Stored), with
// no copy. Numeric data compresses poorly as it lies in memory: the
// neighbouring values of a smooth float64 field share their sign, exponent
// and leading mantissa bytes, but those sit eight bytes apart between
// noisy low-order bytes. Taking each word's difference from the previous
// one and then shuffling the bytes (all first bytes of the differences,
// then all second bytes, …, as HDF5's and Blosc's shuffle filters do) turns
// the leading bytes into long runs of zeros. The encoder tries the chunk
// both as it is and so transformed on a message's first chunk, and keeps
// the better for the rest.
//
// Data that does not shrink (random bits, already compressed files) costs
// the compressor's time for nothing, so a Policy stops trying for a peer
// after a message fails to shrink, and tries again after a run of
// messages that grows each time it fails again.
package squeeze
