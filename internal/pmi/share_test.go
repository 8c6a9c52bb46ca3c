package pmi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nodeServers makes a root Server for size ranks, serving rootRanks itself,
// and one node Server per entry of nodes relaying to it, as spmdrun and its
// proxies do.
func nodeServers(t *testing.T, size int, nodes [][]int) (root *Server, servers []*Server, relayed *[]int) {
	t.Helper()
	root = newTestServer(t, ServerConfig{Size: size})
	var mu sync.Mutex
	var counts []int
	for _, ranks := range nodes {
		servers = append(servers, newTestServer(t, ServerConfig{
			Size:  size,
			Ranks: ranks,
			Relay: func(puts []KV) ([]KV, error) {
				mu.Lock()
				counts = append(counts, len(puts))
				mu.Unlock()
				return root.FenceFor(context.Background(), ranks, puts)
			},
		}))
	}
	return root, servers, &counts
}

func TestRelayedBarrierSharesPutsAcrossNodes(t *testing.T) {
	root, nodes, counts := nodeServers(t, 5, [][]int{{1, 2}, {3, 4}})
	clients := []*Client{pipeClient(t, root, 0, 5),
		pipeClient(t, nodes[0], 1, 5), pipeClient(t, nodes[0], 2, 5),
		pipeClient(t, nodes[1], 3, 5), pipeClient(t, nodes[1], 4, 5)}
	for r, c := range clients {
		require.NoError(t, c.Put(fmt.Sprintf("card-%d", r), fmt.Sprintf("v%d", r)))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	for r, c := range clients {
		wg.Go(func() { errs[r] = c.Barrier() })
	}
	within(t, "barrier", func() bool { wg.Wait(); return true })
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	for r, c := range clients {
		for k := range clients {
			v, err := c.Get(fmt.Sprintf("card-%d", k))
			require.NoError(t, err, "rank %d reads card %d", r, k)
			assert.Equal(t, fmt.Sprintf("v%d", k), v)
		}
	}
	// One relay per node and barrier, each with that node's two puts.
	assert.Equal(t, []int{2, 2}, *counts)
}

func TestRelayedBarrierFailsWhenARankElsewhereLeaves(t *testing.T) {
	root, nodes, _ := nodeServers(t, 3, [][]int{{1, 2}})
	c1 := pipeClient(t, nodes[0], 1, 3)
	c2 := pipeClient(t, nodes[0], 2, 3)
	done := make(chan error, 2)
	go func() { done <- c1.Barrier() }()
	go func() { done <- c2.Barrier() }()
	require.NoError(t, root.Leave(0)) // rank 0, served by root, is gone
	assert.Error(t, recv(t, "a node rank's barrier", done))
	assert.Error(t, recv(t, "the other node rank's barrier", done))
}

func TestServeShareRefusesBadConfigurations(t *testing.T) {
	relay := func([]KV) ([]KV, error) { return nil, nil }
	for name, cfg := range map[string]ServerConfig{
		"ranks without relay": {Size: 2, Ranks: []int{0}},
		"relay without ranks": {Size: 2, Relay: relay},
		"rank out of range":   {Size: 2, Ranks: []int{2}, Relay: relay},
		"repeated rank":       {Size: 2, Ranks: []int{1, 1}, Relay: relay},
	} {
		_, err := NewServer(cfg)
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
	s := newTestServer(t, ServerConfig{Size: 2, Ranks: []int{1}, Relay: relay})
	_, err := s.RankConn(0)
	assert.ErrorIs(t, err, ErrInvalid, "rank 0 is served elsewhere")
}

func TestFenceForRefusesBadPuts(t *testing.T) {
	root := newTestServer(t, ServerConfig{Size: 3})
	ctx := context.Background()
	_, err := root.FenceFor(ctx, []int{1}, []KV{{Rank: 1, Key: "PMI_x", Value: "v"}})
	assert.ErrorContains(t, err, "reserved")
	_, err = root.FenceFor(ctx, []int{1}, []KV{{Rank: 1, Key: "k", Value: "a"}, {Rank: 2, Key: "k", Value: "b"}})
	assert.ErrorContains(t, err, "duplicate")
	_, err = root.FenceFor(ctx, []int{3}, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = root.FenceFor(cctx, []int{1, 2}, nil) // rank 0 never comes
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestRelayErrorFailsTheNodesBarrier(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2, Ranks: []int{1},
		Relay: func([]KV) ([]KV, error) { return nil, errors.New("root gone") }})
	c := pipeClient(t, s, 1, 2)
	assert.ErrorContains(t, within(t, "barrier", c.Barrier), "upstream")
}
