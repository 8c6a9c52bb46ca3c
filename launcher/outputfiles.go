package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// rankFiles are the files one rank's output goes to with Job.OutputDir.
type rankFiles struct {
	stdout, stderr *os.File
}

// OutputPath returns the file that receives rank's stream ("stdout" or
// "stderr") under dir: dir/rank.N/stdout, the layout of Open MPI's
// --output-filename without its job-number level (a directory per rank, so
// that a rank's two streams sit together and ls lists the ranks).
func OutputPath(dir string, rank int, stream string) string {
	return filepath.Join(dir, "rank."+strconv.Itoa(rank), stream)
}

// openOutputFiles creates dir/rank.N/{stdout,stderr} for every rank,
// truncating files of an earlier run, before any rank starts: a directory
// that cannot be written fails the job without running it.
func openOutputFiles(dir string, n int) ([]rankFiles, error) {
	files := make([]rankFiles, 0, n)
	fail := func(err error) ([]rankFiles, error) {
		closeOutputFiles(files)
		return nil, fmt.Errorf("output directory: %w", err)
	}
	for rank := range n {
		if err := os.MkdirAll(filepath.Dir(OutputPath(dir, rank, "stdout")), 0o755); err != nil {
			return fail(err)
		}
		var f rankFiles
		var err error
		if f.stdout, err = os.Create(OutputPath(dir, rank, "stdout")); err != nil {
			return fail(err)
		}
		if f.stderr, err = os.Create(OutputPath(dir, rank, "stderr")); err != nil {
			_ = f.stdout.Close()
			return fail(err)
		}
		files = append(files, f)
	}
	return files, nil
}

// closeOutputFiles closes the files; those already closed by the
// forwarding goroutines report an error that does not matter.
func closeOutputFiles(files []rankFiles) {
	for _, f := range files {
		_ = f.stdout.Close()
		_ = f.stderr.Close()
	}
}
