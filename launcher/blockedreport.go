package launcher

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Hang diagnostics: the reports spmd ranks publish on SIGUSR1 and the table
// spmdrun makes of them.
//
// An spmd rank puts its business card (jobnames.CardKey) at start-up; on
// SIGUSR1 it puts a report (jobnames.BlockedKey) with a value in the format
// that parseBlocked reads. Only ranks that put a card are asked.

// anyRank is blockedOp.Peer and blockedOp.Tag for "any".
const anyRank = -1

// maxBlockedMillis bounds the blocked time a report may give, so that it
// converts to a time.Duration without overflow (about 292 years).
const maxBlockedMillis = math.MaxInt64 / int64(time.Millisecond)

// blockedOp is one operation a rank reports itself blocked in.
type blockedOp struct {
	Op      string        // recv, send, ssend, probe, wait (or a later runtime's word)
	Peer    int           // the world rank waited for, or anyRank
	Tag     int           // the tag, or anyRank
	Ctx     uint32        // the communicator context id (see commName)
	Bytes   int64         // the buffer's size
	Blocked time.Duration // how long the operation has been blocked

	// The second format only (see parseBlockedV2); "" when unknown.
	Call string // the user-level spmd function, "Barrier", "Recv"
	Alg  string // a collective's algorithm, "ring"
	Fn   string // the user's function that called it, "main.main"
	Site string // the user's file:line, "main.go:24"
}

// blockedReport is one rank's report: the operations it is blocked in,
// longest first, and how many more it did not list. No operations and no
// more means the rank is not blocked in spmd.
type blockedReport struct {
	Ops  []blockedOp
	More int

	// The second format only (see parseBlockedV2).
	V2     bool
	Queues *matchQueues // the rank's matching queues
	Idle   []userSite   // where its user goroutines outside spmd are
	Stacks string       // their stacks, possibly cut
}

// parseBlocked parses the value of a blocked-operations report: "none", or
// entries joined by ";", each "op,peer,tag,ctx,bytes,ms" where op is a
// lower-case word, peer and tag are non-negative numbers or "any", ctx is a
// 32-bit context id, bytes and ms are non-negative numbers; the last entry
// may instead be "+N", N ≥ 1 more operations not listed.
func parseBlocked(v string) (blockedReport, error) {
	var r blockedReport
	if v == "none" {
		return r, nil
	}
	if v == "" {
		return r, errors.New("empty report")
	}
	entries := strings.Split(v, ";")
	for i, e := range entries {
		if rest, ok := strings.CutPrefix(e, "+"); ok {
			if i != len(entries)-1 {
				return blockedReport{}, fmt.Errorf("entry %d: %q before the last entry", i+1, e)
			}
			n, err := parseCount(rest)
			if err != nil || n < 1 || n > math.MaxInt32 {
				return blockedReport{}, fmt.Errorf("entry %d: bad count of operations not shown %q", i+1, e)
			}
			r.More = int(n)
			break
		}
		op, err := parseBlockedOp(e)
		if err != nil {
			return blockedReport{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
		r.Ops = append(r.Ops, op)
	}
	return r, nil
}

// parseBlockedOp parses one "op,peer,tag,ctx,bytes,ms" entry.
func parseBlockedOp(e string) (blockedOp, error) {
	f := strings.Split(e, ",")
	if len(f) != 6 {
		return blockedOp{}, fmt.Errorf("%q: want op,peer,tag,ctx,bytes,ms", e)
	}
	var op blockedOp
	var err error
	if !isOpWord(f[0]) {
		return blockedOp{}, fmt.Errorf("bad operation %q", f[0])
	}
	op.Op = f[0]
	if op.Peer, err = parseRankOrAny(f[1]); err != nil {
		return blockedOp{}, fmt.Errorf("bad peer: %w", err)
	}
	if op.Tag, err = parseRankOrAny(f[2]); err != nil {
		return blockedOp{}, fmt.Errorf("bad tag: %w", err)
	}
	ctx, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil || !isDigits(f[3]) {
		return blockedOp{}, fmt.Errorf("bad context id %q", f[3])
	}
	op.Ctx = uint32(ctx)
	if op.Bytes, err = parseCount(f[4]); err != nil {
		return blockedOp{}, fmt.Errorf("bad byte count: %w", err)
	}
	ms, err := parseCount(f[5])
	if err != nil || ms > maxBlockedMillis {
		return blockedOp{}, fmt.Errorf("bad blocked time %q", f[5])
	}
	op.Blocked = time.Duration(ms) * time.Millisecond
	return op, nil
}

// isOpWord reports whether s can name an operation: 1 to 16 lower-case
// letters. Unknown words are accepted, so that a newer rank runtime can
// report operations this launcher does not know.
func isOpWord(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// parseRankOrAny parses a peer or tag: "any" or a number in int32's range.
func parseRankOrAny(s string) (int, error) {
	if s == "any" {
		return anyRank, nil
	}
	n, err := parseCount(s)
	if err != nil || n > math.MaxInt32 {
		return 0, fmt.Errorf("%q is not a number or any", s)
	}
	return int(n), nil
}

// parseCount parses a non-negative decimal number, digits only.
func parseCount(s string) (int64, error) {
	if !isDigits(s) {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return n, nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// rankState says what is known about one rank when a report is made.
type rankState int

const (
	// stateNoReport: an spmd rank that was asked but did not answer in time.
	stateNoReport rankState = iota
	// stateReported: the rank answered; see rankDiag.Report.
	stateReported
	// stateBadReport: the rank answered with a value that does not parse.
	stateBadReport
	// stateNotSpmd: the rank never put a business card, so it was not asked.
	stateNotSpmd
	// stateExited: the rank's process had ended, or ended before answering.
	stateExited
	// stateFinalized: the rank closed its PMI connection but still runs,
	// so it was not asked.
	stateFinalized
	// stateNotStarted: the rank's process was never started.
	stateNotStarted
)

// rankDiag is one rank's line, or lines, in a report.
type rankDiag struct {
	State  rankState
	Report blockedReport // for stateReported
}

// formatBlockedTable makes the table of a report, ranks ascending, one row
// per blocked operation and at least one per rank, each line indented by
// two spaces and ending in a newline:
//
//	rank  op    peer  tag  comm   bytes  blocked
//	2     recv  1     7    world  8      4.90s
//	0     -     -     -    -      -      (not blocked in spmd)
//
// When some report is in the second format, each row starts with the
// user-level call and its caller's file:line:
//
//	rank  call                   at          op    peer  tag  comm   bytes  blocked
//	2     Recv from 1 tag 7 8 B  main.go:30  recv  1     7    world  8      4.90s
//	0     -                      -           -     (not blocked in spmd)
func formatBlockedTable(ranks []rankDiag) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	v2 := hasV2(ranks)
	row := func(rank, call, at string, cells ...string) {
		if v2 {
			cells = append([]string{rank, call, at}, cells...)
		} else {
			cells = append([]string{rank}, cells...)
		}
		_, _ = fmt.Fprintln(tw, "  "+strings.Join(cells, "\t"))
	}
	note := func(rank int, op, text string) {
		if v2 {
			// The note ends the line early, so that its row stays short
			// (the last cell of a line belongs to no column).
			row(strconv.Itoa(rank), "-", "-", op, "("+text+")")
			return
		}
		row(strconv.Itoa(rank), "-", "-", op, "-", "-", "-", "-", "("+text+")")
	}
	row("rank", "call", "at", "op", "peer", "tag", "comm", "bytes", "blocked")
	for rank, d := range ranks {
		switch d.State {
		case stateReported:
			if len(d.Report.Ops) == 0 && d.Report.More == 0 {
				note(rank, "-", "not blocked in spmd")
			}
			for _, op := range d.Report.Ops {
				call, at := "-", "-"
				if op.Call != "" {
					call = callLabel(op)
				}
				if op.Site != "" {
					at = op.Site
				}
				row(strconv.Itoa(rank), call, at, op.Op, anyOrNumber(op.Peer), anyOrNumber(op.Tag), commName(op.Ctx),
					strconv.FormatInt(op.Bytes, 10), formatBlocked(op.Blocked))
			}
			if d.Report.More > 0 {
				note(rank, "...", fmt.Sprintf("%d more not shown", d.Report.More))
			}
		case stateNoReport:
			note(rank, "?", "no report")
		case stateBadReport:
			note(rank, "?", "unreadable report")
		case stateNotSpmd:
			note(rank, "?", "not an spmd rank")
		case stateExited:
			note(rank, "-", "exited")
		case stateFinalized:
			note(rank, "-", "finalized")
		case stateNotStarted:
			note(rank, "-", "not started")
		}
	}
	_ = tw.Flush() // a strings.Builder does not fail
	return b.String()
}

// anyOrNumber formats a peer or tag.
func anyOrNumber(n int) string {
	if n == anyRank {
		return "any"
	}
	return strconv.Itoa(n)
}

// commName names a communicator context id: 0 is the world's
// point-to-point context and 1 its collective one; other even ids are the
// point-to-point contexts of other communicators, "ctx N", and the odd id
// after each is the same communicator's collective context, "ctx N/coll".
func commName(ctx uint32) string {
	base, coll := ctx&^1, ctx&1 == 1
	name := "world"
	if base != 0 {
		name = "ctx " + strconv.FormatUint(uint64(base), 10)
	}
	if coll {
		name += "/coll"
	}
	return name
}

// formatBlocked formats a blocked time: seconds with two decimals under a
// minute ("4.90s"), whole seconds beyond ("2m5s").
func formatBlocked(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
