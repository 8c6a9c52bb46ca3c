package sched

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spmd-go/spmd/internal/hostlist"
)

// MaxLineLen bounds one line of a hostfile or nodefile.
const MaxLineLen = 4096

// LineError is an error about one line of a file.
type LineError struct {
	File string // the file's name as given
	Line int    // 1-based
	Err  error
}

// Error returns "file:line: reason".
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// ParseHostfile reads a hostfile, in either of the forms that Open MPI and
// MPICH use, one host per line:
//
//	# comment, and blank lines, are ignored
//	node01 slots=4 max_slots=8   # Open MPI: slots, optional max_slots (or max-slots)
//	node02:4                     # MPICH (Hydra): host:count
//	node03                       # one slot
//	[fe80::1]:2                  # IPv6 addresses in brackets
//
// A host named more than once is one host with the sum of the slots, in the
// position of its first line. name is used in errors only. A line that does
// not parse is an error naming the file, the line and the reason, wrapping
// ErrSyntax; so is a file with no hosts.
func ParseHostfile(name string, r io.Reader) ([]Host, error) {
	var l hostList
	err := eachLine(name, r, func(line string) error {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			return nil
		}
		host, slots, maxSlots, err := parseHostLine(fields)
		if err != nil {
			return err
		}
		return l.add(host, slots, maxSlots)
	})
	if err != nil {
		return nil, err
	}
	if len(l.hosts) == 0 {
		return nil, fmt.Errorf("%s: no hosts: %w", name, ErrSyntax)
	}
	return l.hosts, nil
}

// eachLine calls fn with each line of r, without its line ending, and wraps
// fn's errors in a LineError. Lines longer than MaxLineLen are an error.
func eachLine(name string, r io.Reader, fn func(line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), MaxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if err := fn(line); err != nil {
			if !errors.Is(err, ErrSyntax) {
				err = fmt.Errorf("%w: %w", ErrSyntax, err)
			}
			return &LineError{File: name, Line: n, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineError{File: name, Line: n + 1, Err: fmt.Errorf("line longer than %d bytes: %w", MaxLineLen, ErrSyntax)}
		}
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

// parseHostLine parses the fields of one hostfile line.
func parseHostLine(fields []string) (host string, slots, maxSlots int, err error) {
	host, count, hasCount, err := splitHostCount(fields[0])
	if err != nil {
		return "", 0, 0, err
	}
	slots = 1
	if hasCount {
		if slots, err = parseCount(count); err != nil {
			return "", 0, 0, fmt.Errorf("host %s: %w", host, err)
		}
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		key, value, ok := strings.Cut(f, "=")
		if !ok {
			return "", 0, 0, fmt.Errorf("unexpected %q after host %s: want key=value such as slots=4", f, host)
		}
		switch key {
		case "slots":
			key = "slots"
		case "max_slots", "max-slots", "slots_max", "slots-max":
			key = "max_slots"
		default:
			return "", 0, 0, fmt.Errorf("unknown attribute %q for host %s: want slots or max_slots", key, host)
		}
		if seen[key] || key == "slots" && hasCount {
			return "", 0, 0, fmt.Errorf("%s given twice for host %s", key, host)
		}
		seen[key] = true
		n, err := parseCount(value)
		if err != nil {
			return "", 0, 0, fmt.Errorf("host %s: %s: %w", host, key, err)
		}
		if key == "slots" {
			slots = n
		} else {
			maxSlots = n
		}
	}
	if maxSlots > 0 && maxSlots < slots {
		return "", 0, 0, fmt.Errorf("host %s: max_slots=%d is less than slots=%d", host, maxSlots, slots)
	}
	return host, slots, maxSlots, nil
}

// splitHostCount splits "host", "host:N" or "[v6addr]:N".
func splitHostCount(s string) (host, count string, hasCount bool, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false, fmt.Errorf("unterminated '[' in %q", s)
		}
		host, rest := s[:end+1], s[end+1:]
		if rest != "" {
			count, hasCount = strings.CutPrefix(rest, ":")
			if !hasCount {
				return "", "", false, fmt.Errorf("unexpected %q after %s", rest, host)
			}
		}
		if why := hostlist.CheckName(host); why != "" {
			return "", "", false, errors.New(why)
		}
		return host, count, hasCount, nil
	}
	if strings.Count(s, ":") > 1 {
		return "", "", false, fmt.Errorf("%q: put IPv6 addresses in brackets, as [fe80::1]:2", s)
	}
	host, count, hasCount = strings.Cut(s, ":")
	if why := hostlist.CheckName(host); why != "" {
		return "", "", false, errors.New(why)
	}
	return host, count, hasCount, nil
}

// ParseHosts parses a --host list: comma-separated hosts, each "host" (one
// slot) or "host:N" (MPICH's -hosts, Open MPI's --host). A host named more
// than once gets the sum of the slots, so "a,a,b" gives a two slots, as in
// Open MPI.
func ParseHosts(s string) ([]Host, error) {
	var l hostList
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		host, count, hasCount, err := splitHostCount(item)
		if err != nil {
			return nil, fmt.Errorf("--host %q: %w: %w", s, ErrSyntax, err)
		}
		slots := 1
		if hasCount {
			if slots, err = parseCount(count); err != nil {
				return nil, fmt.Errorf("--host %q: host %s: %w: %w", s, host, ErrSyntax, err)
			}
		}
		if err := l.add(host, slots, 0); err != nil {
			return nil, fmt.Errorf("--host %q: %w", s, err)
		}
	}
	return l.hosts, nil
}
