package sched

import (
	"fmt"
	"strings"
	"time"
)

// MaxWalltime bounds a job's walltime. No batch system we write for
// grants a year, and the bound keeps every sum below overflow.
const MaxWalltime = 365 * 24 * time.Hour

// ParseWalltime parses a job's time limit in one of the forms sbatch
// accepts, or as whole units:
//
//	MM               minutes (a bare number is minutes, as for sbatch)
//	MM:SS            minutes and seconds
//	HH:MM:SS         hours, minutes and seconds
//	D-HH             days and hours
//	D-HH:MM          days, hours and minutes
//	D-HH:MM:SS       days, hours, minutes and seconds
//	1d12h30m15s      whole days, hours, minutes and seconds, each unit at
//	                 most once and in this order (90m, 1h30m, 2d, 45s)
//
// The first number of a colon or dash form has any number of digits; the
// fields after it have exactly two, minutes and seconds below 60 and
// hours after a day count below 24. Signs, blanks, fractions and other
// units are refused, as are a zero walltime and one above MaxWalltime.
func ParseWalltime(s string) (time.Duration, error) {
	d, err := parseWalltime(s)
	if err != nil {
		return 0, fmt.Errorf("invalid walltime %q: %s (want MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or units as in 1h30m): %w", s, err.Error(), ErrSyntax)
	}
	return d, nil
}

// walltimeError is the reason a walltime is refused.
type walltimeError string

func (e walltimeError) Error() string { return string(e) }

func parseWalltime(s string) (time.Duration, error) {
	if s == "" {
		return 0, walltimeError("empty")
	}
	var d time.Duration
	var err error
	switch last := s[len(s)-1]; {
	case last == 'd' || last == 'h' || last == 'm' || last == 's':
		d, err = parseUnits(s)
	case strings.Contains(s, "-"):
		days, rest, _ := strings.Cut(s, "-")
		var n int64
		if n, err = leadingField(days); err != nil {
			break
		}
		// After a day count, the fields are hours[:minutes[:seconds]].
		var f []int64
		if f, err = twoDigitFields(rest, 3, 24); err != nil {
			break
		}
		d = time.Duration(n) * 24 * time.Hour
		for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second}[:len(f)] {
			d += time.Duration(f[i]) * unit
		}
	default:
		first, rest, hasColon := strings.Cut(s, ":")
		var n int64
		if n, err = leadingField(first); err != nil {
			break
		}
		if !hasColon {
			d = time.Duration(n) * time.Minute
			break
		}
		var f []int64
		if f, err = twoDigitFields(rest, 2, 60); err != nil {
			break
		}
		if len(f) == 1 { // MM:SS
			d = time.Duration(n)*time.Minute + time.Duration(f[0])*time.Second
		} else { // HH:MM:SS
			d = time.Duration(n)*time.Hour + time.Duration(f[0])*time.Minute + time.Duration(f[1])*time.Second
		}
	}
	switch {
	case err != nil:
		return 0, err
	case d <= 0:
		return 0, walltimeError("a walltime must be more than zero")
	case d > MaxWalltime:
		return 0, walltimeError("more than 365 days")
	}
	return d, nil
}

// maxWalltimeDigits bounds every number of a walltime: MaxWalltime in
// seconds has 8 digits, and a product of such a number and a unit stays
// far from overflow.
const maxWalltimeDigits = 8

// leadingField parses the first number of a colon or dash form.
func leadingField(s string) (int64, error) {
	if s == "" {
		return 0, walltimeError("a number is missing")
	}
	if len(s) > maxWalltimeDigits {
		return 0, walltimeError("number " + s + " too large")
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, walltimeError(fmt.Sprintf("unexpected %q", c))
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// twoDigitFields parses 1..max colon-separated two-digit fields; the first
// must be below firstLimit, the others below 60.
func twoDigitFields(s string, max int, firstLimit int64) ([]int64, error) {
	parts := strings.Split(s, ":")
	if len(parts) > max {
		return nil, walltimeError("too many fields")
	}
	out := make([]int64, len(parts))
	for i, p := range parts {
		if len(p) != 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' {
			return nil, walltimeError(fmt.Sprintf("field %q: want two digits", p))
		}
		out[i] = int64(p[0]-'0')*10 + int64(p[1]-'0')
		limit := int64(60)
		if i == 0 {
			limit = firstLimit
		}
		if out[i] >= limit {
			return nil, walltimeError(fmt.Sprintf("field %q: want below %d", p, limit))
		}
	}
	return out, nil
}

// walltimeUnits are the units of the 1d2h3m4s form, in the order they
// must appear.
var walltimeUnits = []struct {
	letter byte
	unit   time.Duration
}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// parseUnits parses the 1d2h3m4s form.
func parseUnits(s string) (time.Duration, error) {
	var d time.Duration
	next := 0 // index into walltimeUnits of the next unit allowed
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, walltimeError(fmt.Sprintf("unexpected %q: want a number before each unit", s[0]))
		}
		if i > maxWalltimeDigits {
			return 0, walltimeError("number " + s[:i] + " too large")
		}
		if i == len(s) {
			return 0, walltimeError("number " + s + " has no unit (d, h, m or s)")
		}
		if s[i] < 'a' || s[i] > 'z' {
			return 0, walltimeError(fmt.Sprintf("unexpected %q", s[i]))
		}
		n, _ := leadingField(s[:i])
		u := next
		for u < len(walltimeUnits) && walltimeUnits[u].letter != s[i] {
			u++
		}
		if u == len(walltimeUnits) {
			return 0, walltimeError(fmt.Sprintf("unit %q: want d, h, m or s, each once, in that order", s[i]))
		}
		d += time.Duration(n) * walltimeUnits[u].unit
		if d > MaxWalltime {
			return 0, walltimeError("more than 365 days")
		}
		next = u + 1
		s = s[i+1:]
	}
	return d, nil
}

// wholeSeconds is d in seconds, rounded up.
func wholeSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// slurmTime writes d as days-hours:minutes:seconds, which sbatch accepts
// for any length.
func slurmTime(d time.Duration) string {
	sec := wholeSeconds(d)
	return fmt.Sprintf("%d-%s", sec/86400, hms(time.Duration(sec%86400)*time.Second))
}
