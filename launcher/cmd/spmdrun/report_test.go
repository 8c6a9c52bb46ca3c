package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readReport reads a --report file.
func readReport(t *testing.T, path string) runReport {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var r runReport
	require.NoError(t, json.Unmarshal(b, &r), "%s", b)
	return r
}

func TestReportTimesTheSpanOfPMIRanks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	r := runSpmdrun(t, nil, nil, "-n", "3", "--report", path, pmirank, "ok")
	require.Equal(t, 0, r.code, r.stderr)
	rep := readReport(t, path)
	assert.Equal(t, 3, rep.Ranks)
	assert.Equal(t, 3, rep.Timed)
	require.NotNil(t, rep.AppS)
	assert.GreaterOrEqual(t, *rep.AppS, 0.0)
	assert.Less(t, *rep.AppS, rep.WallS, "the span excludes launch and teardown")
	require.Len(t, rep.FinalizeOffsetsS, 3)
	for i, off := range rep.FinalizeOffsetsS {
		require.NotNil(t, off, "rank %d", i)
		assert.LessOrEqual(t, *off, *rep.AppS+1e-9)
	}
	assert.Len(t, rep.Hosts, 1)
	assert.Equal(t, []int{0, 0, 0}, rep.RankHost)
}

func TestReportWithoutPMIHasNoSpanButAWallTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	r := runSpmdrun(t, nil, nil, "-n", "2", "--report", path, pmirank, "nopmi")
	require.Equal(t, 0, r.code, r.stderr)
	rep := readReport(t, path)
	assert.Nil(t, rep.AppS)
	assert.Equal(t, 0, rep.Timed)
	assert.Greater(t, rep.WallS, 0.0)
}

func TestReportRecordsAFailedRunsCode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	r := runSpmdrun(t, nil, nil, "-n", "2", "--report", path, pmirank, "exit", "1", "7")
	require.Equal(t, 7, r.code, r.stderr)
	assert.Equal(t, 7, readReport(t, path).ExitCode)
}
