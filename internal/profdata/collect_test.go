package profdata

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

var testCookie = []byte("0123456789abcdef0123456789abcdef")

func listen(t *testing.T, size int, now func() int64) *Collector {
	t.Helper()
	c, err := Listen("127.0.0.1:0", testCookie, size, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dial(t *testing.T, c *Collector, cookie []byte, rank int) (*Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return Dial(ctx, c.Addr(), cookie, rank)
}

func rankData(rank, size int) *RankData {
	return &RankData{
		Rank: rank, Size: size, Host: "h", InitNs: 1, FinalizeNs: 2,
		SentBytes: make([]uint64, size), SentMsgs: make([]uint64, size),
		Ops: map[string]*OpStats{"Barrier": {Calls: uint64(rank + 1)}},
	}
}

func TestCollectorGathersEveryRank(t *testing.T) {
	const size = 4
	c := listen(t, size, nil)
	var wg sync.WaitGroup
	errs := make([]error, size)
	for r := range size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := dial(t, c, testCookie, r)
			if err != nil {
				errs[r] = err
				return
			}
			defer cl.Close()
			errs[r] = cl.Send(rankData(r, size))
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	for r, d := range c.Data() {
		if d == nil || d.Rank != r || d.Ops["Barrier"].Calls != uint64(r+1) {
			t.Errorf("data[%d] = %+v", r, d)
		}
	}
}

func TestCollectorMissingRankIsNil(t *testing.T) {
	c := listen(t, 3, nil)
	cl, err := dial(t, c, testCookie, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Send(rankData(1, 3)); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	d := c.Data()
	if d[0] != nil || d[1] == nil || d[2] != nil {
		t.Fatalf("Data = %v", d)
	}
}

func TestClockMeasuresOffset(t *testing.T) {
	// The collector's clock is 5 s behind the rank's.
	const skew = int64(5 * time.Second)
	c := listen(t, 1, func() int64 { return time.Now().UnixNano() - skew })
	cl, err := dial(t, c, testCookie, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	samples, err := cl.Clock(5, true, func() int64 { return time.Now().UnixNano() })
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 5 {
		t.Fatalf("%d samples", len(samples))
	}
	for _, s := range samples {
		if !s.AtFinalize || s.RTTNs < 0 {
			t.Errorf("sample %+v", s)
		}
		// The offset is known to within half the round trip.
		if d := s.OffsetNs - skew; d > s.RTTNs/2+1 || -d > s.RTTNs/2+1 {
			t.Errorf("offset %d, want %d ± %d", s.OffsetNs, skew, s.RTTNs/2)
		}
	}
}

func TestCollectorRefusesWrongCookie(t *testing.T) {
	c := listen(t, 2, nil)
	_, err := dial(t, c, []byte("not the cookie, not at all......"), 0)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("Dial with a wrong cookie = %v, want ErrRefused", err)
	}
}

func TestClientRefusesImpostorCollector(t *testing.T) {
	c, err := Listen("127.0.0.1:0", []byte("another job's cookie............"), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The collector refuses first; a rank never trusts one without the cookie.
	if _, err := dial(t, c, testCookie, 0); err == nil {
		t.Fatal("Dial to a collector of another job succeeded")
	}
}

func TestCollectorRefusesRankOutsideJob(t *testing.T) {
	c := listen(t, 2, nil)
	if _, err := dial(t, c, testCookie, 2); !errors.Is(err, ErrRefused) {
		t.Fatalf("Dial as rank 2 of 2 = %v, want ErrRefused", err)
	}
}

func TestCollectorRefusesSecondUpload(t *testing.T) {
	c := listen(t, 2, nil)
	for i, wantErr := range []bool{false, true} {
		cl, err := dial(t, c, testCookie, 1)
		if err != nil {
			t.Fatal(err)
		}
		err = cl.Send(rankData(1, 2))
		cl.Close()
		if wantErr != errors.Is(err, ErrRefused) {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
}

func TestCollectorRefusesAnotherRanksData(t *testing.T) {
	c := listen(t, 2, nil)
	cl, err := dial(t, c, testCookie, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Send(rankData(1, 2)); !errors.Is(err, ErrRefused) {
		t.Fatalf("rank 0 sending rank 1's data: %v", err)
	}
	if err := cl.Send(rankData(0, 3)); err == nil {
		t.Fatal("data of another job size accepted")
	}
	if c.Data()[1] != nil {
		t.Fatal("stored")
	}
}

func TestCollectorDropsMalformedFrames(t *testing.T) {
	c := listen(t, 1, nil)
	var logged sync.WaitGroup
	logged.Add(1)
	var once sync.Once
	c.Logf = func(string, ...any) { once.Do(logged.Done) }
	conn, err := net.Dial("tcp", c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := readSmallFrame(conn, kindChallenge); err != nil {
		t.Fatal(err)
	}
	// A frame of an unknown kind instead of a hello.
	if _, err := conn.Write([]byte{99, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("collector kept a connection that sent garbage")
	}
	logged.Wait()
}

func TestCollectorDropsSilentPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits IOTimeout")
	}
	c := listen(t, 1, nil)
	conn, err := net.Dial("tcp", c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(IOTimeout + 5*time.Second))
	// The challenge arrives, then nothing until the collector gives up.
	buf := make([]byte, 256)
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
	if el := time.Since(start); el > IOTimeout+4*time.Second {
		t.Fatalf("silent peer kept for %v", el)
	}
}

func TestCloseDropsOpenConnections(t *testing.T) {
	c, err := Listen("127.0.0.1:0", testCookie, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := dial(t, c, testCookie, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for an idle rank")
	}
	if err := cl.Send(rankData(0, 1)); err == nil {
		t.Fatal("upload after Close succeeded")
	}
}

func TestDialGivesUpWithContext(t *testing.T) {
	// A listener that never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Dial(ctx, ln.Addr().String(), testCookie, 0); err == nil {
		t.Fatal("Dial to a mute listener succeeded")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("Dial took %v past its context", el)
	}
}

func TestListenChecksArguments(t *testing.T) {
	if _, err := Listen("127.0.0.1:0", testCookie, 0, nil); err == nil {
		t.Error("size 0 accepted")
	}
	if _, err := Listen("127.0.0.1:0", nil, 1, nil); err == nil {
		t.Error("empty cookie accepted")
	}
}

func TestWriteReadDir(t *testing.T) {
	dir := t.TempDir()
	for _, r := range []int{0, 2} {
		if err := WriteFile(dir, rankData(r, 3)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] == nil || got[1] != nil || got[2] == nil {
		t.Fatalf("ReadDir = %v", got)
	}
	if _, err := ReadDir(t.TempDir()); err == nil {
		t.Error("empty directory read")
	}
}

func TestDefaultTraceLimit(t *testing.T) {
	for _, tc := range []struct{ size, want int }{
		{1, TraceEventBudget}, {4, TraceEventBudget / 4}, {100000, MinTraceLimit}, {0, TraceEventBudget},
	} {
		if got := DefaultTraceLimit(tc.size); got != tc.want {
			t.Errorf("DefaultTraceLimit(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
	if _, err := ParseTraceLimit("0"); err == nil {
		t.Error("limit 0 accepted")
	}
	if n, err := ParseTraceLimit("500"); err != nil || n != 500 {
		t.Errorf("ParseTraceLimit(500) = %d, %v", n, err)
	}
}

func FuzzFrame(f *testing.F) {
	ch := challenge{}
	f.Add(appendHeader(nil, kindChallenge, challengeBody), ch.encode())
	h := hello{rank: 1}
	f.Add(appendHeader(nil, kindHello, helloBody), h.encode())
	f.Add(appendHeader(nil, kindClock, clockBody), (&clockPing{rankNs: 7, atFinalize: true}).encode())
	f.Add(appendHeader(nil, kindClockReply, clockReplyBody), (&clockReply{9}).encode())
	f.Add(appendHeader(nil, kindRefuse, 3), []byte("why"))
	f.Add(appendHeader(nil, kindWatch, 0), []byte{})
	f.Add(appendHeader(nil, kindStop, 3), []byte("why"))
	f.Add(appendHeader(nil, kindData, 2), []byte("{}"))
	f.Add([]byte{42, 0, 0, 0, 0}, []byte{})
	f.Fuzz(func(t *testing.T, header, body []byte) {
		kind, n, err := parseHeader(header)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("parseHeader error %v does not wrap ErrProtocol", err)
			}
			return
		}
		if limit, fixed, _ := bodyLimit(kind); n > limit || (fixed && n != limit) {
			t.Fatalf("kind %d: accepted length %d", kind, n)
		}
		// Every body decoder rejects or accepts without panicking, and what
		// it accepts encodes back to the same bytes.
		var ch challenge
		if ch.decode(body) == nil && !bytes.Equal(ch.encode(), body) {
			t.Fatal("challenge round trip")
		}
		var h hello
		if h.decode(body, 4) == nil && (!bytes.Equal(h.encode(), body) || h.rank >= 4) {
			t.Fatal("hello round trip")
		}
		var p clockPing
		if p.decode(body) == nil && !bytes.Equal(p.encode(), body) {
			t.Fatal("clock ping round trip")
		}
		if ns, err := decodeClockReply(body); err == nil && !bytes.Equal((&clockReply{ns}).encode(), body) {
			t.Fatal("clock reply round trip")
		}
		// A reader fed the frame returns it or an error, never more than the header allows.
		frame := append(append([]byte(nil), header...), body...)
		if k, b, err := readSmallFrame(bytes.NewReader(frame), kind); err == nil && (k != kind || len(b) != n) {
			t.Fatalf("readSmallFrame = %d, %d bytes", k, len(b))
		}
	})
}

func TestDialTriesEveryAddress(t *testing.T) {
	c := listen(t, 1, nil)
	// A port nothing listens on, then the collector.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := Dial(ctx, dead+","+c.Addr(), testCookie, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Send(rankData(0, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(ctx, dead, testCookie, 0); err == nil {
		t.Fatal("Dial to a dead address succeeded")
	}
}
