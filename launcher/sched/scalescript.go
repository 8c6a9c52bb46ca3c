package sched

import (
	"errors"
	"fmt"
	"strings"
)

// scaleCommand is the job's command when Script.Scale is set: one
// spmdbench scale that runs the whole sweep inside this allocation,
// every word quoted for the shell. Its results directory is relative to
// the job's working directory, next to the job's output.
func (s *Script) scaleCommand() string {
	bench := s.Spmdbench
	if bench == "" {
		bench = "spmdbench"
	}
	words := []string{shellQuote(bench), "scale"}
	if s.Spmdrun != "" {
		words = append(words, "--spmdrun", shellQuote(s.Spmdrun))
	}
	for _, kv := range s.Env {
		words = append(words, "--spmdrun-arg=-x", "--spmdrun-arg="+shellQuote(kv))
	}
	for _, k := range s.exportedNames() {
		words = append(words, "--spmdrun-arg=-x", "--spmdrun-arg="+k)
	}
	for _, a := range s.Scale {
		words = append(words, shellQuote(a))
	}
	words = append(words, "--", shellQuote(s.Program))
	for _, a := range s.Args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// validateScale checks the parts of a scaling-study job.
func (s *Script) validateScale(f Format) error {
	if s.Scale == nil {
		return nil
	}
	for _, a := range s.Scale {
		if a == "--" {
			return errors.New("--scale arguments hold spmdbench scale's flags only; the program comes after the format")
		}
	}
	if f == FormatCondor && s.Nodes > 1 {
		// Each spmdrun of the sweep would need the other nodes' spmdrun
		// --join, which serves one job only.
		return fmt.Errorf("an HTCondor scaling study runs on node 0's slots only: use 1 node, not %d", s.Nodes)
	}
	return nil
}

// SplitWords splits s into words as a POSIX shell would for simple
// input: at unquoted blanks, with '...' and "..." quoting (no escapes
// inside single quotes; \" and \\ inside double quotes; \ outside quotes
// takes the next character literally). An unclosed quote is an error.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += 1 + end
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unclosed \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
