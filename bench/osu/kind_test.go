package osu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/collective"
)

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{
		"latency": Latency, "Bandwidth": Bandwidth, "bw": Bandwidth, "bibw": BiBandwidth,
		"allreduce": Allreduce, "reduce-scatter": ReduceScatter, "Barrier": Barrier,
	} {
		k, err := ParseKind(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, k)
	}
	_, err := ParseKind("allreduce_ring")
	assert.ErrorIs(t, err, ErrOptions)
}

func TestKindLabels(t *testing.T) {
	assert.Equal(t, "Latency (us)", Latency.Column())
	assert.Equal(t, "Bandwidth (MB/s)", BiBandwidth.Column())
	assert.Equal(t, "Avg Latency(us)", Gather.Column())
	assert.True(t, Latency.LowerIsBetter())
	assert.False(t, Bandwidth.LowerIsBetter())
	assert.Equal(t, "OSU-method MPI_Allreduce Latency Test", Allreduce.Title())
	for _, k := range append(append([]Kind{}, Kinds...), CollectiveKinds...) {
		assert.NotEmpty(t, k.Title())
		assert.NotEqual(t, string(k), k.Title())
	}
	for _, k := range Kinds {
		assert.False(t, k.Collective(), k)
	}
	for _, k := range CollectiveKinds {
		assert.True(t, k.Collective(), k)
		assert.True(t, k.LowerIsBetter(), k)
		assert.Equal(t, "us", k.Unit(), k)
	}
}

// TestCollectiveKindsAreOperations: every collective benchmark is named
// after an operation of package collective, so that --algorithm can force
// its SPMD_COLL_<OP>; but ObjAllreduce, whose AllreduceObj has one
// algorithm, which --algorithm refuses to choose.
func TestCollectiveKindsAreOperations(t *testing.T) {
	algs := collective.Algorithms()
	for _, k := range CollectiveKinds {
		if k == ObjAllreduce {
			assert.Error(t, ForceAlgorithm(k, "recursive_doubling"))
			continue
		}
		assert.NotEmpty(t, algs[string(k)], k)
	}
}
