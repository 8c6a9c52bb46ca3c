package scalereport

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// f3 formats an optional number with 3 significant digits, "–" for none.
func f3(x *float64) string {
	if x == nil {
		return "–"
	}
	return fmt.Sprintf("%.3g", *x)
}

// fs formats seconds with 4 significant digits.
func fs(x float64) string { return fmt.Sprintf("%.4g", x) }

// table returns the summary's point table: a header row and a row per
// point, as cells. The notes column marks oversubscribed points (†),
// short intervals (*), failed runs, and points without a good run.
func table(s *Summary) [][]string {
	weak := s.Mode == "weak"
	head := []string{"p", "nodes×ppn", "n", "median (s)", "95% CI (s)"}
	if weak {
		head = append(head, "efficiency", "1-rank time (s)", "scaled speedup")
	} else {
		head = append(head, "speedup", "efficiency", "Karp–Flatt")
	}
	names := metricNames(s)
	for _, m := range names {
		head = append(head, m+" (median)")
	}
	head = append(head, "notes")
	rows := [][]string{head}
	for _, pt := range s.Points {
		med, ci := "–", "–"
		if pt.MedianS != nil {
			med = fs(*pt.MedianS)
			ci = fmt.Sprintf("[%s, %s]", fs(pt.CI95S[0]), fs(pt.CI95S[1]))
			if pt.CIShort {
				ci += " *"
			}
		}
		row := []string{fmt.Sprint(pt.P), fmt.Sprintf("%d×%d", pt.Nodes, pt.PPN), fmt.Sprint(pt.N), med, ci}
		if weak {
			row = append(row, f3(pt.Efficiency), f3(pt.ReferenceS), f3(pt.ScaledSpeedup))
		} else {
			row = append(row, f3(pt.Speedup), f3(pt.Efficiency), f3(pt.KarpFlatt))
		}
		for _, m := range names {
			if v, ok := pt.Metrics[m]; ok {
				row = append(row, fmt.Sprintf("%.4g", v.Median))
			} else {
				row = append(row, "–")
			}
		}
		var notes []string
		if pt.Oversubscribed {
			notes = append(notes, "† oversubscribed")
		}
		if pt.Status != "ok" {
			notes = append(notes, pt.Status)
		}
		if pt.Failed > 0 {
			notes = append(notes, fmt.Sprintf("%d failed", pt.Failed))
		}
		if s.Baseline != nil && pt.P == s.Baseline.P {
			notes = append(notes, "baseline")
		}
		row = append(row, strings.Join(notes, "; "))
		rows = append(rows, row)
	}
	return rows
}

func metricNames(s *Summary) []string {
	seen := map[string]bool{}
	for _, pt := range s.Points {
		for k := range pt.Metrics {
			seen[k] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fitLines describes the fits in sentences.
func fitLines(s *Summary) []string {
	var out []string
	if f := s.Fits.Amdahl; f != nil {
		se := "no standard error (two points)"
		if f.Stderr != nil {
			se = fmt.Sprintf("± %.2g (standard error)", *f.Stderr)
		}
		bound := "none"
		if f.MaxSpeedup != nil {
			bound = fmt.Sprintf("%.3g", *f.MaxSpeedup)
		}
		out = append(out, fmt.Sprintf("Amdahl: T(p) = %.4g s + %.4g s / p, fitted to the medians of %d points; serial fraction %.3f %s; r² = %.3f; speedup bound 1/f = %s.",
			f.AS, f.BS, f.N, f.SerialFraction, se, f.R2, bound))
	}
	if g := s.Fits.Gustafson; g != nil {
		se := "no standard error (one point above p = 1)"
		if g.Stderr != nil {
			se = fmt.Sprintf("± %.2g (standard error)", *g.Stderr)
		}
		out = append(out, fmt.Sprintf("Gustafson: scaled speedup S(p) = s + (1 − s)·p with serial fraction s = %.3f %s over %d points.",
			g.SerialFraction, se, g.Points))
	}
	return out
}

// baselineLine states the baseline, as Hoefler and Belli's first rule asks.
func baselineLine(s *Summary) string {
	b := s.Baseline
	if b == nil {
		return "No point has a good run, so there is no baseline."
	}
	what := "speedup S(p) = p₀·T(p₀)/T(p)"
	if s.Mode == "weak" {
		what = "weak efficiency T(p₀)/T(p)"
	}
	return fmt.Sprintf("Baseline: the same parallel program at p₀ = %d (not a separate serial code), median %s s, 95%% interval [%s, %s] s; %s.",
		b.P, fs(b.MedianS), fs(b.CI95S[0]), fs(b.CI95S[1]), what)
}

// timeLine says what was timed.
func timeLine(s *Summary) string {
	switch s.TimeSource {
	case "app":
		return "Times are the program's own span: from the last rank's return from comm.Init to the last rank's call of Finalize, as the ranks report them to spmdrun (launch, wire-up and teardown excluded)."
	case "wall":
		return "Times are whole-job wall times (the program's span could not be measured), launch cost included."
	}
	return "Times mix program spans and wall times; see the warnings."
}

// WriteMarkdown writes report.md: the study, the table, the fits, the
// warnings, links to the plots, and the provenance.
func WriteMarkdown(w io.Writer, s *Summary, plots []Plot) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Scaling study: %s (%s scaling)\n\n", baseName(s.Study.Program), s.Mode)
	fmt.Fprintf(&b, "Command: `%s`\n\n", strings.Join(s.Provenance.CommandLine, " "))
	fmt.Fprintf(&b, "%s %s\n\n", timeLine(s), baselineLine(s))
	warm := ""
	if s.Study.Warmup > 0 {
		warm = fmt.Sprintf(" after %d discarded warm-up rounds", s.Study.Warmup)
	}
	fmt.Fprintf(&b, "Each point ran %d times%s, in shuffled rounds with seed %d; %d timed runs, %d failed. Medians with distribution-free 95 %% intervals (order statistics); * marks an interval short of 95 %% (fewer than 6 runs: the range of the runs), † an oversubscribed point.\n\n",
		s.Study.Repeat, warm, s.Study.Seed, s.Runs, s.Failed)
	if s.Study.Interrupted {
		b.WriteString("**The study was interrupted; these are its finished runs.**\n\n")
	}
	rows := table(s)
	b.WriteString("| " + strings.Join(rows[0], " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(rows[0])) + "\n")
	for _, r := range rows[1:] {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
	if fl := fitLines(s); len(fl) > 0 {
		b.WriteString("## Fits\n\n")
		for _, l := range fl {
			b.WriteString("- " + l + "\n")
		}
		b.WriteString("\n")
	}
	if len(s.Warnings) > 0 {
		b.WriteString("## Warnings\n\n")
		for _, wn := range s.Warnings {
			b.WriteString("- " + wn + "\n")
		}
		b.WriteString("\n")
	}
	if len(plots) > 0 {
		b.WriteString("## Plots\n\n")
		for _, p := range plots {
			fmt.Fprintf(&b, "![%s](%s.png)\n\n", p.Title, p.Name)
		}
	}
	b.WriteString("## Provenance\n\n")
	for _, kv := range provenanceRows(s) {
		fmt.Fprintf(&b, "- %s: %s\n", kv[0], kv[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// provenanceRows lists the provenance as label, value pairs.
func provenanceRows(s *Summary) [][2]string {
	p := s.Provenance
	rows := [][2]string{
		{"program", p.Program + " " + strings.Join(s.Study.Args, " ")},
	}
	if bi := p.ProgramBuild; bi != nil {
		dirty := ""
		if bi.VCSModified {
			dirty = " (modified)"
		}
		rows = append(rows, [2]string{"program build", fmt.Sprintf("%s %s, %s, revision %s%s", bi.Module, bi.Version, bi.GoVersion, orNone(bi.VCSRevision), dirty)})
	}
	rows = append(rows,
		[2]string{"spmd", p.SpmdVersion},
		[2]string{"spmdrun", orNone(p.Spmdrun)},
		[2]string{"Go (spmdbench)", p.GoVersion},
		[2]string{"host", fmt.Sprintf("%s, %s, %d CPUs, Linux %s", p.Hostname, orNone(p.CPUModel), p.CPUs, orNone(p.Kernel))},
		[2]string{"scheduler", orNone(strings.TrimSpace(p.Scheduler + " " + p.JobID + " " + p.Allocation))},
		[2]string{"placement", "fill " + s.Study.Fill},
	)
	var env []string
	for k, v := range p.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	rows = append(rows, [2]string{"SPMD_* environment", orNone(strings.Join(env, " "))})
	return rows
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
