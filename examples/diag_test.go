package examples_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hangBuild builds internal/testprogs/hang into binDir once, for the tests
// of spmdrun's hang diagnostics.
var hangBuild struct {
	once sync.Once
	out  []byte
	err  error
}

// buildHang returns the name of the hang program in binDir.
func buildHang(t *testing.T) string {
	t.Helper()
	hangBuild.once.Do(func() {
		args := []string{"build", "-o", filepath.Join(binDir, "hang")}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/spmd-go/spmd/examples/internal/testprogs/hang")
		hangBuild.out, hangBuild.err = exec.Command("go", args...).CombinedOutput()
	})
	require.NoError(t, hangBuild.err, "building hang:\n%s", hangBuild.out)
	return "hang"
}

// blockedRow matches one row of spmdrun's table of blocked operations:
// rank, op, peer, tag, comm, bytes, blocked.
var blockedRow = regexp.MustCompile(`^  (\d+) +(\S+) +(\S+) +(\S+) +(world(?:/coll)?|ctx \d+(?:/coll)?|-) +(\S+) +(\S.*)$`)

// TestTimeoutReportsBlockedReceive runs a job that deadlocks and checks
// that spmdrun's --timeout report names each rank's receive, rank 2's from
// rank 1 with tag 7 in particular.
func TestTimeoutReportsBlockedReceive(t *testing.T) {
	hang := buildHang(t)
	r := run(t, nil, "spmdrun", "-n", "4", "--timeout", "5s", filepath.Join(binDir, hang))
	assert.Equal(t, 124, r.code, "%v", r)
	assert.Less(t, r.elapsed, 10*time.Second, "%v", r)
	assert.Equal(t, 4, strings.Count(r.stdout, "ready\n"), "%v", r)

	ls := lines(r.stderr)
	require.NotEmpty(t, ls, "%v", r)
	assert.Equal(t, []string{"spmdrun: job timed out after 5s; blocked operations:"}, notices(r.stderr), "%v", r)
	i := 0
	for i < len(ls) && ls[i] != "spmdrun: job timed out after 5s; blocked operations:" {
		i++ // output of the ranks before the report, if any
	}
	require.Less(t, i+1, len(ls), "%v", r)
	assert.Regexp(t, `^  rank +op +peer +tag +comm +bytes +blocked$`, ls[i+1])
	rows := map[string][]string{} // rank: the fields of its row
	for _, l := range ls[i+2:] {
		if !strings.HasPrefix(l, "  ") {
			break // the table ends; ranks may still print while the job ends
		}
		m := blockedRow.FindStringSubmatch(l)
		require.NotNil(t, m, "row %q\n%v", l, r)
		require.NotContains(t, rows, m[1], "one row per rank here\n%v", r)
		rows[m[1]] = m[2:]
	}
	require.Len(t, rows, 4, "%v", r)
	for rank, f := range rows {
		peer, tag := "2", "9"
		if rank == "2" {
			peer, tag = "1", "7"
		}
		assert.Equal(t, []string{"recv", peer, tag, "world", "8"}, f[:5], "rank %s\n%v", rank, r)
		assert.Regexp(t, `^\d+\.\d\ds$`, f[5], "rank %s\n%v", rank, r)
	}
}
