package pmi

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnCodecs runs one exchange per wire over a scripted stream: what
// conn writes is the codec's encoding, and the reply rules (rc required or
// not, where a rejection is explained) are the codec's.
func TestConnCodecs(t *testing.T) {
	tests := []struct {
		name     string
		codec    codec
		reply    string
		wantReq  string
		wantRC   int
		wantErr  error  // from call
		rejected string // the rejection's text, when rc != 0
	}{
		{name: "line ok", codec: lineCodec{}, reply: "cmd=pong rc=0\n",
			wantReq: "cmd=ping a=1\n"},
		{name: "line without rc is success", codec: lineCodec{}, reply: "cmd=pong\n",
			wantReq: "cmd=ping a=1\n"},
		{name: "line rejected", codec: lineCodec{}, reply: "cmd=pong rc=3 errmsg=e msg=m\n",
			wantReq: "cmd=ping a=1\n", wantRC: 3, rejected: "rc=3 msg=m"},
		{name: "line wrong reply", codec: lineCodec{}, reply: "cmd=other rc=0\n",
			wantReq: "cmd=ping a=1\n", wantErr: ErrProtocol},
		{name: "frame ok", codec: frameCodec{}, reply: string(frame2("cmd=pong;rc=0;")),
			wantReq: "    13cmd=ping;a=1;"},
		{name: "frame without rc", codec: frameCodec{}, reply: string(frame2("cmd=pong;")),
			wantReq: "    13cmd=ping;a=1;", wantErr: ErrProtocol},
		{name: "frame rejected", codec: frameCodec{}, reply: string(frame2("cmd=pong;rc=3;msg=m;errmsg=e;")),
			wantReq: "    13cmd=ping;a=1;", wantRC: 3, rejected: "rc=3 errmsg=e"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			sc := &scriptConn{r: strings.NewReader(tc.reply), w: &out}
			c := newConn(sc, bufio.NewReader(sc), tc.codec)
			c.mu.Lock()
			m, rc, err := c.call("pong", "ping", "a", "1")
			c.mu.Unlock()
			assert.Equal(t, tc.wantReq, out.String())
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				// The failure is sticky: nothing more is sent.
				c.mu.Lock()
				_, _, again := c.call("pong", "ping")
				c.mu.Unlock()
				assert.Equal(t, err, again)
				assert.Equal(t, tc.wantReq, out.String())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantRC, rc)
			if rc != 0 {
				rej := c.codec.rejected("ping", rc, &m)
				assert.ErrorIs(t, rej, ErrRejected)
				assert.ErrorContains(t, rej, tc.rejected)
			}
		})
	}
}

// TestConnSendLastAfterClose: an abort on a closed connection writes
// nothing and says ErrClosed; a request after close does the same.
func TestConnSendLastAfterClose(t *testing.T) {
	var out bytes.Buffer
	sc := &scriptConn{r: strings.NewReader(""), w: &out}
	c := newConn(sc, bufio.NewReader(sc), lineCodec{})
	require.NoError(t, c.close())
	require.NoError(t, c.close())
	assert.ErrorIs(t, c.sendLast("abort", []byte("cmd=abort\n")), ErrClosed)
	c.mu.Lock()
	_, _, err := c.call("pong", "ping")
	c.mu.Unlock()
	assert.ErrorIs(t, err, ErrClosed)
	assert.Empty(t, out.String())
}
