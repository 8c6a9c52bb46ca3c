package hostlist

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxHosts bounds what one host list may expand to, so that a short
// compressed list ("n[0-999999999]") is refused instead of allocated.
const MaxHosts = 1 << 16

// ErrSyntax is wrapped by every error about a list or name that does not
// parse.
var ErrSyntax = errors.New("syntax error")

// maxDigits bounds the digits of one number in a bracketed range,
// so that arithmetic on it cannot overflow.
const maxDigits = 9

// Expand expands a Slurm host list, as in SLURM_JOB_NODELIST, into
// host names, in Slurm's order:
//
//	tux[0-3,12]       tux0 tux1 tux2 tux3 tux12
//	linux[01-03]b     linux01b linux02b linux03b (a zero-padded low bound fixes the width)
//	a[0-1].b[0-1]     a0.b0 a0.b1 a1.b0 a1.b1 (the leftmost range varies slowest)
//	n1,n[3-4]         n1 n3 n4
//
// Items are separated by commas outside brackets. The expansion is bounded
// by MaxHosts names; more, and malformed lists, are errors wrapping
// ErrSyntax.
func Expand(s string) ([]string, error) {
	var out []string
	for _, item := range splitOutsideBrackets(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("host list %q: empty item: %w", s, ErrSyntax)
		}
		names, err := expandItem(item, MaxHosts-len(out))
		if err != nil {
			return nil, fmt.Errorf("host list %q: %w", s, err)
		}
		out = append(out, names...)
	}
	return out, nil
}

// splitOutsideBrackets splits s at commas (and blanks, which Slurm also
// accepts) that are not inside brackets.
func splitOutsideBrackets(s string) []string {
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',', ' ':
			if depth == 0 {
				items = append(items, s[start:i])
				start = i + 1
			}
		}
	}
	return append(items, s[start:])
}

// expandItem expands one host expression with any number of bracketed
// ranges into at most limit names.
func expandItem(item string, limit int) ([]string, error) {
	names := []string{""}
	for item != "" {
		open := strings.IndexByte(item, '[')
		if open < 0 {
			if strings.IndexByte(item, ']') >= 0 {
				return nil, fmt.Errorf("']' without '[': %w", ErrSyntax)
			}
			names = appendAll(names, []string{item})
			break
		}
		closing := strings.IndexByte(item, ']')
		if closing < open {
			return nil, fmt.Errorf("'[' without ']' in %q: %w", item, ErrSyntax)
		}
		if strings.IndexByte(item[open+1:closing], '[') >= 0 {
			return nil, fmt.Errorf("nested '[' in %q: %w", item, ErrSyntax)
		}
		if open > 0 {
			names = appendAll(names, []string{item[:open]})
		}
		nums, err := expandRanges(item[open+1:closing], limit)
		if err != nil {
			return nil, err
		}
		if len(names)*len(nums) > limit {
			return nil, fmt.Errorf("expands to more than %d hosts: %w", MaxHosts, ErrSyntax)
		}
		names = appendAll(names, nums)
		item = item[closing+1:]
	}
	for _, n := range names {
		if why := CheckName(n); why != "" {
			return nil, fmt.Errorf("%s: %w", why, ErrSyntax)
		}
	}
	return names, nil
}

// appendAll returns every prefix followed by every suffix, prefixes
// varying slowest.
func appendAll(prefixes, suffixes []string) []string {
	out := make([]string, 0, len(prefixes)*len(suffixes))
	for _, p := range prefixes {
		for _, s := range suffixes {
			out = append(out, p+s)
		}
	}
	return out
}

// expandRanges expands the inside of brackets, "0-3,12,07-09", into at
// most limit numbers written with the width of each range's low bound.
func expandRanges(s string, limit int) ([]string, error) {
	var out []string
	for r := range strings.SplitSeq(s, ",") {
		loS, hiS, isRange := strings.Cut(r, "-")
		if !isRange {
			hiS = loS
		}
		lo, err := parseIndex(loS)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", r, err)
		}
		hi, err := parseIndex(hiS)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", r, err)
		}
		if hi < lo {
			return nil, fmt.Errorf("range %q runs backwards: %w", r, ErrSyntax)
		}
		if hi-lo+1 > limit-len(out) {
			return nil, fmt.Errorf("expands to more than %d hosts: %w", MaxHosts, ErrSyntax)
		}
		for n := lo; n <= hi; n++ {
			out = append(out, fmt.Sprintf("%0*d", len(loS), n))
		}
	}
	return out, nil
}

// parseIndex parses a range bound: a non-negative decimal of at most maxDigits digits.
func parseIndex(s string) (int, error) {
	if s == "" || len(s) > maxDigits {
		return 0, fmt.Errorf("invalid number %q: %w", s, ErrSyntax)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid number %q: %w", s, ErrSyntax)
		}
	}
	n, _ := strconv.Atoi(s)
	return n, nil
}
