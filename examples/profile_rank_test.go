package examples_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spmd-go/spmd/internal/profdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfileEnvRing profiles and traces a real job through the
// environment alone (SPMD_TRACE, as another launcher would set it, no
// collector): each rank writes its file, with its calls, its row of the
// communication matrix, and a trace in which every token's send and
// receive carry the same number.
func TestProfileEnvRing(t *testing.T) {
	const n, laps = 4, 20
	dir := t.TempDir()
	r := spmdrun(t, n, []string{"SPMD_TRACE=" + dir}, "ring", "-laps", "20")
	checkRing(t, r, n, laps, 0)
	data, err := profdata.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, data, n)
	type key struct {
		from, to int
		seq      uint64
	}
	sent, recvd := map[key]bool{}, map[key]bool{}
	for rank, d := range data {
		require.NotNil(t, d, "rank %d wrote no data", rank)
		if rank == 0 {
			assert.Equal(t, uint64(laps), d.Ops["Sendrecv"].Calls)
		} else {
			assert.Equal(t, uint64(laps), d.Ops["Send"].Calls, "rank %d", rank)
			assert.Equal(t, uint64(laps), d.Ops["Recv"].Calls, "rank %d", rank)
		}
		for to, msgs := range d.SentMsgs {
			want := uint64(0)
			if to == (rank+1)%n {
				want = laps
			}
			assert.Equal(t, want, msgs, "messages from rank %d to %d", rank, to)
		}
		assert.LessOrEqual(t, d.SpmdNs, d.FinalizeNs-d.InitNs)
		for _, e := range d.Trace {
			if e.SendSeq != 0 {
				sent[key{rank, e.Peer, e.SendSeq}] = true
			}
			if e.RecvSeq != 0 {
				recvd[key{e.Peer, rank, e.RecvSeq}] = true
			}
		}
	}
	assert.Len(t, sent, n*laps)
	assert.Equal(t, sent, recvd)
}

// TestProfileDirUnwritable: a profile directory the ranks cannot write
// fails the job at Init, naming the directory.
func TestProfileDirUnwritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "file")
	r := run(t, nil, "ring") // make sure the binary runs at all
	require.Equal(t, 0, r.code, r)
	require.NoError(t, writeEmpty(dir))
	r = spmdrun(t, 2, []string{"SPMD_PROFILE=" + filepath.Join(dir, "sub")}, "ring")
	assert.NotEqual(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "profile directory", r)
}

func writeEmpty(name string) error { return os.WriteFile(name, nil, 0o644) }
