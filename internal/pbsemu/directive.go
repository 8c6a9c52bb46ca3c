package pbsemu

import (
	"bytes"
	"errors"
	"strings"
)

// DefaultPrefix is the directive prefix qsub looks for when neither -C nor
// PBS_DPREFIX names another.
const DefaultPrefix = "#PBS"

// ErrCRLF is returned for a script with a carriage return before a line
// feed; qsub refuses such a script ("qsub: script contains cr, lf") and
// exits 5.
var ErrCRLF = errors.New("script contains cr, lf")

// DirectiveError is a directive qsub cannot parse. qsub prints
// "qsub: directive error: " followed by Line and fails.
type DirectiveError struct {
	Line string // the directive's options, prefix removed
	Why  string // what is wrong, for tests and logs
}

func (e *DirectiveError) Error() string { return "directive error: " + e.Line }

// ScanDirectives returns the options of the directives in script, one
// slice of words per directive, in order, following qsub's rules:
//
//   - a directive is a line whose first non-blank characters are prefix,
//     followed by a blank or the end of the line; an empty prefix turns
//     scanning off (no directives);
//   - a line whose last character is a backslash continues on the next
//     line (the backslash and line feed are removed);
//   - scanning stops at the first executable line: after leading blanks,
//     non-empty and not starting with '#'; lines starting with ':' in the
//     first column are not executable (nor, being comments, are "#!"
//     lines);
//   - the words of a directive are split like a shell's (blanks separate,
//     single and double quotes group); an unterminated quote is a
//     DirectiveError;
//   - a script holding "\r\n" anywhere is refused with ErrCRLF.
func ScanDirectives(script []byte, prefix string) ([][]string, error) {
	if bytes.Contains(script, []byte("\r\n")) {
		return nil, ErrCRLF
	}
	if prefix == "" {
		return nil, nil
	}
	lines := strings.Split(string(script), "\n")
	var dirs [][]string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, ":") {
			continue
		}
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" {
			continue
		}
		if !strings.HasPrefix(trimmed, "#") {
			break // the first executable line
		}
		rest, ok := strings.CutPrefix(trimmed, prefix)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
			continue // a comment
		}
		for strings.HasSuffix(rest, `\`) && i+1 < len(lines) {
			i++
			rest = rest[:len(rest)-1] + lines[i]
		}
		words, err := SplitWords(rest)
		if err != nil {
			return nil, &DirectiveError{Line: strings.TrimSpace(rest), Why: err.Error()}
		}
		if len(words) > 0 {
			dirs = append(dirs, words)
		}
	}
	return dirs, nil
}

// SplitWords splits s into words the way a shell does for plain words:
// blanks separate, single quotes keep everything literally, double quotes
// keep blanks and let a backslash escape '"' and '\', and a backslash
// outside quotes escapes the next character.
func SplitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
