package profile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPrepareDir(t *testing.T) {
	base := t.TempDir()
	fileInTheWay := filepath.Join(base, "file")
	if err := os.WriteFile(fileInTheWay, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(base, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Root writes through permission bits; /proc refuses new files.
		readOnly = "/proc/1"
	}
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"new", filepath.Join(base, "a", "b"), ""},
		{"existing", base, ""},
		{"file in the way", fileInTheWay, "cannot create " + fileInTheWay + ": not a directory"},
		{"under a file", filepath.Join(fileInTheWay, "sub"), "cannot create " + filepath.Join(fileInTheWay, "sub") + ": not a directory"},
		{"read-only", readOnly, "cannot write to " + readOnly},
		{"empty", "", "empty directory name"},
	} {
		err := PrepareDir(tc.dir, 0)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: error of several lines: %q", tc.name, err)
		}
	}
	if entries, _ := os.ReadDir(base); len(entries) != 3 {
		t.Errorf("probe files left behind: %v", entries)
	}
}

func TestCheckSpace(t *testing.T) {
	for _, tc := range []struct {
		avail, need uint64
		ok          bool
	}{
		{10 << 20, 0, true},
		{MinFreeBytes - 1, 0, false}, // a full disk, whatever the need
		{5 << 20, 4 << 20, true},
		{3 << 20, 4 << 20, false},
	} {
		err := checkSpace("d", tc.avail, tc.need)
		if (err == nil) != tc.ok {
			t.Errorf("avail %d need %d: %v", tc.avail, tc.need, err)
		}
		if err != nil && (!errors.Is(err, unix.ENOSPC) || !strings.HasPrefix(err.Error(), "d has ")) {
			t.Errorf("error %v", err)
		}
	}
}

func TestWriteOutputsWithMissingRank(t *testing.T) {
	dir := t.TempDir()
	data := pingJob([]skewedClock{{}, {Skew: 3 * sec}, {Skew: -2 * sec}}, 0)
	data[1] = nil
	p, err := WriteProfile(dir, data)
	if err != nil {
		t.Fatal(err)
	}
	info, err := WriteTraceFile(dir, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ProfileJSON, ProfileText, MatrixPNG, TraceFile} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	js, _ := os.ReadFile(filepath.Join(dir, ProfileJSON))
	if !strings.Contains(string(js), "\"missing_ranks\": [\n  1\n ]") {
		t.Errorf("profile.json does not name rank 1 missing:\n%s", js)
	}
	var b bytes.Buffer
	Summary(&b, p, dir, &info, dir, "")
	for _, want := range []string{"no data from 1 (1 of 3)", "message arrows", "have no partner"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
