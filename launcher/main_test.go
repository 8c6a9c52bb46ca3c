package launcher

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pmirank is the path of the test rank program (testdata/pmirank), built by
// TestMain.
var pmirank string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "launcher-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer func() {
		if proxyBuild.dir != "" {
			os.RemoveAll(proxyBuild.dir)
		}
	}()
	pmirank = filepath.Join(dir, "pmirank")
	build := exec.Command("go", "build", "-o", pmirank, "./testdata/pmirank")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/pmirank: %v\n", err)
		return 1
	}
	return m.Run()
}
