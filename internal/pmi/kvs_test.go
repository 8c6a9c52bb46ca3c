package pmi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func isDone(b *barrier) bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

func TestJobPutVisibleAfterBarrier(t *testing.T) {
	j := newJob(2)
	require.Nil(t, j.put(0, "a", "1"))

	v, err := j.get(0, "a")
	require.Nil(t, err, "a rank sees its own put at once")
	assert.Equal(t, "1", v)
	_, err = j.get(1, "a")
	assert.Equal(t, errKeyNotFound, err, "others see it only after the barrier")

	b0, err := j.enterBarrier(0)
	require.Nil(t, err)
	assert.False(t, isDone(b0))
	b1, err := j.enterBarrier(1)
	require.Nil(t, err)
	require.Same(t, b0, b1)
	require.True(t, isDone(b0))
	assert.Nil(t, b0.err)

	v, err = j.get(1, "a")
	require.Nil(t, err)
	assert.Equal(t, "1", v)

	// The next barrier is a new generation.
	b2, err := j.enterBarrier(1)
	require.Nil(t, err)
	assert.NotSame(t, b0, b2)
	assert.False(t, isDone(b2))
}

func TestJobPutRefusals(t *testing.T) {
	j := newJob(2)
	require.Nil(t, j.put(0, "a", "1"))
	assert.Equal(t, errDuplicateKey, j.put(0, "a", "2"), "same rank, pending")
	assert.Equal(t, errDuplicateKey, j.put(1, "a", "2"), "other rank, pending")
	assert.Equal(t, errReservedKey, j.put(0, "PMI_process_mapping", "x"))

	_, _ = j.enterBarrier(0)
	_, _ = j.enterBarrier(1)
	assert.Equal(t, errDuplicateKey, j.put(1, "a", "2"), "committed")
}

func TestJobLeaveFailsBarrier(t *testing.T) {
	j := newJob(3)
	b, err := j.enterBarrier(0)
	require.Nil(t, err)
	j.leave(2)
	require.True(t, isDone(b))
	require.NotNil(t, b.err)
	assert.Contains(t, b.err.msg, "rank_2")

	_, err = j.enterBarrier(1)
	require.NotNil(t, err, "later barriers fail at once")
	assert.Contains(t, err.msg, "rank_2")
}

func TestJobLeaveWithoutWaitersFailsLaterBarrier(t *testing.T) {
	j := newJob(2)
	j.leave(1)
	j.leave(1) // idempotent
	_, err := j.enterBarrier(0)
	require.NotNil(t, err)
}

func TestJobCloseFailsBarrier(t *testing.T) {
	j := newJob(2)
	b, err := j.enterBarrier(1)
	require.Nil(t, err)
	j.close()
	require.True(t, isDone(b))
	assert.Equal(t, errServerClosed, b.err)
	_, err = j.enterBarrier(0)
	assert.Equal(t, errServerClosed, err)
}

func TestJobSingleRankBarrierCompletesAtOnce(t *testing.T) {
	j := newJob(1)
	require.Nil(t, j.put(0, "k", "v"))
	b, err := j.enterBarrier(0)
	require.Nil(t, err)
	require.True(t, isDone(b))
	assert.Nil(t, b.err)
}
