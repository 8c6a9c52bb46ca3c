package comm

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/tcp"
	"github.com/spmd-go/spmd/comm/internal/wire"
	"github.com/spmd-go/spmd/internal/jobnames"
)

// stageBoot is a bootstrap for one real rank whose peers the test plays by
// hand: Fence returns at once and Get reads what the test or the rank put.
type stageBoot struct {
	rank, size int
	mu         sync.Mutex
	kv         map[string]string
}

func (b *stageBoot) Rank() int { return b.rank }
func (b *stageBoot) Size() int { return b.size }
func (b *stageBoot) Put(k, v string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.kv[k] = v
	return nil
}
func (b *stageBoot) Fence() error { return nil }
func (b *stageBoot) Get(k string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.kv[k]
	if !ok {
		return "", errors.New("no key " + k)
	}
	return v, nil
}
func (b *stageBoot) Finalize() error         { return nil }
func (b *stageBoot) Abort(int, string) error { return nil }

var stageCookie = []byte("0123456789abcdef0123456789abcdef")

// stage joins rank 0 of a world of size, whose other ranks the test plays:
// their cards say they run on this host, at ports where nobody listens.
func stage(t *testing.T, size int) (*world, *stageBoot) {
	t.Helper()
	b := &stageBoot{rank: 0, size: size, kv: map[string]string{}}
	host, _ := os.Hostname()
	for r := 1; r < size; r++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close() // nobody listens there now
		b.kv[jobnames.CardKey(r)] = card{host: host, port: port, addrs: []string{"127.0.0.1"}, pid: os.Getpid(), boot: bootID()}.String()
	}
	c, err := Join(b, Config{Cookie: stageCookie, LocalRanks: size, ConnectTimeout: 10 * time.Second, Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() {
		c.w.closeLinks(true)
		c.w.closeSegments()
	})
	return c.w, b
}

// dialAs dials w's listener as rank from and passes the cookie handshake.
func dialAs(t *testing.T, w *world, from int) *net.TCPConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := tcp.Dial(ctx, "127.0.0.1:"+strconv.Itoa(w.me.port), stageCookie, from, 0)
	require.NoError(t, err)
	return c
}

// TestPeerDiesMidHandshake: a peer that dials, offers a segment and dies
// before confirming is lost at once — a later send to it fails without
// waiting — and its segment is gone from /dev/shm.
func TestPeerDiesMidHandshake(t *testing.T) {
	w, _ := stage(t, 3)
	name := w.shmPrefix + "1-0-1"
	seg, err := shm.Create(name, 2, 16<<10)
	require.NoError(t, err)
	defer seg.Close()
	c := dialAs(t, w, 1)
	var ob [wire.OfferSize]byte
	require.NoError(t, (&wire.Offer{Flags: wire.OfferShm, Pid: int64(os.Getpid()), Name: name}).Encode(ob[:]))
	_, err = c.Write(ob[:])
	require.NoError(t, err)
	var vb [wire.VerdictSize]byte
	_, err = io.ReadFull(c, vb[:])
	require.NoError(t, err)
	var v wire.Verdict
	require.NoError(t, v.Decode(vb[:]))
	require.Equal(t, wire.Accepted|wire.ShmMapped|wire.ReadsPeer, v.Flags)
	c.Close() // dies before its Confirm
	require.Eventually(t, func() bool { return w.peers[1].lost.Load() != nil }, 5*time.Second, time.Millisecond)
	_, err = os.Stat(filepath.Join(shm.Dir, name))
	require.ErrorIs(t, err, os.ErrNotExist, "the listener unlinks the segment as it maps it")
	start := time.Now()
	_, err = w.linkTo(1)
	var pl *PeerLostError
	require.ErrorAs(t, err, &pl)
	require.Equal(t, 1, pl.Rank)
	require.Less(t, time.Since(start), time.Second)
	// A new connection from the lost peer is refused.
	c = dialAs(t, w, 1)
	_, err = c.Write(ob[:])
	require.NoError(t, err)
	_, err = io.ReadFull(c, vb[:])
	require.Error(t, err, "a lost peer gets no verdict")
	c.Close()
	require.Nil(t, w.link(1))
}

// TestOfferChecked: an offer of a segment outside the job's names, or
// garbage, is dropped without losing the peer or mapping anything.
func TestOfferChecked(t *testing.T) {
	w, _ := stage(t, 2)
	for _, o := range []wire.Offer{
		{Flags: wire.OfferShm, Pid: int64(os.Getpid()), Name: "spmd-someone-else-1-0-1"},
	} {
		c := dialAs(t, w, 1)
		var ob [wire.OfferSize]byte
		require.NoError(t, o.Encode(ob[:]))
		_, err := c.Write(ob[:])
		require.NoError(t, err)
		var vb [wire.VerdictSize]byte
		_, err = io.ReadFull(c, vb[:])
		require.NoError(t, err)
		var v wire.Verdict
		require.NoError(t, v.Decode(vb[:]))
		require.Equal(t, wire.Accepted, v.Flags, "a foreign segment is not mapped: TCP")
		c.Close()
		require.Eventually(t, func() bool { return w.peers[1].lost.Load() != nil }, 5*time.Second, time.Millisecond,
			"a peer whose link breaks is lost")
	}
	w2, _ := stage(t, 2)
	c := dialAs(t, w2, 1)
	garbage := make([]byte, wire.OfferSize)
	copy(garbage, "GET / HTTP/1.1\r\n\r\n")
	_, err := c.Write(garbage)
	require.NoError(t, err)
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "garbage after the handshake is dropped")
	require.Nil(t, w2.peers[1].lost.Load(), "an unreadable offer loses nobody")
	require.Nil(t, w2.link(1))
}

// TestDialToGonePeerFailsFast: the first send to a peer nobody listens
// for any more (its process exited) fails at once with its loss.
func TestDialToGonePeerFailsFast(t *testing.T) {
	w, _ := stage(t, 2)
	start := time.Now()
	_, err := w.linkTo(1)
	var pl *PeerLostError
	require.ErrorAs(t, err, &pl)
	require.ErrorIs(t, err, tcp.ErrRefused)
	require.Less(t, time.Since(start), 2*time.Second)
}

// TestRingSizeFor: rings shrink with the square of the local ranks, within
// their bounds.
func TestRingSizeFor(t *testing.T) {
	for _, c := range []struct{ local, want int }{
		{1, 256 << 10}, {2, 256 << 10}, {16, 256 << 10}, {17, 128 << 10}, {32, 64 << 10},
		{48, 16 << 10}, {64, 16 << 10}, {128, 16 << 10}, {1000, 16 << 10},
	} {
		require.Equal(t, c.want, ringSizeFor(c.local), "%d local ranks", c.local)
	}
}
