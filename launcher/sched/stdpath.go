package sched

import (
	"fmt"
	"strings"
)

// A job's standard output and error paths (Script.Stdout, Script.Stderr)
// may hold these placeholders, sbatch's letters, which each system's own
// form replaces:
//
//	%j  the job id:      Slurm %j, HTCondor $(Cluster).$(Process);
//	                     PBS and Torque cannot name a file by it
//	%x  the job's name:  written out for PBS, Torque and HTCondor
//	%a  the array index: Slurm %a, OpenPBS ^array_index^, HTCondor the
//	                     index macro; Torque cannot
//	%%  a literal %
//
// Any other % is refused, as are blanks, quotes, '#' and '\' (batch
// directives have no quoting), and for PBS and Torque ':' (qsub reads
// host:path).

// pathPart is literal text, or a placeholder (j, x or a) when Text is "".
type pathPart struct {
	Text        string
	Placeholder byte
}

// pathParts splits a path pattern into literal text and placeholders.
func pathParts(p string) ([]pathPart, error) {
	if p == "" {
		return nil, fmt.Errorf("empty path")
	}
	if strings.ContainsAny(p, " \t\n\r'\"#\\\x00") {
		return nil, fmt.Errorf("%q: blanks, quotes, '#' and '\\' cannot be written in a batch directive", p)
	}
	var parts []pathPart
	var lit strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			lit.WriteByte(p[i])
			continue
		}
		if i+1 == len(p) {
			return nil, fmt.Errorf("%q: a %% at the end: write %%%% for a literal %%", p)
		}
		i++
		switch p[i] {
		case '%':
			lit.WriteByte('%')
		case 'j', 'x', 'a':
			if lit.Len() > 0 {
				parts = append(parts, pathPart{Text: lit.String()})
				lit.Reset()
			}
			parts = append(parts, pathPart{Placeholder: p[i]})
		default:
			return nil, fmt.Errorf("%q: unknown placeholder %%%c: want %%j (job id), %%x (job name), %%a (array index) or %%%%", p, p[i])
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, pathPart{Text: lit.String()})
	}
	return parts, nil
}

// jobPath writes path pattern p (of option opt, for errors) in format f's
// form.
func (s *Script) jobPath(f Format, opt, p string) (string, error) {
	parts, err := pathParts(p)
	if err != nil {
		return "", fmt.Errorf("%s: %s %w", f, opt, err)
	}
	var b strings.Builder
	for _, part := range parts {
		if part.Placeholder == 0 {
			lit := part.Text
			switch f {
			case FormatSlurm:
				lit = strings.ReplaceAll(lit, "%", "%%")
			case FormatPBS, FormatTorque:
				if strings.Contains(lit, ":") {
					return "", fmt.Errorf("%s: %s %q: qsub reads host:path, so a path cannot hold ':'", f, opt, p)
				}
			case FormatCondor:
				if strings.Contains(lit, "$") {
					return "", fmt.Errorf("%s: %s %q: condor_submit expands '$' in paths", f, opt, p)
				}
			}
			b.WriteString(lit)
			continue
		}
		ph := "%" + string(part.Placeholder)
		if ph == "%a" && s.Array == nil {
			return "", fmt.Errorf("%s: %s %q: %%a is the array index, but the job is no array (--array)", f, opt, p)
		}
		switch {
		case f == FormatSlurm:
			b.WriteString(ph)
		case ph == "%x":
			b.WriteString(s.Name)
		case f == FormatCondor && ph == "%j":
			b.WriteString("$(Cluster).$(Process)")
		case f == FormatCondor && ph == "%a":
			_, index, _ := s.Array.condorQueue()
			b.WriteString(index)
		case f == FormatPBS && ph == "%a":
			b.WriteString("^array_index^")
		case ph == "%j":
			return "", fmt.Errorf("%s: %s %q: PBS cannot name a file by the job id (%%j); its default file NAME.oID has it", f, opt, p)
		default:
			return "", fmt.Errorf("%s: %s %q: Torque cannot name a file by the array index (%%a); its default file NAME.oID-INDEX has it", f, opt, p)
		}
	}
	return b.String(), nil
}
