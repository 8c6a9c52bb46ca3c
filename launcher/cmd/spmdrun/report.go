package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spmd-go/spmd/launcher"
)

// runReport is the file spmdrun --report writes when the job ends (see
// launcher.Span for the application span). spmdbench scale reads it;
// fields are only ever added.
type runReport struct {
	// WallS is the job's wall time by spmdrun's clock: from just before the
	// first rank starts to the end of the last, in seconds.
	WallS float64 `json:"wall_s"`
	launcher.SpanReport
	ExitCode int `json:"exit_code"`
	Ranks    int `json:"ranks"`
	// Hosts are the job's distinct hosts in node order, and RankHost[r]
	// is rank r's index into them.
	Hosts    []string `json:"hosts"`
	RankHost []int    `json:"rank_host"`
	Binding  string   `json:"binding"`
}

// runReported runs job as runJob does and then writes the report to path.
// A report that cannot be written turns a successful run's exit code into
// 1, with a notice: the caller asked for it.
func runReported(job *launcher.Job, path string, stdin io.Reader, stdout, stderr io.Writer) int {
	n := job.N
	if n == 0 && job.Mapping != nil {
		n = job.Mapping.Size()
	}
	if n == 0 {
		n = 1
	}
	job.Span = launcher.NewSpan(n)
	start := time.Now()
	code := runJob(job, stdin, stdout, stderr)
	wall := time.Since(start)
	r := runReport{WallS: wall.Seconds(), SpanReport: job.Span.Report(), ExitCode: code, Ranks: n,
		Binding: string(job.BindTo)}
	if r.Binding == "" {
		r.Binding = string(launcher.BindAuto)
	}
	if m := job.Mapping; m != nil {
		r.Hosts, r.RankHost = m.Hosts, m.Node
	} else {
		h, _ := os.Hostname()
		r.Hosts, r.RankHost = []string{h}, make([]int, n)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun: --report: %v\n", err)
		if code == 0 {
			return 1
		}
	}
	return code
}
