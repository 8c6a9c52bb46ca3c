package sched

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hosts(spec string) []Host {
	h, err := ParseHosts(spec)
	if err != nil {
		panic(err)
	}
	return h
}

func TestMap(t *testing.T) {
	tests := []struct {
		hosts     string
		n, ppn    int
		by        Policy
		wantHosts []string
		wantNode  []int
	}{
		{"a:2,b:2", 4, 0, BySlot, []string{"a", "b"}, []int{0, 0, 1, 1}},
		{"a:2,b:2", 4, 0, ByNode, []string{"a", "b"}, []int{0, 1, 0, 1}},
		{"a:2,b:2", 0, 0, BySlot, []string{"a", "b"}, []int{0, 0, 1, 1}},       // n from the slots
		{"a:2,b:2", 6, 0, BySlot, []string{"a", "b"}, []int{0, 0, 1, 1, 0, 0}}, // wraps around
		{"a:3,b:1", 4, 0, ByNode, []string{"a", "b"}, []int{0, 1, 0, 0}},       // b is full after one round
		{"a:2,b:2,c:2", 3, 0, BySlot, []string{"a", "b"}, []int{0, 0, 1}},      // c unused
		{"a,b", 4, 2, BySlot, []string{"a", "b"}, []int{0, 0, 1, 1}},           // -ppn overrides slots
		{"a,b", 0, 3, ByNode, []string{"a", "b"}, []int{0, 1, 0, 1, 0, 1}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s n=%d ppn=%d by %v", tt.hosts, tt.n, tt.ppn, tt.by)
		m, err := Map(hosts(tt.hosts), tt.n, tt.by, tt.ppn)
		require.NoError(t, err, name)
		assert.Equal(t, tt.wantHosts, m.Hosts, name)
		assert.Equal(t, tt.wantNode, m.Node, name)
	}
}

func TestMapMaxSlots(t *testing.T) {
	hs := []Host{{Name: "a", Slots: 1, MaxSlots: 2}, {Name: "b", Slots: 1}}
	m, err := Map(hs, 5, BySlot, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 0, 1, 1}, m.Node, "a stops at max_slots=2")

	_, err = Map([]Host{{Name: "a", Slots: 1, MaxSlots: 2}}, 3, BySlot, 0)
	assert.EqualError(t, err, "3 ranks do not fit: the hosts' max_slots allow 2")
	_, err = Map(hs, 0, BySlot, 3)
	assert.EqualError(t, err, "3 ranks per node exceed host a's max_slots=2")
	_, err = Map(nil, 1, BySlot, 0)
	assert.Error(t, err)
}

func TestLocalRank(t *testing.T) {
	m, err := Map(hosts("a:2,b:2"), 4, ByNode, 0)
	require.NoError(t, err)
	local, size := m.LocalRanks()
	assert.Equal(t, []int{0, 0, 1, 1}, local)
	assert.Equal(t, []int{2, 2, 2, 2}, size)
	assert.Equal(t, []int{1, 3}, m.Local(1))
}

func TestProcessMapping(t *testing.T) {
	tests := []struct {
		hosts string
		n     int
		by    Policy
		want  string
	}{
		{"a:4", 4, BySlot, "(vector,(0,1,4))"},
		{"a:2,b:2", 4, BySlot, "(vector,(0,2,2))"},
		{"a:2,b:2", 4, ByNode, "(vector,(0,2,1))"},
		{"a:2,b:2", 1000, ByNode, "(vector,(0,2,1))"},
		{"a:3,b:1", 4, BySlot, "(vector,(0,1,3),(1,1,1))"},
		{"a:2,b:2", 6, BySlot, "(vector,(0,2,2))"},
	}
	for _, tt := range tests {
		m, err := Map(hosts(tt.hosts), tt.n, tt.by, 0)
		require.NoError(t, err)
		got, ok := m.ProcessMapping(1024)
		require.True(t, ok)
		assert.Equal(t, tt.want, got, "%s n=%d by %v", tt.hosts, tt.n, tt.by)
		assert.Equal(t, m.Node, decodeMapping(t, got, len(m.Node)), "round trip of %s", got)
	}
}

func TestProcessMappingTooLong(t *testing.T) {
	// An irregular placement of many ranks has no short description.
	rng := rand.New(rand.NewPCG(1, 2))
	node := make([]int, 600)
	for i := range node {
		node[i] = rng.IntN(3)
	}
	node[0] = 0
	m := &Mapping{Hosts: []string{"a", "b", "c"}, Node: node}
	_, ok := m.ProcessMapping(1024)
	assert.False(t, ok)
}

// decodeMapping parses a process mapping the way MPICH's
// MPL_rankmap_str_to_array does for the triple form: the vector repeats
// from its start until every rank has a node.
func decodeMapping(t *testing.T, s string, size int) []int {
	t.Helper()
	body, ok := strings.CutPrefix(s, "(vector,")
	require.True(t, ok, s)
	body, ok = strings.CutSuffix(body, ")")
	require.True(t, ok, s)
	var triples [][3]int
	for _, tr := range strings.Split(body, "),(") {
		tr = strings.Trim(tr, "()")
		parts := strings.Split(tr, ",")
		require.Len(t, parts, 3, s)
		var v [3]int
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			require.NoError(t, err)
			v[i] = n
		}
		triples = append(triples, v)
	}
	var out []int
	for len(out) < size {
		for _, v := range triples {
			for i := 0; i < v[1]; i++ {
				for j := 0; j < v[2]; j++ {
					out = append(out, v[0]+i)
				}
			}
		}
	}
	return out[:size]
}
