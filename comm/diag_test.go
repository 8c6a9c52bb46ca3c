package comm

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDiagnosticsReport(t *testing.T) {
	var d diagnostics
	now := time.Now()
	assert.Equal(t, "none", d.report(now))
	recent := &blockedOp{op: "send", peer: 3, tag: 1, since: now.Add(-time.Millisecond)}
	old := &blockedOp{op: "recv", peer: 1, tag: 7, ctx: 0, bytes: 8, since: now.Add(-4900 * time.Millisecond)}
	older := &blockedOp{op: "probe", peer: -1, tag: AnyTag, ctx: 3, since: now.Add(-5 * time.Second)}
	for _, op := range []*blockedOp{recent, old, older} {
		d.enter(op)
	}
	assert.Equal(t, "probe,any,any,3,0,5000;recv,1,7,0,8,4900", d.report(now),
		"longest first; operations blocked under 100 ms are left out")
	d.leave(older)
	assert.Equal(t, "recv,1,7,0,8,4900", d.report(now))

	for i := range 200 {
		d.enter(&blockedOp{op: "recv", peer: i, tag: i, since: now.Add(-time.Second)})
	}
	r := d.report(now)
	assert.LessOrEqual(t, len(r), diagMaxValue)
	assert.Regexp(t, `;\+\d+$`, r, "the rest is counted")
	assert.NotContains(t, r, " ", "PMI values are space-free")
}

func TestDescribe(t *testing.T) {
	r := &Request{isRecv: true, pollPeer: -1, nbytes: 16}
	r.recv.Tag, r.recv.Context = 5, 2
	assert.Equal(t, "recv,any,5,2,16,0", r.describe().entry(r.describe().since))
	s := &Request{w: &world{}, peer: 4, tag: 9, ctx: 1, sync: true, nbytes: 3}
	e := s.describe()
	assert.True(t, strings.HasPrefix(e.entry(e.since), "ssend,4,9,1,3,"), fmt.Sprint(e))
}
