package sched

import (
	"fmt"
	"strings"
)

// MailEvents says when the batch system mails the job's owner. The zero
// value leaves the system's default.
type MailEvents uint8

// The events; MailNever asks for no mail at all and excludes the others.
const (
	MailBegin MailEvents = 1 << iota // the job starts
	MailEnd                          // the job ends
	MailFail                         // the job fails or is aborted
	MailNever                        // no mail
)

// mailNames are the names ParseMailType reads, one event each; "all" and
// "none" stand for several or none.
var mailNames = []struct {
	name string
	ev   MailEvents
}{{"begin", MailBegin}, {"end", MailEnd}, {"fail", MailFail}}

// ParseMailType parses a comma-separated list of begin, end and fail (any
// case, as sbatch's BEGIN,END,FAIL), or all (the three) or none (no mail,
// alone). Repeats and empty items are refused.
func ParseMailType(s string) (MailEvents, error) {
	var ev MailEvents
	for item := range strings.SplitSeq(s, ",") {
		var e MailEvents
		switch low := strings.ToLower(item); low {
		case "all":
			e = MailBegin | MailEnd | MailFail
		case "none":
			e = MailNever
		default:
			for _, n := range mailNames {
				if low == n.name {
					e = n.ev
				}
			}
		}
		switch {
		case e == 0:
			return 0, fmt.Errorf("invalid mail type %q: %q is not begin, end, fail, all or none: %w", s, item, ErrSyntax)
		case ev&e != 0:
			return 0, fmt.Errorf("invalid mail type %q: %q repeats an event: %w", s, item, ErrSyntax)
		}
		ev |= e
	}
	if ev&MailNever != 0 && ev != MailNever {
		return 0, fmt.Errorf("invalid mail type %q: none goes alone: %w", s, ErrSyntax)
	}
	return ev, nil
}

// String writes ev as ParseMailType reads it.
func (ev MailEvents) String() string {
	switch ev {
	case 0:
		return ""
	case MailNever:
		return "none"
	case MailBegin | MailEnd | MailFail:
		return "all"
	}
	var names []string
	for _, n := range mailNames {
		if ev&n.ev != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// slurm is ev as sbatch's --mail-type reads it.
func (ev MailEvents) slurm() string {
	if ev == MailNever {
		return "NONE"
	}
	return strings.ToUpper(ev.String())
}

// pbs is ev as qsub's -m reads it: a (abort, which is how PBS mails a
// failure), b (begin), e (end), or n (none).
func (ev MailEvents) pbs() string {
	if ev == MailNever {
		return "n"
	}
	var b strings.Builder
	for _, x := range []struct {
		ev     MailEvents
		letter byte
	}{{MailFail, 'a'}, {MailBegin, 'b'}, {MailEnd, 'e'}} {
		if ev&x.ev != 0 {
			b.WriteByte(x.letter)
		}
	}
	return b.String()
}

// condor is ev as the submit command notification reads it: Never,
// Complete (every end, failed or not), or Error (a failed end only).
// HTCondor mails no job start.
func (ev MailEvents) condor() (string, error) {
	switch {
	case ev == MailNever:
		return "Never", nil
	case ev&MailBegin != 0:
		return "", fmt.Errorf("condor: --mail-type %s: HTCondor mails no job start; use end, fail or none", ev)
	case ev&MailEnd != 0:
		return "Complete", nil
	default:
		return "Error", nil
	}
}
