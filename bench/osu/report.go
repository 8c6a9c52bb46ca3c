package osu

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Report is a benchmark's results with what is needed to read them.
type Report struct {
	Benchmark Kind   `json:"benchmark"`
	Title     string `json:"title"`
	Unit      string `json:"unit"`
	Impl      string `json:"impl"` // "spmd"
	// Ranks and Algorithm describe a collective benchmark's job: its size,
	// and the algorithm forced by SPMD_COLL_<OP> ("" for the default
	// choice by size and rank count).
	Ranks     int      `json:"ranks,omitempty"`
	Algorithm string   `json:"algorithm,omitempty"`
	Machine   Machine  `json:"machine"`
	Options   Options  `json:"options"`
	Results   []Result `json:"results"`
}

// Formats lists the output formats Write accepts.
var Formats = []string{"table", "csv", "json"}

// Write writes r in format "table" (OSU's layout under '#' header lines),
// "csv" (the same header lines, then size,value,iters rows; for collectives
// size,us,min_us,max_us,iters) or "json". Collective tables have OSU's full
// layout (osu_allreduce -f): size, average, minimum and maximum latency over
// ranks, iterations; barrier's one row has size 0.
func (r *Report) Write(w io.Writer, format string) error {
	var err error
	switch format {
	case "table", "":
		err = r.writeTable(w)
	case "csv":
		err = r.writeCSV(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	default:
		return fmt.Errorf("format %q (want table, csv or json): %w", format, ErrOptions)
	}
	if err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	return nil
}

// writeHeader writes the '#' lines that describe the run.
func (r *Report) writeHeader(w io.Writer) error {
	m := r.Machine
	_, err := fmt.Fprintf(w, "# %s (%s)\n# host: %s\n# cpu: %s\n# cores: %d\n# os: %s\n# go: %s\n# transport: %s\n# date: %s\n",
		r.Title, r.Impl, m.Host, m.CPU, m.Cores, m.OS, m.GoVersion, m.Transport, m.Date)
	if err != nil || !r.Benchmark.Collective() {
		return err
	}
	alg := r.Algorithm
	if alg == "" {
		alg = "default"
	}
	_, err = fmt.Fprintf(w, "# ranks: %d\n# algorithm: %s\n", r.Ranks, alg)
	return err
}

// writeTable writes OSU's table: a size column 10 wide, a value column 18
// wide with two decimals.
func (r *Report) writeTable(w io.Writer) error {
	if err := r.writeHeader(w); err != nil {
		return err
	}
	if r.Benchmark.Collective() {
		return r.writeCollectiveTable(w)
	}
	if _, err := fmt.Fprintf(w, "%-10s%18s\n", "# Size", r.Benchmark.Column()); err != nil {
		return err
	}
	for _, x := range r.Results {
		if _, err := fmt.Fprintf(w, "%-10d%18.2f\n", x.Size, x.Value); err != nil {
			return err
		}
	}
	return nil
}

// writeCollectiveTable writes the rows of OSU's full collective layout:
// size 10 wide, average, minimum and maximum 18 wide, iterations 12 wide.
func (r *Report) writeCollectiveTable(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%-10s%18s%18s%18s%12s\n", "# Size", r.Benchmark.Column(), "Min Latency(us)", "Max Latency(us)", "Iterations"); err != nil {
		return err
	}
	for _, x := range r.Results {
		if _, err := fmt.Fprintf(w, "%-10d%18.2f%18.2f%18.2f%12d\n", x.Size, x.Value, x.Min, x.Max, x.Iters); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) writeCSV(w io.Writer) error {
	if err := r.writeHeader(w); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	coll := r.Benchmark.Collective()
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	if coll {
		_ = cw.Write([]string{"size", "us", "min_us", "max_us", "iters"})
	} else {
		_ = cw.Write([]string{"size", r.Benchmark.Unit(), "iters"})
	}
	for _, x := range r.Results {
		if coll {
			_ = cw.Write([]string{strconv.Itoa(x.Size), f(x.Value), f(x.Min), f(x.Max), strconv.Itoa(x.Iters)})
		} else {
			_ = cw.Write([]string{strconv.Itoa(x.Size), f(x.Value), strconv.Itoa(x.Iters)})
		}
	}
	cw.Flush()
	return cw.Error()
}
