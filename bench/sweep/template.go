package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Template is an argument with placeholders: text in which each {EXPR} is
// replaced by the value of the expression (see Expr) for a run. "{{" and
// "}}" stand for literal braces. A value within 1e-9 of an integer is
// written as that integer; others in Go's shortest form (0.5, 1e+06).
type Template struct {
	text  []string // text[i] precedes exprs[i]; len(text) == len(exprs)+1
	exprs []*Expr
}

// ParseTemplate parses s. An unclosed "{", a stray "}" or a bad expression
// is an error wrapping ErrExpr that quotes s.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{}
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{', c == '}' && i+1 < len(s) && s[i+1] == '}':
			cur.WriteByte(c)
			i++
		case c == '}':
			return nil, fmt.Errorf("argument %q: %w: stray } (write }} for a literal brace)", s, ErrExpr)
		case c == '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf("argument %q: %w: { is never closed", s, ErrExpr)
			}
			src := s[i+1 : i+1+end]
			e, err := ParseExpr(src)
			if err != nil {
				return nil, fmt.Errorf("argument %q: %w", s, err)
			}
			t.text = append(t.text, cur.String())
			t.exprs = append(t.exprs, e)
			cur.Reset()
			i += 1 + end
		default:
			cur.WriteByte(c)
		}
	}
	t.text = append(t.text, cur.String())
	return t, nil
}

// HasPlaceholders reports whether the template has any {EXPR}.
func (t *Template) HasPlaceholders() bool { return len(t.exprs) > 0 }

// Expand returns the text with every placeholder's value for v.
func (t *Template) Expand(v Vars) (string, error) {
	var b strings.Builder
	for i, e := range t.exprs {
		b.WriteString(t.text[i])
		x, err := e.Eval(v)
		if err != nil {
			return "", err
		}
		b.WriteString(formatNumber(x))
	}
	b.WriteString(t.text[len(t.text)-1])
	return b.String(), nil
}

// formatNumber writes x as an integer when it is one (to within 1e-9).
func formatNumber(x float64) string {
	if r := math.Round(x); math.Abs(x-r) <= 1e-9 && math.Abs(r) < 1<<53 {
		return strconv.FormatInt(int64(r), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Templates parses every argument; the first bad one is the error.
func Templates(args []string) ([]*Template, error) {
	ts := make([]*Template, len(args))
	for i, a := range args {
		t, err := ParseTemplate(a)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	return ts, nil
}

// ExpandAll expands every template for v.
func ExpandAll(ts []*Template, v Vars) ([]string, error) {
	out := make([]string, len(ts))
	for i, t := range ts {
		s, err := t.Expand(v)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
