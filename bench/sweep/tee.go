package sweep

import (
	"bytes"
	"io"
)

// outputKeep bounds how much of a run's output is kept in memory for its
// metrics and error line; the log file gets all of it.
const outputKeep = 4 << 20

// keepingTee writes to the log file and keeps the output in buf, up to
// outputKeep bytes (the rest is dropped from buf only).
func keepingTee(log io.Writer, buf *bytes.Buffer) io.Writer { return &tee{log: log, buf: buf} }

type tee struct {
	log io.Writer
	buf *bytes.Buffer
}

func (t *tee) Write(p []byte) (int, error) {
	if room := outputKeep - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(len(p), room)])
	}
	return t.log.Write(p)
}
