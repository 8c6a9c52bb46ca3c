package compare

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// FileName is the name of one round's raw output in a results directory:
// IMPL-BENCH-rROUND.txt (for example spmd-latency-r2.txt).
func FileName(impl, bench string, round int) string {
	return fmt.Sprintf("%s-%s-r%d.txt", impl, bench, round)
}

// LoadDir reads every round of bench for each of impls from dir, named as
// FileName says. An implementation with no files has no values; a file that
// does not parse is an error.
func LoadDir(dir, bench string, impls []string) (*Runs, error) {
	runs := &Runs{}
	for _, impl := range impls {
		files, err := filepath.Glob(filepath.Join(dir, impl+"-"+bench+"-r*.txt"))
		if err != nil {
			return nil, fmt.Errorf("list %s results: %w", impl, err)
		}
		sort.Strings(files)
		for _, name := range files {
			pts, err := parseFile(name)
			if err != nil {
				return nil, err
			}
			runs.Add(impl, pts)
		}
	}
	return runs, nil
}

func parseFile(name string) ([]Point, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open result: %w", err)
	}
	defer f.Close()
	pts, err := ParseTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pts, nil
}
