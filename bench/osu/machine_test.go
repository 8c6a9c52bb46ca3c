package osu

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n"
	m, err := cpuModel(strings.NewReader(info))
	require.NoError(t, err)
	assert.Equal(t, "Intel(R) Xeon(R) Processor", m)

	_, err = cpuModel(strings.NewReader("processor : 0\n"))
	assert.Error(t, err)
}

func TestThisMachine(t *testing.T) {
	t.Setenv("SPMD_TRANSPORT", "")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := ThisMachine(now)
	assert.Equal(t, "auto", m.Transport)
	assert.Equal(t, "2026-01-02T03:04:05Z", m.Date)
	assert.Positive(t, m.Cores)
	assert.NotEmpty(t, m.Host)
	assert.True(t, strings.HasPrefix(m.GoVersion, "go"))
}
