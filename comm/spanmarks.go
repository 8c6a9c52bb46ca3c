package comm

import (
	"strconv"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
)

// A rank reports its span to the launcher as Finalize begins, under
// jobnames.SpanKey: the times (Unix nanoseconds by the rank's clock) at
// which Init returned and Finalize was called. spmdrun, which serves only
// ranks on its own host and so shares their clock, uses them to time the
// program's own span without launch, wire-up and teardown (spmdrun
// --report); other PMI servers just store the key. Reporting both ends in
// one put at Finalize keeps Init free of an extra round trip, whose delay
// on a busy host would count as the program's time.

// markInit notes that Init returns now, with its links made: the
// launcher's loss notices held until then act now (notify.go).
func (w *world) markInit() {
	w.spanStart = time.Now().UnixNano()
	w.noticesJoined()
}

// markSpan puts the span key. Only a PMI bootstrap is told: elsewhere no
// launcher listens, and a put may cost a network round trip. Errors are
// ignored: the report is advisory, and a broken PMI connection shows
// itself in the calls that need it.
func (w *world) markSpan() {
	if _, ok := w.boot.(pmiBootstrap); !ok {
		return
	}
	fin := time.Now()
	v := strconv.FormatInt(w.spanStart, 10) + ":" + strconv.FormatInt(fin.UnixNano(), 10)
	_ = w.boot.Put(jobnames.SpanKey(w.rank), v)
}
