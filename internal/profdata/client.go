package profdata

import (
	"bytes"
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// ErrRefused is wrapped by the errors a Client returns when the collector
// turned it away: a wrong cookie, a rank outside the job, a second upload.
var ErrRefused = errors.New("profdata: refused by the collector")

// Client is one rank's connection to the job's collector (SPMD_COLLECTOR).
// Its methods are safe for concurrent use; calls are served one at a time.
//
// A Client dials again by itself when its connection has been idle for
// half of IdleTimeout, so a rank may Dial at Init, measure its clock, and
// keep the Client until Finalize.
type Client struct {
	mu       sync.Mutex
	addr     string
	cookie   []byte
	rank     int
	conn     *timedConn
	lastUsed time.Time
}

// Dial connects to the collector at addr as the given rank and proves that
// it holds the job's cookie (the bytes SPMD_COOKIE encodes in hex). addr
// is "host:port", or several separated by commas (as SPMD_COLLECTOR may
// hold: the launcher's addresses on each of its networks), tried in order.
// It returns an error wrapping ErrRefused if the collector does not accept
// the cookie or the rank, and gives up when ctx ends.
func Dial(ctx context.Context, addr string, cookie []byte, rank int) (*Client, error) {
	if rank < 0 || int64(rank) > int64(^uint32(0)>>1) {
		return nil, fmt.Errorf("profdata: dial collector: rank %d", rank)
	}
	c := &Client{addr: addr, cookie: bytes.Clone(cookie), rank: rank}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// dialAttempt bounds one address's connection attempt when there are
// others to try.
const dialAttempt = 3 * time.Second

// connect dials and authenticates, trying each address in turn and
// remembering the first that works; c.mu is held or c is not yet shared.
func (c *Client) connect(ctx context.Context) error {
	addrs := strings.Split(c.addr, ",")
	var errs []error
	for i, a := range addrs {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if i < len(addrs)-1 {
			actx, cancel = context.WithTimeout(ctx, dialAttempt)
		}
		err := c.connectTo(actx, strings.TrimSpace(a))
		cancel()
		if err == nil {
			c.addr = strings.TrimSpace(a)
			return nil
		}
		if errors.Is(err, ErrRefused) || ctx.Err() != nil {
			return err // the collector answered, or time is up
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Client) connectTo(ctx context.Context, addr string) error {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("profdata: dial collector %s: %w", addr, err)
	}
	// Cancelling ctx ends the handshake by closing the connection.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	conn := &timedConn{Conn: raw, timeout: IOTimeout}
	if err := c.handshake(conn); err != nil {
		raw.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("profdata: collector %s, rank %d: %w", addr, c.rank, err)
	}
	if !stop() {
		raw.Close()
		return fmt.Errorf("profdata: collector %s, rank %d: %w", addr, c.rank, ctx.Err())
	}
	c.conn, c.lastUsed = conn, time.Now()
	return nil
}

func (c *Client) handshake(conn *timedConn) error {
	_, body, err := readSmallFrame(conn, kindChallenge)
	if err != nil {
		return err
	}
	var ch challenge
	if err := ch.decode(body); err != nil {
		return err
	}
	h := hello{rank: uint32(c.rank)}
	if h.nonce, err = newNonce(); err != nil {
		return err
	}
	h.mac = helloMAC(c.cookie, &ch.nonce, &h.nonce, h.rank)
	if err := writeFrame(conn, kindHello, h.encode()); err != nil {
		return err
	}
	kind, body, err := readSmallFrame(conn, kindAccept, kindRefuse)
	if err != nil {
		return err
	}
	if kind == kindRefuse {
		return fmt.Errorf("%w: %s", ErrRefused, body)
	}
	want := acceptMAC(c.cookie, &h.nonce, h.rank)
	if !hmac.Equal(body, want[:]) {
		return fmt.Errorf("%w: the collector does not hold the job's cookie", ErrProtocol)
	}
	return nil
}

// ready returns the connection, dialling again if it has been idle long
// enough that the collector may have dropped it; c.mu is held.
func (c *Client) ready() (*timedConn, error) {
	if c.conn != nil && time.Since(c.lastUsed) > IdleTimeout/2 {
		c.conn.Close()
		c.conn = nil
	}
	if c.conn == nil {
		ctx, cancel := context.WithTimeout(context.Background(), IOTimeout)
		defer cancel()
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
	}
	return c.conn, nil
}

// fail drops the connection after an error, so the next call dials anew.
func (c *Client) fail(err error) error {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	return fmt.Errorf("profdata: collector %s, rank %d: %w", c.addr, c.rank, err)
}

// Clock measures the rank's clock against the collector's with n
// ping-pongs. Each sends now() to the collector, which answers with its own
// clock; the sample's OffsetNs is the rank's clock at the midpoint of the
// round trip minus the collector's answer, and RTTNs the round trip by
// now(). now is the rank's clock (time.Now().UnixNano(), shifted by
// SPMD_CLOCK_SKEW in tests). Every sample carries atFinalize.
func (c *Client) Clock(n int, atFinalize bool, now func() int64) ([]ClockSample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.ready()
	if err != nil {
		return nil, err
	}
	out := make([]ClockSample, 0, n)
	for range n {
		p := clockPing{rankNs: now(), atFinalize: atFinalize}
		if err := writeFrame(conn, kindClock, p.encode()); err != nil {
			return out, c.fail(err)
		}
		_, body, err := readSmallFrame(conn, kindClockReply)
		if err != nil {
			return out, c.fail(err)
		}
		t1 := now()
		collectorNs, err := decodeClockReply(body)
		if err != nil {
			return out, c.fail(err)
		}
		rtt := t1 - p.rankNs
		out = append(out, ClockSample{
			CollectorNs: collectorNs,
			OffsetNs:    p.rankNs + rtt/2 - collectorNs,
			RTTNs:       rtt,
			AtFinalize:  atFinalize,
		})
	}
	c.lastUsed = time.Now()
	return out, nil
}

// Send uploads the rank's data (as Encode writes it) and waits for the
// collector to acknowledge that it stored it. The collector accepts one
// upload per rank; a second returns an error wrapping ErrRefused, as does
// data whose Rank is not the Client's.
func (c *Client) Send(d *RankData) error {
	var body bytes.Buffer
	if err := Encode(&body, d); err != nil {
		return err
	}
	if body.Len() > maxEncoded {
		return fmt.Errorf("profdata: rank %d: %d bytes of data, more than the collector takes (%d)", c.rank, body.Len(), maxEncoded)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.ready()
	if err != nil {
		return err
	}
	b := appendHeader(make([]byte, 0, headerSize), kindData, body.Len())
	if _, err := (&net.Buffers{b, body.Bytes()}).WriteTo(conn); err != nil {
		return c.fail(err)
	}
	kind, reply, err := readSmallFrame(conn, kindAck, kindRefuse)
	if err != nil {
		return c.fail(err)
	}
	c.lastUsed = time.Now()
	if kind == kindRefuse {
		return fmt.Errorf("%w: %s", ErrRefused, reply)
	}
	return nil
}

// Close closes the connection. The data already sent stays with the
// collector.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}
