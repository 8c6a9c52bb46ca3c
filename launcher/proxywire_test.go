package launcher

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/internal/pmi"
)

func TestProxyMessagesRoundTrip(t *testing.T) {
	spec := &proxySpec{Host: "n1", JobID: "j", KVSName: "kvs", Size: 6, Program: "./ring", Args: []string{"-laps", "2"},
		Env: []string{"A=1"}, Dir: "/tmp", Ranks: []int{2, 3}, Mapping: "(vector,(0,3,2))", Grace: 3 * time.Second, Stdin: true, BindTo: BindAuto}
	got, err := decodeSpec(spec.encode())
	require.NoError(t, err)
	assert.Equal(t, spec, got)

	spec.BindTo = "socket" // not a policy: the proxy refuses the job
	_, err = decodeSpec(spec.encode())
	require.ErrorIs(t, err, errFrame)
	assert.ErrorContains(t, err, `invalid binding "socket"`)

	f := &fenceMsg{Puts: []pmi.KV{{Rank: 2, Key: "k", Value: "v"}, {Rank: 3, Key: "k2", Value: ""}}}
	gf, err := decodeFence(f.encode())
	require.NoError(t, err)
	assert.Equal(t, f, gf)

	m := &rankMsg{Rank: 3, Pid: 77, Code: 1, Signal: 9, Active: true, Unfinalized: true, Age: time.Millisecond, Key: "spmd-lost-3", Value: "2"}
	gm, err := decodeRank(m.encode())
	require.NoError(t, err)
	assert.Equal(t, m, gm)

	o := &outputMsg{Rank: 1, Stream: 1, Data: []byte("line\n")}
	gotO, err := decodeOutput(o.encode())
	require.NoError(t, err)
	assert.Equal(t, o, gotO)

	sg := &signalMsg{Signal: 15, Ranks: []int{1}}
	gs, err := decodeSignal(sg.encode())
	require.NoError(t, err)
	assert.Equal(t, sg, gs)

	l := &lostMsg{Rank: 3, Cause: "killed by signal SIGKILL"}
	gl, err := decodeLost(l.encode())
	require.NoError(t, err)
	assert.Equal(t, l, gl)
	_, err = decodeLost((&lostMsg{Rank: -1, Cause: "x"}).encode())
	assert.ErrorIs(t, err, errFrame, "negative rank")
}

func TestProxyDecodersRefuseMalformedFrames(t *testing.T) {
	body := (&rankMsg{Rank: 1, Value: "abc"}).encode()
	for name, b := range map[string][]byte{
		"truncated":     body[:len(body)-1],
		"trailing":      append(append([]byte(nil), body...), 0),
		"huge length":   {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		"empty":         nil,
		"bad boolean":   {2, 0, 0, 0, 5},
		"list too long": {0, 0xff, 0x01},
	} {
		_, err := decodeRank(b)
		assert.ErrorIs(t, err, errFrame, name)
	}
	_, err := decodeOutput((&outputMsg{Rank: 0, Stream: 2}).encode())
	assert.ErrorIs(t, err, errFrame, "stream 2")
	_, _, err = readFrame(bytes.NewReader([]byte{0, 0, 0, 0}))
	assert.ErrorIs(t, err, errFrame, "zero-length frame")
	_, _, err = readFrame(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff}))
	assert.ErrorIs(t, err, errFrame, "frame over the limit")
}

// FuzzProxyFrame feeds arbitrary bytes to the frame reader and every body
// decoder: they may refuse, never panic or allocate beyond the input.
func FuzzProxyFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = writeFrame(&buf, frSpec, (&proxySpec{Host: "h", Ranks: []int{1}}).encode())
	f.Add(buf.Bytes())
	buf.Reset()
	_ = writeFrame(&buf, frFence, (&fenceMsg{Puts: []pmi.KV{{Rank: 1, Key: "k", Value: "v"}}}).encode())
	f.Add(buf.Bytes())
	buf.Reset()
	_ = writeFrame(&buf, frExit, (&rankMsg{Rank: 1, Code: 3}).encode())
	f.Add(buf.Bytes())
	buf.Reset()
	_ = writeFrame(&buf, frLost, (&lostMsg{Rank: 2, Cause: "exited with code 3"}).encode())
	f.Add(buf.Bytes())
	f.Add([]byte{0, 0, 0, 1, frShutdown})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, body, err := readFrame(bytes.NewReader(data))
		if err != nil {
			return
		}
		_, _ = decodeSpec(body)
		_, _ = decodeFence(body)
		_, _ = decodeSignal(body)
		_, _ = decodeOutput(body)
		_, _ = decodeRank(body)
		_, _ = decodeLost(body)
	})
}

func TestProxyHandshake(t *testing.T) {
	cookie := []byte("0123456789abcdef0123456789abcdef")
	claim := proxyClaim{Index: -1, Name: "node7"}
	for name, tc := range map[string]struct {
		proxyCookie []byte
		ok          bool
	}{
		"same cookie":  {cookie, true},
		"wrong cookie": {[]byte("not the cookie"), false},
	} {
		a, b := net.Pipe()
		res := make(chan error, 1)
		go func() { res <- proveToRoot(a, tc.proxyCookie, claim) }()
		got, err := acceptProof(b, cookie)
		if tc.ok {
			require.NoError(t, err, name)
			require.NoError(t, <-res, name)
			assert.Equal(t, claim, got, name)
		} else {
			// The proxy sees that the root does not prove the cookie it
			// has, and gives up before proving anything itself.
			a.Close()
			assert.ErrorIs(t, <-res, errAuth, name)
			assert.Error(t, err, name)
		}
		a.Close()
		b.Close()
	}

	a, b := net.Pipe()
	go func() { _, _ = a.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); a.Close() }()
	_, err := acceptProof(b, cookie)
	assert.ErrorIs(t, err, errAuth, "a stranger is refused")
	b.Close()
}
