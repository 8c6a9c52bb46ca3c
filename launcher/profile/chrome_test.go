package profile

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func TestWriteTraceAlignsSkewedRanks(t *testing.T) {
	// Rank 1's clock is 3 s ahead and drifts, rank 2's 2 s behind.
	data := pingJob([]skewedClock{{}, {Skew: 3 * sec, DriftPerSec: 10_000}, {Skew: -2 * sec}}, 3_000)
	data[2].Host = "far"
	data[1].TraceDropped, data[1].TraceLimit = 12, 34
	data[0].Trace = append(data[0].Trace,
		profdataEvent("solve", true, clockAt(data, 0, 0), clockAt(data, 0, sec)))
	var b bytes.Buffer
	info, err := WriteTrace(&b, data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Ranks != 3 || len(info.Flows) != 100 || info.UnmatchedSends+info.UnmatchedRecvs != 0 || info.Dropped[1] != 12 {
		t.Fatalf("info %+v", info)
	}
	if dir := os.Getenv("PROFILE_TEST_OUT"); dir != "" {
		os.WriteFile(filepath.Join(dir, "trace.json.gz"), b.Bytes(), 0o644)
	}
	c, err := CheckTrace(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Pids, []int{0, 1, 2}) || c.Flows != 100 || len(c.Problems) != 0 {
		t.Fatalf("check: pids %v, %d flows, problems %v", c.Pids, c.Flows, c.Problems)
	}
	if c.Slices != 201 {
		t.Errorf("%d slices, want 200 calls and a region", c.Slices)
	}
	text := gunzip(t, b.Bytes())
	for _, want := range []string{`"rank 2 (far)"`, `trace buffer full: 12 later events dropped`, `"name":"solve","cat":"region"`, `"peer":1,"tag":0,"bytes":0,"comm":0`} {
		if !strings.Contains(text, want) {
			t.Errorf("trace lacks %s", want)
		}
	}
}

func TestWriteTraceWithoutCorrectionFailsCheck(t *testing.T) {
	// The check must be able to fail: the same skewed job with its clock
	// samples removed and the fix-up unable to help (a contradiction in
	// both directions) shows arrows that go back in time.
	data := pingJob([]skewedClock{{}, {}}, 0)
	data[0].Trace = data[0].Trace[:0]
	data[1].Trace = data[1].Trace[:0]
	data[0].Trace = append(data[0].Trace,
		profdataEventMsg("Send", 100, 110, 1, 1, 0), profdataEventMsg("Recv", 10, 20, 1, 0, 1))
	data[1].Trace = append(data[1].Trace,
		profdataEventMsg("Recv", 10, 20, 0, 0, 1), profdataEventMsg("Send", 100, 110, 0, 1, 0))
	var b bytes.Buffer
	info, err := WriteTrace(&b, data)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Unfixable {
		t.Fatalf("info %+v", info)
	}
	c, err := CheckTrace(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) != 2 {
		t.Fatalf("problems %v, want both arrows", c.Problems)
	}
}

func TestWriteTraceNamesMissingRanks(t *testing.T) {
	data := pingJob([]skewedClock{{}, {}, {}}, 0)
	data[1] = nil
	var b bytes.Buffer
	info, err := WriteTrace(&b, data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Missing, []int{1}) {
		t.Fatalf("missing %v", info.Missing)
	}
	if text := gunzip(t, b.Bytes()); !strings.Contains(text, "no data from ranks 1") {
		t.Error("trace does not name the missing rank")
	}
}

func TestCheckTraceRejectsGarbage(t *testing.T) {
	if _, err := CheckTrace(strings.NewReader("not gzip")); err == nil {
		t.Error("not gzip accepted")
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(`{"traceEvents":[`))
	zw.Close()
	if _, err := CheckTrace(&b); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestWriteTraceMarksPartialRanks: a rank whose data stops short of
// Finalize gets an instant event saying why, and the summary says it
// when there is no profile to say it.
func TestWriteTraceMarksPartialRanks(t *testing.T) {
	data := pingJob([]skewedClock{{}, {}, {}}, 0)
	data[2].Partial = "stopped by --timeout after 3s"
	var b bytes.Buffer
	info, err := WriteTrace(&b, data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Partial != "stopped by --timeout after 3s" || !slices.Equal(info.PartialRanks, []int{2}) {
		t.Fatalf("partial %q of %v", info.Partial, info.PartialRanks)
	}
	if text := gunzip(t, b.Bytes()); !strings.Contains(text, `"stopped by --timeout after 3s: calls under way then are not in the trace","ph":"i","s":"p"`) {
		t.Error("trace does not mark the partial rank")
	}
	if _, err := CheckTrace(bytes.NewReader(b.Bytes())); err != nil {
		t.Error(err)
	}
	var sum bytes.Buffer
	Summary(&sum, nil, "", &info, "dir", "")
	if want := "trace: partial: stopped by --timeout after 3s: the trace of rank 2 ends there"; !strings.Contains(sum.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, sum.String())
	}
}
