package sweep

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Record is one finished run, as runs.jsonl and runs.csv hold it.
type Record struct {
	P      int  `json:"p"`
	Kind   Kind `json:"kind"`
	Repeat int  `json:"repeat"`
	// Order is the run's position in the study (from 0).
	Order int `json:"order"`
	Nodes int `json:"nodes"`
	PPN   int `json:"ppn"`
	// Ranks is the number of ranks the run had: P, or 1 for a reference.
	Ranks          int       `json:"ranks"`
	Oversubscribed bool      `json:"oversubscribed"`
	Start          time.Time `json:"start"`
	// WallS is the job's wall time; AppS the program's own span (nil when
	// it could not be measured). TimeS is the time the study analyses:
	// AppS, else WallS, as TimeSource says ("app" or "wall").
	WallS      float64            `json:"wall_s"`
	AppS       *float64           `json:"app_s"`
	TimeS      float64            `json:"time_s"`
	TimeSource string             `json:"time_source"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	ExitCode   int                `json:"exit_code"`
	TimedOut   bool               `json:"timed_out,omitempty"`
	// Error says why a run failed, in one line; empty when it succeeded.
	Error string   `json:"error,omitempty"`
	Hosts []string `json:"hosts,omitempty"`
	// RankHost[r] indexes Hosts for rank r, when spmdrun reported it.
	RankHost []int    `json:"rank_host,omitempty"`
	Binding  string   `json:"binding,omitempty"`
	Args     []string `json:"args"`
	Log      string   `json:"log"`
}

// OK reports whether the run succeeded and can be analysed.
func (r *Record) OK() bool { return r.ExitCode == 0 && r.Error == "" }

// Files names the study's files in its output directory.
const (
	RunsJSONL = "runs.jsonl"
	RunsCSV   = "runs.csv"
)

// appendRecord appends r to w as one JSON line.
func appendRecord(w io.Writer, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// LoadRecords reads dir/runs.jsonl. A last line cut short (a study killed
// while writing it) is skipped; any other bad line is an error naming it.
func LoadRecords(dir string) ([]Record, error) {
	path := filepath.Join(dir, RunsJSONL)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var bad error
	for line := 1; sc.Scan(); line++ {
		if bad != nil {
			return nil, bad // the bad line was not the last
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad = fmt.Errorf("%s:%d: %w", path, line, err)
			continue
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// WriteCSV writes the records as CSV with a header row; metric columns
// follow the fixed ones, named "metric:NAME", sorted.
func WriteCSV(w io.Writer, recs []Record) error {
	var metrics []string
	for _, r := range recs {
		for k := range r.Metrics {
			if !slices.Contains(metrics, k) {
				metrics = append(metrics, k)
			}
		}
	}
	slices.Sort(metrics)
	cw := csv.NewWriter(w)
	head := []string{"order", "kind", "p", "repeat", "nodes", "ppn", "ranks", "oversubscribed", "start",
		"wall_s", "app_s", "time_s", "time_source", "exit_code", "timed_out", "error"}
	for _, m := range metrics {
		head = append(head, "metric:"+m)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 9, 64) }
	for _, r := range recs {
		app := ""
		if r.AppS != nil {
			app = f(*r.AppS)
		}
		row := []string{strconv.Itoa(r.Order), string(r.Kind), strconv.Itoa(r.P), strconv.Itoa(r.Repeat),
			strconv.Itoa(r.Nodes), strconv.Itoa(r.PPN), strconv.Itoa(r.Ranks), strconv.FormatBool(r.Oversubscribed),
			r.Start.UTC().Format(time.RFC3339Nano), f(r.WallS), app, f(r.TimeS), r.TimeSource,
			strconv.Itoa(r.ExitCode), strconv.FormatBool(r.TimedOut), r.Error}
		for _, m := range metrics {
			v, ok := r.Metrics[m]
			cell := ""
			if ok {
				cell = f(v)
			}
			row = append(row, cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
