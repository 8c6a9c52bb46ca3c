package sched

import (
	"fmt"
	"strings"
)

// MaxMemory bounds a memory request (1 PiB), so that multiplying it by a
// node or CPU count cannot overflow.
const MaxMemory = 1 << 50

// memoryUnits are the units a memory size may carry, each a power of
// 1024 as Slurm, PBS and HTCondor read them.
var memoryUnits = []struct {
	names []string // lower case
	shift uint
}{
	{[]string{"k", "kb", "kib"}, 10},
	{[]string{"m", "mb", "mib"}, 20},
	{[]string{"g", "gb", "gib"}, 30},
	{[]string{"t", "tb", "tib"}, 40},
}

// ParseMemory parses a memory size: a whole number followed by a unit, K,
// M, G or T, optionally followed by B or iB, in either case: 512M, 4G,
// 4gb, 16GiB. Every unit is a power of 1024, as in Slurm and PBS (so 4GB
// is 4 GiB). A number without a unit is refused, since the systems
// disagree on the default unit (Slurm reads megabytes, PBS bytes), as are
// zero, fractions and sizes above MaxMemory. It returns bytes.
func ParseMemory(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num, unit := s[:i], strings.ToLower(s[i:])
	fail := func(why string) (int64, error) {
		return 0, fmt.Errorf("invalid memory size %q: %s (want a whole number and a unit: 512M, 4G, 16GiB): %w", s, why, ErrSyntax)
	}
	switch {
	case num == "":
		return fail("no number")
	case len(num) > 16:
		return fail("number too large")
	case unit == "":
		return fail("no unit")
	}
	var n int64
	for _, c := range num {
		n = n*10 + int64(c-'0')
	}
	for _, u := range memoryUnits {
		for _, name := range u.names {
			if unit != name {
				continue
			}
			if n == 0 {
				return fail("zero")
			}
			if n > MaxMemory>>u.shift {
				return fail("more than 1 PiB")
			}
			return n << u.shift, nil
		}
	}
	return fail(fmt.Sprintf("unknown unit %q", s[i:]))
}

// memorySize writes bytes in the largest of K, M, G and T that divides it
// exactly (rounding up to whole KiB first), with each unit name taken from
// names (K, M, G, T in order).
func memorySize(bytes int64, names [4]string) string {
	kib := (bytes + 1023) >> 10
	u := 0
	for u < 3 && kib%1024 == 0 {
		kib >>= 10
		u++
	}
	return fmt.Sprintf("%d%s", kib, names[u])
}

// slurmMemory is a size as sbatch's --mem and --mem-per-cpu read it.
func slurmMemory(bytes int64) string { return memorySize(bytes, [4]string{"K", "M", "G", "T"}) }

// pbsMemory is a size as PBS and Torque read it (kb, mb, gb, tb).
func pbsMemory(bytes int64) string { return memorySize(bytes, [4]string{"kb", "mb", "gb", "tb"}) }

// condorMemory is a size as request_memory reads it: whole MiB, rounded
// up, with the M unit.
func condorMemory(bytes int64) string { return fmt.Sprintf("%dM", (bytes+(1<<20)-1)>>20) }
