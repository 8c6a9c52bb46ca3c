package comm

import "unsafe"

// TraceEventBytes is the size of one event in a rank's trace buffer.
const TraceEventBytes = unsafe.Sizeof(traceEvent{})
