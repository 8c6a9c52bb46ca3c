package profile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spmd-go/spmd/internal/profdata"
)

// The files the assembler writes into the profile and trace directories.
const (
	ProfileJSON = "profile.json"
	ProfileText = "profile.txt"
	MatrixPNG   = "matrix.png"
	TraceFile   = "trace.json.gz"
)

// WriteProfile writes profile.json, profile.txt and matrix.png into dir
// from the ranks' data (nil for ranks that did not report) and returns
// the profile. It writes every file it can and returns the first error.
func WriteProfile(dir string, data []*profdata.RankData) (*Profile, error) {
	p := Build(data)
	var first error
	for _, out := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{ProfileJSON, p.WriteJSON},
		{ProfileText, p.WriteText},
		{MatrixPNG, p.WriteMatrixPNG},
	} {
		err := writeFileAtomic(filepath.Join(dir, out.name), func(f *os.File) error { return out.write(f) })
		if err != nil && first == nil {
			first = fmt.Errorf("profile: %w", err)
		}
	}
	return p, first
}

// WriteTraceFile writes trace.json.gz into dir (see WriteTrace).
func WriteTraceFile(dir string, data []*profdata.RankData) (TraceInfo, error) {
	var info TraceInfo
	err := writeFileAtomic(filepath.Join(dir, TraceFile), func(f *os.File) error {
		var err error
		info, err = WriteTrace(f, data)
		return err
	})
	if err != nil {
		return info, fmt.Errorf("trace: %w", err)
	}
	return info, nil
}

// Summary writes what spmdrun prints when a profiled or traced job ends:
// the text profile (p may be nil when only tracing) and, for a trace
// (info nil when not tracing), where it is and what it lacks. clockNote,
// if not empty, is a line saying how clocks were handled (for a merge of
// rank files, which has no clock measurements).
func Summary(w io.Writer, p *Profile, profileDir string, info *TraceInfo, traceDir string, clockNote string) {
	if p != nil {
		var b bytes.Buffer
		p.WriteText(&b) // a bytes.Buffer does not fail
		w.Write(b.Bytes())
		fmt.Fprintf(w, "\nprofile: %s, %s, %s\n", filepath.Join(profileDir, ProfileJSON),
			filepath.Join(profileDir, ProfileText), filepath.Join(profileDir, MatrixPNG))
	}
	if info == nil {
		return
	}
	fmt.Fprintf(w, "trace: %s: %d slices from %d ranks, %d message arrows\n",
		filepath.Join(traceDir, TraceFile), info.Slices, info.Ranks, len(info.Flows))
	if len(info.Missing) > 0 && p == nil {
		fmt.Fprintf(w, "trace: no data from ranks %s\n", RankList(info.Missing))
	}
	if info.Partial != "" && p == nil {
		fmt.Fprintf(w, "trace: partial: %s: the trace of %s ends there, without the calls then under way\n",
			info.Partial, rankWord(info.PartialRanks))
	}
	for _, r := range sortedKeys(info.Dropped) {
		fmt.Fprintf(w, "trace: rank %d's buffer filled: its last %d events are not in the trace (raise --trace-limit)\n", r, info.Dropped[r])
	}
	if n := info.UnmatchedSends + info.UnmatchedRecvs; n > 0 {
		fmt.Fprintf(w, "trace: %d sends and %d receives have no partner in the trace (dropped or not reported), so no arrow\n",
			info.UnmatchedSends, info.UnmatchedRecvs)
	}
	switch {
	case info.Unfixable:
		fmt.Fprintf(w, "trace: the ranks' clocks could not be reconciled with their messages: some arrows point back in time\n")
	case len(info.BeyondUncertainty) > 0:
		fmt.Fprintf(w, "trace: ranks %s were shifted beyond their clocks' measured uncertainty to keep receives after sends\n",
			RankList(info.BeyondUncertainty))
	}
	if clockNote != "" {
		fmt.Fprintf(w, "trace: %s\n", clockNote)
	}
}
