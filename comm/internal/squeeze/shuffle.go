package squeeze

import "encoding/binary"

// shuffle8 transforms src, a run of eight-byte little-endian words, for
// compression: each word is replaced by its difference from the previous
// one (the first from zero, modulo 2^64), and the differences' bytes are
// grouped by position: dst holds every difference's byte 0, then every
// byte 1, and so on. Neighbouring values of a smooth field differ only in
// their low-order bits, so the high-order byte planes become runs of
// zeros. len(src) is a multiple of 8 and len(dst) ≥ len(src).
func shuffle8(dst, src []byte) {
	n := len(src) / 8
	dst = dst[:len(src)]
	var prev uint64
	for i := range n {
		v := binary.LittleEndian.Uint64(src[8*i:])
		d := v - prev
		prev = v
		dst[i] = byte(d)
		dst[n+i] = byte(d >> 8)
		dst[2*n+i] = byte(d >> 16)
		dst[3*n+i] = byte(d >> 24)
		dst[4*n+i] = byte(d >> 32)
		dst[5*n+i] = byte(d >> 40)
		dst[6*n+i] = byte(d >> 48)
		dst[7*n+i] = byte(d >> 56)
	}
}

// unshuffle8 undoes shuffle8.
func unshuffle8(dst, src []byte) {
	n := len(src) / 8
	dst = dst[:len(src)]
	var prev uint64
	for i := range n {
		d := uint64(src[i]) | uint64(src[n+i])<<8 | uint64(src[2*n+i])<<16 | uint64(src[3*n+i])<<24 |
			uint64(src[4*n+i])<<32 | uint64(src[5*n+i])<<40 | uint64(src[6*n+i])<<48 | uint64(src[7*n+i])<<56
		prev += d
		binary.LittleEndian.PutUint64(dst[8*i:], prev)
	}
}
