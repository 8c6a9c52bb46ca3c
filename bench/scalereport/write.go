package scalereport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spmd-go/spmd/bench/sweep"
)

// The files Write makes in a study's directory, besides the plots
// (NAME.png and NAME.svg for each).
const (
	SummaryFile  = "summary.json"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
)

// Load reads a study's directory and summarises it.
func Load(dir string) (*Summary, error) {
	s, _, err := load(dir)
	return s, err
}

func load(dir string) (*Summary, []sweep.Record, error) {
	st, err := sweep.LoadStudy(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("study %s: %w", dir, err)
	}
	recs, err := sweep.LoadRecords(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("study %s: %w", dir, err)
	}
	return Summarize(st, recs), recs, nil
}

// Write analyses the study in dir and writes summary.json, report.md,
// report.html and the plots there, and runs.csv again from runs.jsonl (a
// study that was killed outright has no runs.csv yet). It can be run again
// at any time, on a finished or interrupted study, without rerunning
// anything.
func Write(dir string) (*Summary, error) {
	s, recs, err := load(dir)
	if err != nil {
		return nil, err
	}
	var csv bytes.Buffer
	if err := sweep.WriteCSV(&csv, recs); err != nil {
		return s, err
	}
	plots, err := Plots(s)
	if err != nil {
		return s, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, err
	}
	files := map[string][]byte{SummaryFile: append(b, '\n')}
	var md, html bytes.Buffer
	if err := WriteMarkdown(&md, s, plots); err != nil {
		return s, err
	}
	if err := WriteHTML(&html, s, plots); err != nil {
		return s, err
	}
	files[MarkdownFile], files[HTMLFile], files[sweep.RunsCSV] = md.Bytes(), html.Bytes(), csv.Bytes()
	for _, p := range plots {
		files[p.Name+".png"], files[p.Name+".svg"] = p.PNG, p.SVG
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return s, err
		}
	}
	return s, nil
}
