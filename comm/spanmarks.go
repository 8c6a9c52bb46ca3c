package comm

import (
	"strconv"
	"time"
)

// spanKeyPrefix starts the keys by which a rank marks its span for the
// launcher: "spmd-span-init-<rank>" when Init returns and
// "spmd-span-fin-<rank>" when Finalize is entered, each with the rank's
// clock (Unix nanoseconds) as the value. spmdrun, which serves only ranks
// on its own host and so shares their clock, uses them to time the
// program's own span without launch, wire-up and teardown, and without the
// delay of its own reading on a busy host (spmdrun --report); other PMI
// servers just store them.
const spanKeyPrefix = "spmd-span-"

// markSpan puts the span key for what ("init" or "fin"). Only a PMI
// bootstrap is told: elsewhere no launcher listens, and a put may cost a
// network round trip. Errors are ignored: the mark is advisory, and a
// broken PMI connection shows itself in the calls that need it.
func (w *world) markSpan(what string) {
	if _, ok := w.boot.(pmiBootstrap); !ok {
		return
	}
	_ = w.boot.Put(spanKeyPrefix+what+"-"+strconv.Itoa(w.rank), strconv.FormatInt(time.Now().UnixNano(), 10))
}
