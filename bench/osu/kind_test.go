package osu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{"latency": Latency, "Bandwidth": Bandwidth, "bw": Bandwidth, "bibw": BiBandwidth} {
		k, err := ParseKind(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, k)
	}
	_, err := ParseKind("allreduce")
	assert.ErrorIs(t, err, ErrOptions)
}

func TestKindLabels(t *testing.T) {
	assert.Equal(t, "Latency (us)", Latency.Column())
	assert.Equal(t, "Bandwidth (MB/s)", BiBandwidth.Column())
	assert.True(t, Latency.LowerIsBetter())
	assert.False(t, Bandwidth.LowerIsBetter())
	for _, k := range Kinds {
		assert.NotEmpty(t, k.Title())
	}
}
