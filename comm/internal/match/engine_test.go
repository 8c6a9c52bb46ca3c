package match

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(ctx uint32, src, tag, n int) Envelope {
	return Envelope{Context: ctx, Src: src, Tag: tag, Len: n}
}

// arriveEager delivers an eager message and, if nothing took it, makes its
// payload ready as a transport would.
func arriveEager(e *Engine, peer int, ev Envelope, payload string) *Recv {
	r, m := e.Arrive(peer, ev, false, 0, 0)
	if r != nil {
		return r
	}
	return e.Ready(m, []byte(payload))
}

func TestUnexpectedNonOvertaking(t *testing.T) {
	e := New()
	require.Nil(t, arriveEager(e, 1, env(0, 1, 5, 1), "a"))
	require.Nil(t, arriveEager(e, 1, env(0, 1, 5, 1), "b"))
	for _, want := range []string{"a", "b"} {
		r := &Recv{Src: 1, Tag: 5}
		out, m, err := e.Post(r)
		require.NoError(t, err)
		require.Equal(t, MatchedEager, out)
		assert.Equal(t, want, string(m.Payload))
		e.Release(m)
	}
	assert.Equal(t, Stats{}, e.Stats())
}

func TestPostedOrderWins(t *testing.T) {
	e := New()
	first := &Recv{Src: AnySource, Tag: AnyTag}
	second := &Recv{Src: 2, Tag: 9}
	for _, r := range []*Recv{first, second} {
		out, _, err := e.Post(r)
		require.NoError(t, err)
		require.Equal(t, Queued, out)
	}
	got, m := e.Arrive(2, env(0, 2, 9, 0), false, 0, 0)
	assert.Nil(t, m)
	assert.Same(t, first, got, "the earlier-posted matching receive takes the message")
	got, _ = e.Arrive(2, env(0, 2, 9, 0), false, 0, 0)
	assert.Same(t, second, got)
}

func TestWildcardsTakeEarliestEligible(t *testing.T) {
	e := New()
	arriveEager(e, 3, env(0, 3, 1, 1), "x")
	arriveEager(e, 1, env(0, 1, 2, 1), "y")
	arriveEager(e, 1, env(0, 1, 1, 1), "z")
	_, m, _ := e.Post(&Recv{Src: AnySource, Tag: 2})
	assert.Equal(t, "y", string(m.Payload))
	_, m, _ = e.Post(&Recv{Src: 1, Tag: AnyTag})
	assert.Equal(t, "z", string(m.Payload))
	_, m, _ = e.Post(&Recv{Src: AnySource, Tag: AnyTag})
	assert.Equal(t, "x", string(m.Payload))
}

func TestAnyTagSkipsInternalTags(t *testing.T) {
	e := New()
	arriveEager(e, 0, env(0, 0, -7, 1), "internal")
	out, _, _ := e.Post(&Recv{Src: AnySource, Tag: AnyTag})
	assert.Equal(t, Queued, out, "AnyTag must not match a negative tag")
	_, m, _ := e.Post(&Recv{Src: 0, Tag: -7})
	require.NotNil(t, m)
	assert.Equal(t, "internal", string(m.Payload))
}

func TestContextsNeverMatch(t *testing.T) {
	e := New()
	arriveEager(e, 0, env(4, 0, 1, 1), "ctx4")
	out, _, _ := e.Post(&Recv{Context: 2, Src: AnySource, Tag: AnyTag})
	assert.Equal(t, Queued, out)
	ev, ok, err := e.Probe(4, AnySource, AnyTag)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, env(4, 0, 1, 1), ev)
	_, ok, _ = e.Probe(2, AnySource, AnyTag)
	assert.False(t, ok)
}

func TestBoundWhilePayloadArrives(t *testing.T) {
	e := New()
	r0, m := e.Arrive(1, env(0, 1, 0, 3), false, 0, 0)
	require.Nil(t, r0)
	r := &Recv{Src: 1, Tag: 0}
	out, got, err := e.Post(r)
	require.NoError(t, err)
	assert.Equal(t, Bound, out)
	assert.Same(t, m, got)
	assert.Same(t, r, e.Ready(m, []byte("abc")), "Ready hands the bound receive back")
	assert.Equal(t, 0, e.Stats().UnexpectedBytes)
}

func TestAbandon(t *testing.T) {
	e := New()
	_, m := e.Arrive(1, env(0, 1, 0, 3), false, 0, 0)
	assert.Nil(t, e.Abandon(m))
	assert.Equal(t, 0, e.Stats().Unexpected)
	_, m = e.Arrive(1, env(0, 1, 0, 3), false, 0, 0)
	r := &Recv{Src: 1}
	_, _, _ = e.Post(r)
	assert.Same(t, r, e.Abandon(m))
}

func TestRendezvousMatch(t *testing.T) {
	e := New()
	_, m := e.Arrive(1, env(0, 1, 3, 1<<20), true, 77, 0)
	out, got, err := e.Post(&Recv{Src: 1, Tag: 3})
	require.NoError(t, err)
	assert.Equal(t, MatchedRendezvous, out)
	assert.Same(t, m, got)
	assert.Equal(t, uint64(77), got.SendID)
}

func TestCancel(t *testing.T) {
	e := New()
	r := &Recv{Src: 0, Tag: 0}
	_, _, _ = e.Post(r)
	assert.True(t, e.Cancel(r))
	assert.False(t, e.Cancel(r), "second cancel is a no-op")
	assert.Nil(t, arriveEager(e, 0, env(0, 0, 0, 0), ""), "a cancelled receive takes nothing")
	r2 := &Recv{Src: 0, Tag: AnyTag}
	out, _, _ := e.Post(r2)
	assert.Equal(t, MatchedEager, out)
	assert.False(t, e.Cancel(r2), "a matched receive cannot be cancelled")
}

func TestPeerLost(t *testing.T) {
	e := New()
	e.RegisterContext(0, []int{0, 1, 2})
	e.RegisterContext(8, []int{0, 2}) // a split without world rank 1
	arriveEager(e, 1, env(0, 1, 0, 1), "kept")
	e.Arrive(1, env(0, 1, 1, 1<<20), true, 5, 0) // rendezvous from the dying peer
	fromPeer := &Recv{Src: 1, Tag: 2}
	anySrc := &Recv{Src: AnySource, Tag: 2}
	other := &Recv{Src: 2, Tag: 2}
	unaffected := &Recv{Context: 8, Src: AnySource, Tag: 2}
	for _, r := range []*Recv{fromPeer, anySrc, other, unaffected} {
		_, _, _ = e.Post(r)
	}
	boom := errors.New("rank 1 exited")
	failed := e.PeerLost(1, boom)
	assert.ElementsMatch(t, []*Recv{fromPeer, anySrc}, failed)
	assert.Equal(t, boom, e.Lost(1))

	_, _, err := e.Post(&Recv{Src: 1, Tag: 9})
	assert.ErrorIs(t, err, boom, "a new receive from the lost peer fails at once")
	out, m, err := e.Post(&Recv{Src: 1, Tag: 0})
	require.NoError(t, err, "data that already arrived is still delivered")
	assert.Equal(t, MatchedEager, out)
	assert.Equal(t, "kept", string(m.Payload))
	_, _, err = e.Post(&Recv{Src: 1, Tag: 1})
	assert.ErrorIs(t, err, boom, "the lost peer's rendezvous can never be fetched")
	_, ok, err := e.Probe(0, AnySource, AnyTag)
	assert.False(t, ok)
	assert.ErrorIs(t, err, boom)
}

func TestReleaseReusesMessages(t *testing.T) {
	e := New()
	_, m := e.Arrive(0, env(0, 0, 0, 0), false, 0, 0)
	e.Ready(m, nil)
	_, got, _ := e.Post(&Recv{Src: 0, Tag: 0})
	e.Release(got)
	r := &Recv{Src: 0, Tag: 0}
	allocs := testing.AllocsPerRun(100, func() {
		_, m := e.Arrive(0, env(0, 0, 0, 0), false, 0, 0)
		e.Ready(m, nil)
		_, got, _ := e.Post(r)
		e.Release(got)
	})
	assert.Zero(t, allocs, "steady-state matching allocates nothing")
}

func BenchmarkArrivePosted(b *testing.B) {
	e := New()
	r := &Recv{Src: 1, Tag: 0}
	ev := env(0, 1, 0, 8)
	for b.Loop() {
		_, _, _ = e.Post(r)
		e.Arrive(1, ev, false, 0, 0)
	}
}

// TestUnregister: a context's leftovers are handed back, its state goes,
// and a reuse of its id starts empty.
func TestUnregister(t *testing.T) {
	e := New()
	e.RegisterContext(4, []int{0, 1})
	arriveEager(e, 1, env(4, 1, 3, 5), "stale")
	_, rdv := e.Arrive(1, env(4, 1, 9, 1<<20), true, 7, 0)
	r := &Recv{Context: 4, Src: 0, Tag: 1}
	out, _, err := e.Post(r)
	require.NoError(t, err)
	require.Equal(t, Queued, out)
	assert.Equal(t, 1, e.Posted(4))
	assert.Equal(t, 5, e.Stats().UnexpectedBytes)

	left, posted := e.Unregister(4)
	require.Len(t, left, 2)
	assert.Equal(t, "stale", string(left[0].Payload))
	assert.Same(t, rdv, left[1])
	assert.Equal(t, []*Recv{r}, posted)
	assert.False(t, e.Cancel(r), "an unregistered receive is no longer posted")
	assert.Zero(t, e.Stats().UnexpectedBytes)
	assert.Zero(t, e.Contexts())
	assert.Zero(t, e.Posted(4))

	_, ok, err := e.Probe(4, AnySource, AnyTag)
	require.NoError(t, err)
	assert.False(t, ok, "a reused id sees nothing of its previous owner")
	left, posted = e.Unregister(99)
	assert.Nil(t, left)
	assert.Nil(t, posted)
}

// TestLockIfFirst: a receive may take an arriving message itself only
// when nothing MPI orders first would take it or be taken: no unexpected
// message the receive matches (on the message's context), and no posted
// receive that matches the message.
func TestLockIfFirst(t *testing.T) {
	for _, c := range []struct {
		name       string
		unexpected []Envelope // queued before, on any context
		posted     []Recv     // posted before
		src, tag   int        // the receive
		want       bool
	}{
		{name: "empty engine", src: 1, tag: 5, want: true},
		{name: "earlier message, same peer and tag", unexpected: []Envelope{env(7, 1, 5, 1)}, src: 1, tag: 5},
		{name: "earlier message, any tag receive", unexpected: []Envelope{env(7, 1, 3, 1)}, src: 1, tag: AnyTag},
		{name: "earlier message of another tag", unexpected: []Envelope{env(7, 1, 3, 1)}, src: 1, tag: 5, want: true},
		{name: "earlier message of another peer", unexpected: []Envelope{env(7, 2, 5, 1)}, src: 1, tag: 5, want: true},
		{name: "earlier message on another context", unexpected: []Envelope{env(8, 1, 5, 1)}, src: 1, tag: 5, want: true},
		{name: "matching receive posted before", posted: []Recv{{Context: 7, Src: 1, Tag: 5}}, src: 1, tag: 5},
		{name: "any-source receive posted before", posted: []Recv{{Context: 7, Src: AnySource, Tag: AnyTag}}, src: 1, tag: 5},
		{name: "other receive posted before", posted: []Recv{{Context: 7, Src: 2, Tag: 5}}, src: 1, tag: 5, want: true},
		{name: "receive on another context", posted: []Recv{{Context: 8, Src: 1, Tag: 5}}, src: 1, tag: 5, want: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := New()
			for _, u := range c.unexpected {
				require.Nil(t, arriveEager(e, u.Src, u, "x"))
			}
			for i := range c.posted {
				out, _, err := e.Post(&c.posted[i])
				require.NoError(t, err)
				require.Equal(t, Queued, out)
			}
			arriving := env(7, 1, 5, 1)
			got := e.LockIfFirst(&arriving, c.src, c.tag)
			if got {
				e.Unlock()
			}
			assert.Equal(t, c.want, got)
			assert.True(t, e.mu.TryLock(), "the engine was left locked")
		})
	}
}
