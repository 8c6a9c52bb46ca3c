//go:build cgo

package h5_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// python returns a Python interpreter that has h5py, or skips the test.
// Debian's python3-h5py is installed for /usr/bin/python3, which need not
// be the python3 first on PATH.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import h5py, numpy").Run() == nil {
			return p
		}
	}
	t.Skip("h5py is not installed (Debian: apt-get install python3-h5py; make test installs it)")
	return ""
}

// runPython runs a Python program with args and returns its output,
// failing the test if it fails.
func runPython(t *testing.T, prog string, args ...string) string {
	t.Helper()
	py := python(t)
	out, err := exec.Command(py, append([]string{"-c", prog}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

// h5dump runs h5dump with args, or skips the test when it is missing.
func h5dump(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("h5dump"); err != nil {
		t.Skip("h5dump is not installed (Debian: apt-get install hdf5-tools)")
	}
	out, err := exec.Command("h5dump", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dirEntries lists a directory's names.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// tile2x2 is rank r's block of a 40×30 array over a 2×2 grid of ranks,
// cut unevenly so no block has the shape of another.
func tile2x2(r int) (start, count []int) {
	rows := [][2]int{{0, 17}, {17, 40}}
	cols := [][2]int{{0, 11}, {11, 30}}
	ri, ci := rows[r/2], cols[r%2]
	return []int{ri[0], ci[0]}, []int{ri[1] - ri[0], ci[1] - ci[0]}
}

// fill returns the block's elements of the array a[i][j] = 1000·i + j.
func fill(start, count []int) []float64 {
	v := make([]float64, 0, count[0]*count[1])
	for i := start[0]; i < start[0]+count[0]; i++ {
		for j := start[1]; j < start[1]+count[1]; j++ {
			v = append(v, float64(1000*i+j))
		}
	}
	return v
}

func tempFile(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}
