package launcher

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher/sched"
)

// TestMappingReachesRanks runs four ranks on two "nodes" that are both
// this machine (localhost and 127.0.0.1), round robin, and checks what each
// rank learns about its node.
func TestMappingReachesRanks(t *testing.T) {
	hosts, err := sched.ParseHosts("localhost:2,127.0.0.1:2")
	require.NoError(t, err)
	m, err := sched.Map(hosts, 4, sched.ByNode, 0)
	require.NoError(t, err)
	j, _, _ := newJob(0, "where")
	j.Mapping = m
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	sort.Strings(lines)
	assert.Equal(t, []string{
		"rank 0 local 0/2 mapping (vector,(0,2,1))",
		"rank 1 local 0/2 mapping (vector,(0,2,1))",
		"rank 2 local 1/2 mapping (vector,(0,2,1))",
		"rank 3 local 1/2 mapping (vector,(0,2,1))",
	}, lines)
}

func TestMappingWithAnUnreachableHost(t *testing.T) {
	m, err := sched.Map([]sched.Host{{Name: "localhost", Slots: 1}, {Name: "elsewhere.invalid", Slots: 1}}, 2, sched.BySlot, 0)
	require.NoError(t, err)
	j, _, _ := newJob(0, "ok")
	j.Mapping = m
	j.Launcher = &RemoteLauncher{Command: []string{"false"}, PerHost: true, Cookie: "stdin"}
	r := run(t, j)
	assert.Equal(t, ExitHostLost, r.code)
	assert.Contains(t, r.stderr, "lost host elsewhere.invalid: the command starting its proxy exited with code 1 before the proxy connected; ranks 1")
	assert.Less(t, r.elapsed, 5*time.Second)

	j, _, _ = newJob(3, "ok")
	j.Mapping = &sched.Mapping{Hosts: []string{"localhost"}, Node: []int{0, 0}}
	r = run(t, j)
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, "3 ranks but the mapping places 2")
}

func TestIsLocalHost(t *testing.T) {
	self, err := os.Hostname()
	require.NoError(t, err)
	for _, h := range []string{"localhost", "127.0.0.1", "127.0.1.1", "[::1]", "::1", self} {
		assert.True(t, IsLocalHost(h), h)
	}
	for _, h := range []string{"elsewhere.invalid", "192.0.2.1", "x" + self} {
		assert.False(t, IsLocalHost(h), h)
	}
}
