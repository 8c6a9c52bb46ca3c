package compare

import (
	"fmt"
	"io"
	"strings"
)

// Pick names one row of a Summary: a benchmark at one message size.
type Pick struct {
	Bench string
	Size  int
}

// ParsePicks reads a comma-separated list of BENCH:SIZE, sizes in bytes
// with an optional K or M (binary) suffix: "allreduce:8,bcast:1M,barrier:0".
func ParsePicks(s string) ([]Pick, error) {
	var picks []Pick
	for _, f := range strings.Split(s, ",") {
		bench, size, ok := strings.Cut(strings.TrimSpace(f), ":")
		if !ok || bench == "" {
			return nil, fmt.Errorf("pick %q (want BENCH:SIZE): %w", f, ErrFormat)
		}
		n, err := parseSizeLabel(size)
		if err != nil {
			return nil, fmt.Errorf("pick %q: %w", f, err)
		}
		picks = append(picks, Pick{Bench: bench, Size: n})
	}
	return picks, nil
}

// parseSizeLabel is the inverse of SizeLabel: 512, 4K, 16M.
func parseSizeLabel(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("size %q: %w", s, ErrFormat)
	}
	return n * mult, nil
}

// Summary is a table of picked rows from several benchmarks, each a median
// over rounds, with the ratio of Num to every other implementation.
type Summary struct {
	Title  string
	Unit   string   // of every picked value, e.g. "us"
	Impls  []string // column order
	Labels map[string]string
	Num    string // numerator of the ratio columns
	// LowerIsBetter says how to read the values (all picks share it).
	LowerIsBetter bool
}

// Render writes s as a Markdown table: one row per pick, its values taken
// from runs[pick.Bench] ("-" where there is none).
func (s Summary) Render(w io.Writer, picks []Pick, runs map[string]*Runs) error {
	t := Table{Labels: s.Labels}
	var bases []string
	for _, impl := range s.Impls {
		if impl != s.Num {
			bases = append(bases, impl)
		}
	}
	better := "higher"
	if s.LowerIsBetter {
		better = "lower"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s (%s, median of rounds; %s is better)\n\n", s.Title, s.Unit, better)
	head, rule := []string{"benchmark", "size"}, []string{"---", "---:"}
	for _, impl := range s.Impls {
		head = append(head, t.label(impl))
		rule = append(rule, "---:")
	}
	for _, base := range bases {
		head = append(head, t.label(s.Num)+" / "+t.label(base))
		rule = append(rule, "---:")
	}
	fmt.Fprintf(&b, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	for _, p := range picks {
		r := runs[p.Bench]
		if r == nil {
			r = &Runs{}
		}
		row := []string{p.Bench, SizeLabel(p.Size)}
		for _, impl := range s.Impls {
			row = append(row, cell(r.Median(impl, p.Size)))
		}
		num, okNum := r.Median(s.Num, p.Size)
		for _, base := range bases {
			den, ok := r.Median(base, p.Size)
			row = append(row, cell(num/den, okNum && ok && den != 0))
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}
