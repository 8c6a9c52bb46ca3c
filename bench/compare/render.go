package compare

import (
	"fmt"
	"io"
	"strings"
)

// Table describes one comparison table.
type Table struct {
	Title string
	Unit  string   // of the values, e.g. "us"
	Impls []string // column order
	// Labels maps an implementation to its column heading (default: itself).
	Labels map[string]string
	// Num and Base name the ratio column Num/Base; empty Base: no ratio.
	Num, Base     string
	LowerIsBetter bool
}

// label is impl's column heading.
func (t Table) label(impl string) string {
	if l, ok := t.Labels[impl]; ok {
		return l
	}
	return impl
}

// Render writes t as a Markdown table of the medians in runs: one row per
// size, "-" where an implementation has no value.
func (t Table) Render(w io.Writer, runs *Runs) error {
	var b strings.Builder
	better := "higher"
	if t.LowerIsBetter {
		better = "lower"
	}
	fmt.Fprintf(&b, "### %s (%s, median of rounds; %s is better)\n\n", t.Title, t.Unit, better)
	head, rule := []string{"size"}, []string{"---:"}
	for _, impl := range t.Impls {
		head = append(head, fmt.Sprintf("%s (n=%d)", t.label(impl), runs.Rounds(impl)))
		rule = append(rule, "---:")
	}
	if t.Base != "" {
		head = append(head, t.label(t.Num)+" / "+t.label(t.Base))
		rule = append(rule, "---:")
	}
	fmt.Fprintf(&b, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	for _, size := range runs.Sizes() {
		row := []string{SizeLabel(size)}
		for _, impl := range t.Impls {
			row = append(row, cell(runs.Median(impl, size)))
		}
		if t.Base != "" {
			num, ok1 := runs.Median(t.Num, size)
			den, ok2 := runs.Median(t.Base, size)
			row = append(row, cell(num/den, ok1 && ok2 && den != 0))
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// cell formats a value with three significant digits (at least two
// decimals below 10), or "-" when there is none.
func cell(v float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// SizeLabel writes a byte count as 512, 4K or 16M.
func SizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprint(n)
}
