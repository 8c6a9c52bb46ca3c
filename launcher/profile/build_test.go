package profile

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spmd-go/spmd/internal/profdata"
)

// ringData is a 4-rank job's data: each rank sends 10 messages of 1 KiB
// to the next, makes 5 Allreduce of 8 bytes, and spends rank+1 seconds of
// its 10 in spmd; rank 2 is missing when lost is true.
func ringData(lost bool) []*profdata.RankData {
	const n = 4
	data := make([]*profdata.RankData, n)
	for r := range n {
		d := &profdata.RankData{
			Rank: r, Size: n, Host: "node" + string(rune('a'+r%2)), InitNs: 0, FinalizeNs: 10 * sec,
			SpmdNs: int64(r+1) * sec, SentBytes: make([]uint64, n), SentMsgs: make([]uint64, n),
			Ops: map[string]*profdata.OpStats{
				"Send":      {Calls: 10, Ns: sec / 2, MaxNs: sec / 10, Bytes: 10 << 10},
				"Allreduce": {Calls: 5, Ns: int64(r) * sec / 4, MaxNs: sec / 8, Bytes: 40},
			},
			Regions: map[string]*profdata.RegionStats{"solve": {Calls: 1, Ns: 8 * sec, SpmdNs: sec}},
		}
		d.Ops["Send"].Hist[bucketOf(1024)] = 10
		d.Ops["Allreduce"].Hist[bucketOf(8)] = 5
		d.SentBytes[(r+1)%n] = 10 << 10
		d.SentMsgs[(r+1)%n] = 10
		data[r] = d
	}
	if lost {
		data[2] = nil
	}
	data[1].TraceDropped = 7
	return data
}

func TestBuildProfileJSON(t *testing.T) {
	p := Build(ringData(true))
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	// Read back as a user would, without this package's types.
	var got struct {
		Ranks []struct {
			Rank  int
			Host  string
			AppS  float64 `json:"app_s"`
			SpmdS float64 `json:"spmd_s"`
			Ops   map[string]struct {
				Calls   uint64
				Seconds float64
				Bytes   uint64
				MaxS    float64 `json:"max_s"`
			}
			Regions map[string]struct{ Calls uint64 }
		}
		Matrix struct {
			Bytes, Messages [][]uint64
		}
		MissingRanks []int          `json:"missing_ranks"`
		TraceDropped map[string]int `json:"trace_dropped"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Ranks) != 3 || got.Ranks[2].Rank != 3 || len(got.MissingRanks) != 1 || got.MissingRanks[0] != 2 {
		t.Fatalf("ranks %+v, missing %v", got.Ranks, got.MissingRanks)
	}
	r1 := got.Ranks[1]
	if r1.Host != "nodeb" || r1.AppS != 10 || r1.Ops["Send"].Calls != 10 || r1.Ops["Send"].Bytes != 10<<10 ||
		r1.Ops["Allreduce"].MaxS != 0.125 || r1.Regions["solve"].Calls != 1 {
		t.Errorf("rank 1: %+v", r1)
	}
	if got.Matrix.Messages[3][0] != 10 || got.Matrix.Bytes[0][1] != 10<<10 || got.Matrix.Messages[2][3] != 0 {
		t.Errorf("matrix %v", got.Matrix)
	}
	if got.TraceDropped["1"] != 7 {
		t.Errorf("trace_dropped %v", got.TraceDropped)
	}
	if !strings.Contains(b.String(), `"spmd_s":2,`) {
		t.Errorf("spmd_s of rank 1 not 2 s:\n%s", b.String())
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := Build(ringData(true)).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"4 ranks on 2 hosts; no data from 2 (1 of 4)",
		"trace of rank 1 is incomplete: 7 events",
		// spmd shares 10%, 20%, 40% of 10 s for ranks 0, 1, 3.
		"min 10.0% (rank 0)  mean 23.3%  max 40.0% (rank 3)",
		"Send", "Allreduce", "1-2 KiB: 30", "8-15 B: 15",
		"solve",
		"messages sent (row: from, column: to)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Allreduce's time per rank is 0, 0.25, 0.75 s: imbalanced; Send's is even.
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		if f[0] == "Send" && f[len(f)-1] != "0.00" {
			t.Errorf("Send's CV: %q", line)
		}
		if f[0] == "Allreduce" && f[len(f)-1] == "0.00" {
			t.Errorf("Allreduce's CV: %q", line)
		}
	}
	if testing.Verbose() {
		t.Log("\n" + out)
	}
}

func TestWriteMatrixPNG(t *testing.T) {
	var b bytes.Buffer
	if err := Build(ringData(false)).WriteMatrixPNG(&b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 100 {
		t.Fatalf("image %v", img.Bounds())
	}
	if dir := os.Getenv("PROFILE_TEST_OUT"); dir != "" {
		os.WriteFile(filepath.Join(dir, "matrix.png"), b.Bytes(), 0o644)
	}
	// A job with no traffic still gets a (blank) map.
	empty := Build([]*profdata.RankData{{Rank: 0, Size: 1, SentBytes: []uint64{0}, SentMsgs: []uint64{0}}})
	if err := empty.WriteMatrixPNG(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteTextWithoutData(t *testing.T) {
	var b bytes.Buffer
	if err := Build(make([]*profdata.RankData, 3)).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := "spmd profile: no data from any of the 3 ranks"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("report %q, want it to start %q", b.String(), want)
	}
}

// TestPartialProfile: data that ranks handed over when the job was
// stopped early is marked so in profile.json (the profile and each such
// rank) and in the text report.
func TestPartialProfile(t *testing.T) {
	data := ringData(true)
	for _, r := range []int{0, 3} {
		data[r].Partial = "stopped by --timeout after 3s"
	}
	p := Build(data)
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Partial string
		Ranks   []struct {
			Rank    int
			Partial bool
		}
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Partial != "stopped by --timeout after 3s" {
		t.Errorf("partial %q", got.Partial)
	}
	for _, rp := range got.Ranks {
		if rp.Partial != (rp.Rank == 0 || rp.Rank == 3) {
			t.Errorf("rank %d: partial %v", rp.Rank, rp.Partial)
		}
	}
	b.Reset()
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"no data from 2 (1 of 4)",
		"partial: stopped by --timeout after 3s: the data of ranks 0,3 ends there, without the calls then under way",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if b.Reset(); Build(ringData(false)).WriteText(&b) != nil || strings.Contains(b.String(), "partial") {
		t.Errorf("a whole profile called partial:\n%s", b.String())
	}
}
