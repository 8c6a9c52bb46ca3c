package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ExitTimedOut is the exit code recorded for a run ended by RunTimeout,
// as spmdrun's own --timeout exits.
const ExitTimedOut = 124

// stopWait bounds how long a run that was asked to stop (SIGTERM to
// spmdrun, which ends its ranks) may take before it is killed.
const stopWait = 10 * time.Second

// spmdrunReport is the part of spmdrun --report's file a study reads.
type spmdrunReport struct {
	WallS    float64  `json:"wall_s"`
	AppS     *float64 `json:"app_s"`
	Hosts    []string `json:"hosts"`
	RankHost []int    `json:"rank_host"`
	Binding  string   `json:"binding"`
}

// runner runs the items of one study.
type runner struct {
	cfg      Config
	args     []*Template
	launcher []*Template // fields of Config.Launcher
	env      func(pl Placement, p int) ([]string, error)
	logDir   string
}

// command returns the command line of a run with ranks ranks, and the
// report file spmdrun is to write ("" with a Launcher).
func (r *runner) command(args []string, ranks int, v Vars, report string) ([]string, error) {
	if r.launcher != nil {
		lv := v
		lv.P = ranks
		l, err := ExpandAll(r.launcher, lv)
		if err != nil {
			return nil, err
		}
		return append(append(l, r.cfg.Program), args...), nil
	}
	cmd := []string{r.cfg.Spmdrun, "-n", strconv.Itoa(ranks), "--report", report}
	cmd = append(cmd, r.cfg.SpmdrunArgs...)
	cmd = append(cmd, "--", r.cfg.Program)
	return append(cmd, args...), nil
}

// run runs one item placed by pl and returns its record. It returns
// ok=false when ctx ended during the run: an interrupted run is no
// measurement and is not recorded.
func (r *runner) run(ctx context.Context, it Item, order int, pl Placement) (rec Record, ok bool) {
	ranks := it.P
	if it.Kind == Reference {
		ranks = 1
	}
	rec = Record{P: it.P, Kind: it.Kind, Repeat: it.Repeat, Order: order, Nodes: pl.Nodes, PPN: pl.PPN,
		Ranks: ranks, Oversubscribed: pl.Oversubscribed, Start: time.Now().UTC(), TimeSource: "wall"}
	if it.Kind == Reference {
		rec.Nodes, rec.PPN, rec.Oversubscribed = 1, 1, false
	}
	fail := func(code int, format string, a ...any) (Record, bool) {
		rec.ExitCode, rec.Error = code, fmt.Sprintf(format, a...)
		return rec, true
	}
	v := Vars{P: it.P, Nodes: pl.Nodes, PPN: pl.PPN}
	args, err := ExpandAll(r.args, v)
	if err != nil {
		return fail(-1, "%v", err)
	}
	rec.Args = args
	base := fmt.Sprintf("%04d-%s-p%d", order, it.Kind, it.P)
	report := filepath.Join(r.logDir, base+".report.json")
	argv, err := r.command(args, ranks, v, report)
	if err != nil {
		return fail(-1, "%v", err)
	}
	envPl := pl
	if it.Kind == Reference {
		envPl = Place(1, nil, r.cfg.Fill, 1)
	}
	extra, err := r.env(envPl, ranks)
	if err != nil {
		return fail(-1, "%v", err)
	}
	rec.Log = filepath.Join("logs", base+".log")
	logf, err := os.Create(filepath.Join(r.logDir, base+".log"))
	if err != nil {
		return fail(-1, "log: %v", err)
	}
	defer logf.Close()
	var out bytes.Buffer
	runCtx := ctx
	if r.cfg.RunTimeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, r.cfg.RunTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(runCtx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), extra...)
	cmd.Stdout = keepingTee(logf, &out)
	cmd.Stderr = cmd.Stdout
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopWait
	start := time.Now()
	err = cmd.Run()
	rec.WallS = time.Since(start).Seconds()
	if ctx.Err() != nil {
		return rec, false
	}
	var ee *exec.ExitError
	switch {
	case runCtx.Err() != nil:
		rec.TimedOut = true
		_, _ = fail(ExitTimedOut, "timed out after %v", r.cfg.RunTimeout)
	case errors.As(err, &ee):
		_, _ = fail(ee.ExitCode(), "exit code %d: %s", ee.ExitCode(), lastLine(out.Bytes()))
	case err != nil:
		_, _ = fail(-1, "cannot run: %v", err)
	}
	if b, err := os.ReadFile(report); err == nil {
		var rep spmdrunReport
		if json.Unmarshal(b, &rep) == nil {
			rec.WallS, rec.AppS = rep.WallS, rep.AppS
			rec.Hosts, rec.RankHost, rec.Binding = rep.Hosts, rep.RankHost, rep.Binding
		}
	}
	rec.TimeS = rec.WallS
	if rec.AppS != nil {
		rec.TimeS, rec.TimeSource = *rec.AppS, "app"
	}
	rec.Metrics = readMetrics(r.cfg.Metrics, out.Bytes())
	for _, m := range r.cfg.Metrics {
		if _, found := rec.Metrics[m.Name]; !found && rec.OK() {
			_, _ = fail(-1, "metric %s: no line of the output matches %q", m.Name, m.Regexp)
		}
	}
	return rec, true
}

// readMetrics takes each metric from the last matching line of out.
func readMetrics(ms []Metric, out []byte) map[string]float64 {
	if len(ms) == 0 {
		return nil
	}
	got := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		for _, m := range ms {
			sub := m.Regexp.FindStringSubmatch(line)
			if len(sub) < 2 {
				continue
			}
			if x, err := strconv.ParseFloat(strings.TrimSpace(sub[1]), 64); err == nil {
				got[m.Name] = x
			}
		}
	}
	return got
}

// lastLine returns the last non-empty line of out, shortened.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	s := strings.TrimSpace(lines[len(lines)-1])
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
