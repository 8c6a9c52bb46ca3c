// Package lossnote is the line protocol by which spmdrun tells its ranks that
// another rank of the job is gone, written once for the launcher (which
// writes it) and the runtime (which reads it).
//
// spmdrun gives every rank the read end of a pipe as an inherited file
// descriptor and names it in the environment variable SPMD_NOTIFY_FD
// ([EnvFD]). As soon as a rank of the job ends without PMI finalize — it
// exited, was killed by a signal, called abort, could not be started, or
// its host's proxy was lost — the launcher writes one line to every rank
// still running:
//
//	lost <rank> <cause>\n
//
// rank is the lost rank's world rank in decimal (no sign, no leading
// zeros); cause is what the launcher saw, in its own words ("exited with
// code 3", "killed by signal SIGKILL"), one to [MaxCause] bytes of printable
// text without control characters. The fields are separated by single
// spaces; the cause may contain spaces. A line is at most [MaxLine] bytes
// with its newline, less than PIPE_BUF, so that each is written atomically.
//
// Readers ignore lines that start with another word (the launcher may add
// other notices later) and reject, without acting on them, lines that start
// with "lost" but are malformed.
package lossnote

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// EnvFD names the environment variable that gives a rank the descriptor
// number of its notification pipe.
const EnvFD = "SPMD_NOTIFY_FD"

// Bounds on a line.
const (
	// MaxCause bounds the cause field in bytes.
	MaxCause = 512
	// MaxLine bounds a whole line with its newline: "lost ", a rank of up
	// to 10 digits, a space, the cause and the newline.
	MaxLine = len(verb) + 1 + 10 + 1 + MaxCause + 1
)

const verb = "lost"

// Errors of Parse.
var (
	// ErrOtherNotice: the line is not a loss notice (another first word).
	ErrOtherNotice = errors.New("lossnote: not a loss notice")
	// ErrMalformed is wrapped by the error for a loss notice that breaks
	// the format.
	ErrMalformed = errors.New("lossnote: malformed loss notice")
)

// Loss is one notice: a rank of the job is gone, and why.
type Loss struct {
	Rank  int
	Cause string
}

// Append appends l's line, with its newline, to dst. A cause that is empty,
// too long or not printable is made so: control characters become spaces,
// a long cause is cut at a character boundary, an empty one becomes
// "unknown". A rank outside [0, 2³¹) is an error and appends nothing.
func Append(dst []byte, l Loss) ([]byte, error) {
	if l.Rank < 0 || l.Rank > 1<<31-1 {
		return dst, fmt.Errorf("lossnote: rank %d out of range", l.Rank)
	}
	dst = append(dst, verb...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(l.Rank), 10)
	dst = append(dst, ' ')
	return append(append(dst, sanitize(l.Cause)...), '\n'), nil
}

// sanitize makes cause a valid cause field.
func sanitize(cause string) string {
	out := make([]byte, 0, min(len(cause), MaxCause))
	for _, r := range cause {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = ' '
		}
		if len(out)+utf8.RuneLen(r) > MaxCause {
			break
		}
		out = utf8.AppendRune(out, r)
	}
	if len(out) == 0 {
		return "unknown"
	}
	return string(out)
}

// Parse reads one line, without its newline. It returns ErrOtherNotice for
// a line whose first word is not "lost", and an error wrapping ErrMalformed
// for a loss notice that breaks the format; it never panics.
func Parse(line []byte) (Loss, error) {
	word, rest, ok := cutSpace(line)
	if string(word) != verb {
		return Loss{}, ErrOtherNotice
	}
	if !ok {
		return Loss{}, fmt.Errorf("%w: no rank", ErrMalformed)
	}
	num, cause, ok := cutSpace(rest)
	if !ok || len(cause) == 0 {
		return Loss{}, fmt.Errorf("%w: no cause", ErrMalformed)
	}
	rank, err := parseRank(num)
	if err != nil {
		return Loss{}, err
	}
	if len(cause) > MaxCause {
		return Loss{}, fmt.Errorf("%w: cause of %d bytes exceeds %d", ErrMalformed, len(cause), MaxCause)
	}
	if !utf8.Valid(cause) {
		return Loss{}, fmt.Errorf("%w: cause is not UTF-8", ErrMalformed)
	}
	for _, r := range string(cause) {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return Loss{}, fmt.Errorf("%w: control character %U in the cause", ErrMalformed, r)
		}
	}
	return Loss{Rank: rank, Cause: string(cause)}, nil
}

// cutSpace splits b at its first space.
func cutSpace(b []byte) (before, after []byte, found bool) {
	for i, c := range b {
		if c == ' ' {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// parseRank reads a rank: decimal digits, no sign, no leading zero, at most
// 10 digits and within int32.
func parseRank(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 10 || (len(b) > 1 && b[0] == '0') {
		return 0, fmt.Errorf("%w: rank %q", ErrMalformed, b)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: rank %q", ErrMalformed, b)
		}
		n = n*10 + int(c-'0')
	}
	if n > 1<<31-1 {
		return 0, fmt.Errorf("%w: rank %q out of range", ErrMalformed, b)
	}
	return n, nil
}
