package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spmd-go/spmd/bench/scalestat"
	"github.com/spmd-go/spmd/launcher/sched"
)

// StudyFile is the file, in a study's directory, that describes it.
const StudyFile = "study.json"

// Study is what study.json holds: the configuration as run, the points'
// placements, and the provenance. Fields are only ever added.
type Study struct {
	Program         string            `json:"program"`
	Args            []string          `json:"args"`
	NP              []int             `json:"np"`
	Mode            Mode              `json:"mode"`
	Repeat          int               `json:"repeat"`
	Warmup          int               `json:"warmup"`
	CITarget        float64           `json:"ci_target,omitempty"`
	MaxRepeat       int               `json:"max_repeat,omitempty"`
	SerialReference bool              `json:"serial_reference,omitempty"`
	Metrics         []MetricSpec      `json:"metrics,omitempty"`
	Seed            uint64            `json:"seed"`
	Fill            Fill              `json:"fill"`
	Launcher        string            `json:"launcher,omitempty"`
	SpmdrunArgs     []string          `json:"spmdrun_args,omitempty"`
	RunTimeoutS     float64           `json:"run_timeout_s,omitempty"`
	Placements      map[int]Placement `json:"placements"`
	Provenance      Provenance        `json:"provenance"`
	Started         time.Time         `json:"started"`
	Finished        time.Time         `json:"finished,omitzero"`
	Interrupted     bool              `json:"interrupted,omitempty"`
	Runs            int               `json:"runs"`
}

// MetricSpec is a metric as study.json records it.
type MetricSpec struct {
	Name           string `json:"name"`
	Regexp         string `json:"regexp"`
	HigherIsBetter bool   `json:"higher_is_better"`
}

// LoadStudy reads dir/study.json.
func LoadStudy(dir string) (*Study, error) {
	b, err := os.ReadFile(filepath.Join(dir, StudyFile))
	if err != nil {
		return nil, err
	}
	var s Study
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StudyFile), err)
	}
	return &s, nil
}

// Options are what a study needs besides its Config.
type Options struct {
	// Progress, if not nil, receives a progress line, rewritten in place
	// with carriage returns (give it a terminal).
	Progress io.Writer
	// LookupEnv reads the environment for the batch system (os.LookupEnv
	// when nil).
	LookupEnv func(string) (string, bool)
	// CPUs is this host's CPU count for oversubscription without an
	// allocation (runtime.NumCPU when zero).
	CPUs int
}

// Validate checks c as Run would, before anything runs: the
// configuration, the placeholders in the arguments and launcher, and that
// the program and spmdrun can be found.
func Validate(c Config) error {
	_, _, _, err := prepare(c)
	return err
}

func prepare(c Config) (Config, []*Template, []*Template, error) {
	c, err := c.withDefaults()
	if err != nil {
		return c, nil, nil, err
	}
	args, err := Templates(c.Args)
	if err != nil {
		return c, nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var launcher []*Template
	if c.Launcher != "" {
		if launcher, err = Templates(strings.Fields(c.Launcher)); err != nil {
			return c, nil, nil, fmt.Errorf("%w: --launcher: %w", ErrConfig, err)
		}
		if _, err := exec.LookPath(strings.Fields(c.Launcher)[0]); err != nil {
			return c, nil, nil, fmt.Errorf("%w: --launcher: %w", ErrConfig, err)
		}
	} else if c.Spmdrun, err = exec.LookPath(c.Spmdrun); err != nil {
		return c, nil, nil, fmt.Errorf("%w: spmdrun: %w (put it on PATH or give --spmdrun)", ErrConfig, err)
	}
	path, err := exec.LookPath(c.Program)
	if err != nil {
		return c, nil, nil, fmt.Errorf("%w: program: %w", ErrConfig, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	c.Program = path
	// Every expression must evaluate at every point, not only parse.
	for _, p := range c.NP {
		if _, err := ExpandAll(args, Vars{P: p, Nodes: 1, PPN: p}); err != nil {
			return c, nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return c, args, launcher, nil
}

// Run runs the study c describes and writes its records, as each run
// ends, to c.Out/runs.jsonl (then runs.csv and study.json). A failed run
// is recorded and the study goes on. When ctx ends, the run in progress
// is stopped and dropped, the files are written with every finished run,
// and Run returns the records with ctx's error. c.Out must not already
// hold a study.
func Run(ctx context.Context, c Config, o Options) ([]Record, error) {
	c, args, launcher, err := prepare(c)
	if err != nil {
		return nil, err
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.CPUs == 0 {
		o.CPUs = runtime.NumCPU()
	}
	det, err := sched.Detect(o.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("batch system: %w", err)
	}
	var alloc *sched.Allocation
	if det.Scheduler == sched.PBS || det.Scheduler == sched.Slurm {
		alloc = det.Allocation
	}
	if c.Launcher != "" || placesItself(c.SpmdrunArgs) {
		alloc = nil // the user places the ranks
	}
	if _, err := os.Stat(filepath.Join(c.Out, RunsJSONL)); err == nil {
		return nil, fmt.Errorf("%w: %s already holds a study (choose another --out)", ErrConfig, c.Out)
	}
	logDir := filepath.Join(c.Out, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	st := newStudy(c, launcher != nil, det, o.LookupEnv)
	for _, p := range c.NP {
		st.Placements[p] = Place(p, alloc, c.Fill, o.CPUs)
	}
	if err := st.write(c.Out); err != nil {
		return nil, err
	}
	jf, err := os.OpenFile(filepath.Join(c.Out, RunsJSONL), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer jf.Close()

	r := &runner{cfg: c, args: args, launcher: launcher, logDir: logDir,
		env: func(pl Placement, p int) ([]string, error) {
			if det.Scheduler == sched.Condor || (alloc == nil && det.Scheduler != sched.NoScheduler && !placesItself(c.SpmdrunArgs)) {
				return []string{"SPMD_SCHEDULER=none"}, nil // node 0's slots only
			}
			if alloc == nil {
				return nil, nil
			}
			return allocationEnv(det.Scheduler, pl, p, logDir)
		}}
	var recs []Record
	queue := Plan(c, rng)
	total := len(queue)
	start := time.Now()
	var runErr error
	for order := 0; ; order++ {
		if len(queue) == 0 {
			queue = c.moreRounds(recs, rng)
			total += len(queue)
			if len(queue) == 0 {
				break
			}
		}
		it := queue[0]
		queue = queue[1:]
		progress(o.Progress, order, total, it, start)
		rec, ok := r.run(ctx, it, order, st.Placements[it.P])
		if !ok {
			runErr = ctx.Err()
			break
		}
		if err := appendRecord(jf, &rec); err != nil {
			runErr = fmt.Errorf("%s: %w", RunsJSONL, err)
			break
		}
		recs = append(recs, rec)
	}
	if o.Progress != nil {
		fmt.Fprint(o.Progress, "\r\033[K")
	}
	st.Finished, st.Runs, st.Interrupted = time.Now().UTC(), len(recs), runErr != nil
	err = errors.Join(runErr, st.write(c.Out), writeCSVFile(c.Out, recs))
	return recs, err
}

// moreRounds returns a round of timed runs of the points whose interval
// is not yet within the CI target and that have fewer than MaxRepeat
// timed runs (good or not); none when there is no target or all are done.
func (c Config) moreRounds(recs []Record, rng *rand.Rand) []Item {
	if c.CITarget <= 0 {
		return nil
	}
	times := map[int][]float64{}
	count := map[int]int{}
	for _, r := range recs {
		if r.Kind != Timed {
			continue
		}
		count[r.P]++
		if r.OK() {
			times[r.P] = append(times[r.P], r.TimeS)
		}
	}
	var need []int
	for _, p := range c.NP {
		ci := scalestat.MedianCI(times[p], 0.95)
		if count[p] < c.MaxRepeat && !scalestat.WithinTarget(ci, scalestat.Median(times[p]), c.CITarget) {
			need = append(need, p)
		}
	}
	round := Rounds(need, Timed, 0, 1, rng)
	for i := range round {
		round[i].Repeat = count[round[i].P]
	}
	return round
}

func newStudy(c Config, foreign bool, det *sched.Detected, lookupEnv func(string) (string, bool)) *Study {
	st := &Study{Program: c.Program, Args: c.Args, NP: c.NP, Mode: c.Mode, Repeat: c.Repeat, Warmup: c.Warmup,
		CITarget: c.CITarget, SerialReference: c.Mode == Weak && c.SerialReference, Seed: c.Seed, Fill: c.Fill,
		Launcher: c.Launcher, SpmdrunArgs: c.SpmdrunArgs, RunTimeoutS: c.RunTimeout.Seconds(),
		Placements: map[int]Placement{}, Started: time.Now().UTC()}
	if c.CITarget > 0 {
		st.MaxRepeat = c.MaxRepeat
	}
	for _, m := range c.Metrics {
		st.Metrics = append(st.Metrics, MetricSpec{Name: m.Name, Regexp: m.Regexp.String(), HigherIsBetter: m.HigherIsBetter})
	}
	spmdrun := c.Spmdrun
	if foreign {
		spmdrun = ""
	}
	st.Provenance = collectProvenance(c.Program, spmdrun, det, lookupEnv)
	return st
}

func (st *Study) write(dir string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, StudyFile), append(b, '\n'))
}

func writeCSVFile(dir string, recs []Record) error {
	f, err := os.Create(filepath.Join(dir, RunsCSV))
	if err != nil {
		return err
	}
	if err := WriteCSV(f, recs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFileAtomic writes through a temporary file and a rename, so a
// reader never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// progress writes the progress line: run i of n, the current point,
// elapsed and estimated remaining time.
func progress(w io.Writer, i, n int, it Item, start time.Time) {
	if w == nil {
		return
	}
	el := time.Since(start)
	left := "?"
	if i > 0 {
		left = (el / time.Duration(i) * time.Duration(n-i)).Round(time.Second).String()
	}
	what := ""
	if it.Kind != Timed {
		what = " " + string(it.Kind)
	}
	fmt.Fprintf(w, "\r\033[Krun %d/%d: p=%d%s repeat %d, %s elapsed, about %s left", i+1, n, it.P, what, it.Repeat+1,
		el.Round(time.Second), left)
}
