package sched

import (
	"fmt"
	"io"
	"strings"
)

// MaxEnvEntries bounds the entries of an environment file.
const MaxEnvEntries = 1000

// ParseEnvFile reads an environment file: one KEY=VALUE a line, KEY a
// shell variable name (a letter or '_', then letters, digits and '_'),
// VALUE everything after the first '=' up to the end of the line, taken
// literally (no quotes are removed, nothing is expanded). Blank lines and
// lines whose first non-blank character is '#' are skipped. A key given
// twice, a line without '=', a NUL and more than MaxEnvEntries entries are
// errors naming the file (name) and the line, wrapping ErrSyntax. It
// returns the entries as KEY=VALUE in file order.
func ParseEnvFile(name string, r io.Reader) ([]string, error) {
	var out []string
	lineOf := map[string]int{}
	n := 0
	err := eachLine(name, r, func(line string) error {
		n++
		if t := strings.TrimLeft(line, " \t"); t == "" || t[0] == '#' {
			return nil
		}
		k, err := envLine(line, lineOf, len(out))
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrSyntax)
		}
		lineOf[k] = n
		out = append(out, line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// envLine checks one KEY=VALUE line of an environment file whose earlier
// entries, count of them, are lineOf (name to line); it returns the key.
func envLine(line string, lineOf map[string]int, count int) (string, error) {
	k, v, ok := strings.Cut(line, "=")
	switch {
	case !ok:
		return "", fmt.Errorf("%q: want KEY=VALUE", line)
	case checkEnvName(k) != "":
		return "", fmt.Errorf("%q: %s", k, checkEnvName(k))
	case strings.ContainsAny(v, "\x00\r"):
		return "", fmt.Errorf("%s: the value holds a NUL or carriage return", k)
	case lineOf[k] > 0:
		return "", fmt.Errorf("%s given again (first on line %d)", k, lineOf[k])
	case count == MaxEnvEntries:
		return "", fmt.Errorf("more than %d entries", MaxEnvEntries)
	}
	return k, nil
}

// checkEnvName says why k is not a shell variable name, or "".
func checkEnvName(k string) string {
	if k == "" {
		return "no variable name"
	}
	for i, c := range k {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return "not a variable name (a letter or '_', then letters, digits and '_')"
		}
	}
	return ""
}
