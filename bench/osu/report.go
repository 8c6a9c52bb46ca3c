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
	Benchmark Kind     `json:"benchmark"`
	Title     string   `json:"title"`
	Unit      string   `json:"unit"`
	Impl      string   `json:"impl"` // "spmd"
	Machine   Machine  `json:"machine"`
	Options   Options  `json:"options"`
	Results   []Result `json:"results"`
}

// Formats lists the output formats Write accepts.
var Formats = []string{"table", "csv", "json"}

// Write writes r in format "table" (OSU's layout under '#' header lines),
// "csv" (the same header lines, then size,value,iters rows) or "json".
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
	return err
}

// writeTable writes OSU's table: a size column 10 wide, a value column 18
// wide with two decimals.
func (r *Report) writeTable(w io.Writer) error {
	if err := r.writeHeader(w); err != nil {
		return err
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

func (r *Report) writeCSV(w io.Writer) error {
	if err := r.writeHeader(w); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"size", r.Benchmark.Unit(), "iters"})
	for _, x := range r.Results {
		_ = cw.Write([]string{strconv.Itoa(x.Size), strconv.FormatFloat(x.Value, 'f', 3, 64), strconv.Itoa(x.Iters)})
	}
	cw.Flush()
	return cw.Error()
}
