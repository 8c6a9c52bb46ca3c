package osu

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Sizes returns the message sizes from lo to hi: lo, then doubling (0 is
// followed by 1), as OSU steps them.
func Sizes(lo, hi int) []int {
	var s []int
	for n := lo; n <= hi && n >= 0; {
		s = append(s, n)
		if n == 0 {
			n = 1
		} else {
			n *= 2
		}
	}
	return s
}

// ParseSize reads a byte count: a decimal integer with an optional binary
// suffix K, M or G (KiB, MiB, GiB; "KiB" and "KB" are read the same).
func ParseSize(s string) (int, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := 1
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.Atoi(t)
	if err != nil || v < 0 || v > math.MaxInt/mult {
		return 0, fmt.Errorf("size %q: %w", s, ErrOptions)
	}
	return v * mult, nil
}
