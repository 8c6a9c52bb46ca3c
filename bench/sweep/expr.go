package sweep

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrExpr is wrapped by every error about a placeholder expression.
var ErrExpr = errors.New("bad placeholder expression")

// Vars are the values a placeholder expression may name: the ranks of a
// run, and the nodes and ranks per node it is placed on.
type Vars struct {
	P, Nodes, PPN int
}

// value returns the variable called name.
func (v Vars) value(name string) (float64, bool) {
	switch name {
	case "p":
		return float64(v.P), true
	case "nodes":
		return float64(v.Nodes), true
	case "ppn":
		return float64(v.PPN), true
	}
	return 0, false
}

// functions are the one-argument functions an expression may call.
var functions = map[string]func(float64) float64{
	"sqrt":  math.Sqrt,
	"cbrt":  math.Cbrt,
	"floor": math.Floor,
	"ceil":  math.Ceil,
	"round": math.Round,
}

// Expr is a parsed arithmetic expression over p, nodes and ppn:
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = ("-" | "+") unary | power
//	power   = primary [ "^" unary ]          (right-associative)
//	primary = number | name | function "(" expr ")" | "(" expr ")"
//
// Numbers are decimal (1, 0.5, 1e3); spaces are allowed between tokens.
type Expr struct {
	src  string
	root node
}

// node is one operation of a parsed expression.
type node struct {
	op   byte // 'n' number, 'v' variable, 'f' function, '~' negation, or + - * / ^
	num  float64
	name string
	kids []node
}

// ParseExpr parses src. Unknown names and malformed input are errors
// wrapping ErrExpr that quote src and say what is wrong where.
func ParseExpr(src string) (*Expr, error) {
	p := &exprParser{src: src}
	p.skip()
	root, err := p.expr(0)
	if err == nil && p.pos < len(src) {
		err = p.errorf("unexpected %q", src[p.pos])
	}
	if err != nil {
		return nil, err
	}
	return &Expr{src: src, root: root}, nil
}

// String returns the expression as it was written.
func (e *Expr) String() string { return e.src }

// Eval computes the expression for v. A result that is not a finite number
// (a division by zero, the square root of a negative) is an error.
func (e *Expr) Eval(v Vars) (float64, error) {
	x := e.root.eval(v)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%w: {%s} with p=%d nodes=%d ppn=%d is not a finite number", ErrExpr, e.src, v.P, v.Nodes, v.PPN)
	}
	return x, nil
}

func (n *node) eval(v Vars) float64 {
	switch n.op {
	case 'n':
		return n.num
	case 'v':
		x, _ := v.value(n.name)
		return x
	case 'f':
		return functions[n.name](n.kids[0].eval(v))
	case '~':
		return -n.kids[0].eval(v)
	}
	a, b := n.kids[0].eval(v), n.kids[1].eval(v)
	switch n.op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	case '/':
		return a / b
	default: // '^'
		return math.Pow(a, b)
	}
}

// maxDepth bounds nesting, so that a hostile expression cannot exhaust
// the stack.
const maxDepth = 100

// exprParser is a recursive-descent parser over src; pos is the next
// unread byte, always past any spaces.
type exprParser struct {
	src string
	pos int
}

func (p *exprParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w {%s}: at offset %d: %s", ErrExpr, p.src, p.pos, fmt.Sprintf(format, args...))
}

func (p *exprParser) skip() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// peek returns the next byte, or 0 at the end.
func (p *exprParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *exprParser) expr(depth int) (node, error) {
	if depth > maxDepth {
		return node{}, p.errorf("nested too deeply")
	}
	left, err := p.term(depth)
	for err == nil && (p.peek() == '+' || p.peek() == '-') {
		op := p.peek()
		p.pos++
		p.skip()
		var right node
		right, err = p.term(depth)
		left = node{op: op, kids: []node{left, right}}
	}
	return left, err
}

func (p *exprParser) term(depth int) (node, error) {
	left, err := p.unary(depth)
	for err == nil && (p.peek() == '*' || p.peek() == '/') {
		op := p.peek()
		p.pos++
		p.skip()
		var right node
		right, err = p.unary(depth)
		left = node{op: op, kids: []node{left, right}}
	}
	return left, err
}

func (p *exprParser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return node{}, p.errorf("nested too deeply")
	}
	switch p.peek() {
	case '-':
		p.pos++
		p.skip()
		x, err := p.unary(depth + 1)
		return node{op: '~', kids: []node{x}}, err
	case '+':
		p.pos++
		p.skip()
		return p.unary(depth + 1)
	}
	base, err := p.primary(depth)
	if err != nil || p.peek() != '^' {
		return base, err
	}
	p.pos++
	p.skip()
	exp, err := p.unary(depth + 1)
	return node{op: '^', kids: []node{base, exp}}, err
}

func (p *exprParser) primary(depth int) (node, error) {
	c := p.peek()
	switch {
	case c == 0:
		return node{}, p.errorf("expression ends early")
	case c == '(':
		p.pos++
		p.skip()
		x, err := p.expr(depth + 1)
		if err != nil {
			return x, err
		}
		if p.peek() != ')' {
			return x, p.errorf("missing )")
		}
		p.pos++
		p.skip()
		return x, nil
	case c >= '0' && c <= '9' || c == '.':
		return p.number()
	case isLetter(c):
		start := p.pos
		for p.pos < len(p.src) && (isLetter(p.src[p.pos]) || p.src[p.pos] >= '0' && p.src[p.pos] <= '9') {
			p.pos++
		}
		name := p.src[start:p.pos]
		p.skip()
		if _, ok := functions[name]; ok {
			if p.peek() != '(' {
				return node{}, p.errorf("function %s needs (argument)", name)
			}
			arg, err := p.primary(depth + 1)
			return node{op: 'f', name: name, kids: []node{arg}}, err
		}
		if _, ok := (Vars{}).value(name); !ok {
			p.pos = start
			return node{}, p.errorf("unknown name %q (want p, nodes, ppn, or a function: sqrt, cbrt, floor, ceil, round)", name)
		}
		return node{op: 'v', name: name}, nil
	}
	return node{}, p.errorf("unexpected %q", c)
}

func (p *exprParser) number() (node, error) {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c >= '0' && c <= '9' || c == '.' {
			p.pos++
			continue
		}
		if (c == 'e' || c == 'E') && p.pos+1 < len(p.src) {
			next := p.src[p.pos+1]
			if next >= '0' && next <= '9' {
				p.pos += 2
				continue
			}
			if (next == '+' || next == '-') && p.pos+2 < len(p.src) && p.src[p.pos+2] >= '0' && p.src[p.pos+2] <= '9' {
				p.pos += 3
				continue
			}
		}
		break
	}
	text := p.src[start:p.pos]
	x, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.pos = start
		return node{}, p.errorf("bad number %q", text)
	}
	p.skip()
	return node{op: 'n', num: x}, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
