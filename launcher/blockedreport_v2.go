package launcher

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// The second format of blocked-operations reports. A rank cuts its report
// into fragments, each put under a key of its own (the next seq of
// jobnames.BlockedKey): "v2:i:n:piece", i = 1 … n, n ≤ maxFragments; the
// pieces joined in order are the report, entries joined by ";":
//
//	op,peer,tag,ctx,bytes,ms,call,alg,fn,site  a blocked operation, longest first
//	+N                                         N ≥ 1 more operations not listed
//	q,posted,unexpected,unexpectedBytes        the rank's matching queues
//	u,fn,site                                  a user goroutine outside spmd
//	s,stacks                                   the stacks of those goroutines
//
// The first six fields of an operation are as in the first format; call
// is the user-level spmd function ("Barrier"), alg a collective's
// algorithm ("ring") when the rank can tell it, fn and site the
// user's function and file:line. Text fields are query-escaped, "-" when
// unknown. An empty report (no entries) cannot occur: q is always there.

// maxFragments bounds the fragments of one report.
const maxFragments = 16

// maxStackText bounds the stack text kept from one report.
const maxStackText = 8 << 10

// userSite is a user function and its file:line.
type userSite struct {
	Fn   string // "main.main", or ""
	Site string // "main.go:22", or ""
}

// matchQueues is what a rank's matching engine held.
type matchQueues struct {
	Posted, Unexpected int
	UnexpectedBytes    int64
}

// parseFragment splits a fragment "v2:i:n:piece".
func parseFragment(v string) (i, n int, piece string, err error) {
	rest, ok := strings.CutPrefix(v, "v2:")
	if !ok {
		return 0, 0, "", errors.New("not a v2 fragment")
	}
	f := strings.SplitN(rest, ":", 3)
	if len(f) != 3 {
		return 0, 0, "", fmt.Errorf("fragment %q: want v2:i:n:piece", v)
	}
	a, errA := parseCount(f[0])
	b, errB := parseCount(f[1])
	if errA != nil || errB != nil || a < 1 || b < a || b > maxFragments {
		return 0, 0, "", fmt.Errorf("fragment %q: bad numbering (at most %d fragments)", v, maxFragments)
	}
	return int(a), int(b), f[2], nil
}

// parseBlockedV2 parses a report in the second format, its fragments
// joined.
func parseBlockedV2(v string) (blockedReport, error) {
	r := blockedReport{V2: true}
	if v == "" {
		return blockedReport{}, errors.New("empty report")
	}
	entries := strings.Split(v, ";")
	for i, e := range entries {
		var err error
		kind, rest, _ := strings.Cut(e, ",")
		switch {
		case strings.HasPrefix(e, "+"):
			if r.More > 0 {
				return blockedReport{}, fmt.Errorf("entry %d: a second count of operations not shown", i+1)
			}
			n, err := parseCount(e[1:])
			if err != nil || n < 1 || n > math.MaxInt32 {
				return blockedReport{}, fmt.Errorf("entry %d: bad count of operations not shown %q", i+1, e)
			}
			r.More = int(n)
		case kind == "q":
			if r.Queues != nil {
				return blockedReport{}, fmt.Errorf("entry %d: a second q entry", i+1)
			}
			r.Queues, err = parseQueues(rest)
		case kind == "u":
			var u userSite
			f := strings.Split(rest, ",")
			if len(f) != 2 {
				err = fmt.Errorf("%q: want u,fn,site", e)
			} else if u.Fn, err = unescapeField(f[0]); err == nil {
				u.Site, err = unescapeField(f[1])
			}
			r.Idle = append(r.Idle, u)
		case kind == "s":
			if r.Stacks != "" {
				return blockedReport{}, fmt.Errorf("entry %d: a second s entry", i+1)
			}
			r.Stacks, err = unescapeStack(rest)
		default:
			if r.More > 0 || r.Queues != nil || r.Idle != nil || r.Stacks != "" {
				return blockedReport{}, fmt.Errorf("entry %d: an operation after the other entries", i+1)
			}
			var op blockedOp
			op, err = parseBlockedOpV2(e)
			r.Ops = append(r.Ops, op)
		}
		if err != nil {
			return blockedReport{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
	}
	if r.Queues == nil {
		return blockedReport{}, errors.New("no q entry")
	}
	return r, nil
}

// parseBlockedOpV2 parses "op,peer,tag,ctx,bytes,ms,call,alg,fn,site".
func parseBlockedOpV2(e string) (blockedOp, error) {
	f := strings.Split(e, ",")
	if len(f) != 10 {
		return blockedOp{}, fmt.Errorf("%q: want op,peer,tag,ctx,bytes,ms,call,alg,fn,site", e)
	}
	op, err := parseBlockedOp(strings.Join(f[:6], ","))
	if err != nil {
		return blockedOp{}, err
	}
	for i, dst := range []*string{&op.Call, &op.Alg, &op.Fn, &op.Site} {
		if *dst, err = unescapeField(f[6+i]); err != nil {
			return blockedOp{}, err
		}
	}
	return op, nil
}

// parseQueues parses "posted,unexpected,unexpectedBytes".
func parseQueues(s string) (*matchQueues, error) {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return nil, fmt.Errorf("q,%s: want q,posted,unexpected,unexpectedBytes", s)
	}
	var n [3]int64
	for i := range f {
		v, err := parseCount(f[i])
		if err != nil || v > math.MaxInt32 && i < 2 {
			return nil, fmt.Errorf("q,%s: bad count %q", s, f[i])
		}
		n[i] = v
	}
	return &matchQueues{Posted: int(n[0]), Unexpected: int(n[1]), UnexpectedBytes: n[2]}, nil
}

// unescapeField decodes a text field: "-" is empty; otherwise at most 256
// printable characters once unescaped.
func unescapeField(s string) (string, error) {
	if s == "-" {
		return "", nil
	}
	u, err := url.QueryUnescape(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("bad text field %q: %w", s, err)
	case u == "" || u == "-" || len(u) > 256 || strings.ContainsFunc(u, func(r rune) bool { return !unicode.IsPrint(r) }):
		return "", fmt.Errorf("bad text field %q", s)
	}
	return u, nil
}

// unescapeStack decodes stack text: printable characters, newlines and
// tabs, at most maxStackText bytes.
func unescapeStack(s string) (string, error) {
	u, err := url.QueryUnescape(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("bad stacks: %w", err)
	case u == "" || len(u) > maxStackText ||
		strings.ContainsFunc(u, func(r rune) bool { return r != '\n' && r != '\t' && !unicode.IsPrint(r) }):
		return "", errors.New("bad stacks")
	}
	return u, nil
}

// encodeBlockedV2 writes r in the second format, as an spmd rank would
// (for tests, and to document the format's round trip).
func encodeBlockedV2(r blockedReport) string {
	field := func(s string) string {
		if s == "" {
			return "-"
		}
		return url.QueryEscape(s)
	}
	var e []string
	for _, op := range r.Ops {
		e = append(e, strings.Join([]string{op.Op, anyOrNumber(op.Peer), anyOrNumber(op.Tag),
			strconv.FormatUint(uint64(op.Ctx), 10), strconv.FormatInt(op.Bytes, 10),
			strconv.FormatInt(op.Blocked.Milliseconds(), 10),
			field(op.Call), field(op.Alg), field(op.Fn), field(op.Site)}, ","))
	}
	if r.More > 0 {
		e = append(e, "+"+strconv.Itoa(r.More))
	}
	if q := r.Queues; q != nil {
		e = append(e, fmt.Sprintf("q,%d,%d,%d", q.Posted, q.Unexpected, q.UnexpectedBytes))
	}
	for _, u := range r.Idle {
		e = append(e, "u,"+field(u.Fn)+","+field(u.Site))
	}
	if r.Stacks != "" {
		e = append(e, "s,"+field(r.Stacks))
	}
	return strings.Join(e, ";")
}
