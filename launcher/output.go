package launcher

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// MaxLineBuffer bounds the bytes a [LineWriter] holds while it waits for the
// end of a line. A longer line is written out in pieces of this size, each
// with its own prefix, so that one rank printing without newlines cannot use
// unbounded memory.
const MaxLineBuffer = 1 << 20

// Sink serialises writes from many goroutines onto one writer: each call to
// [Sink.Write] reaches the underlying writer as one uninterrupted write. The
// launcher uses one Sink for standard output and one for standard error, so
// that lines from different ranks and the launcher's own notices never mix
// within a line.
type Sink struct {
	mu sync.Mutex
	w  io.Writer
}

// NewSink returns a Sink writing to w.
func NewSink(w io.Writer) *Sink {
	return &Sink{w: w}
}

// Write writes p to the underlying writer while holding the Sink's lock.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// LineWriter returns a [LineWriter] that writes whole lines, each starting
// with prefix, to s.
func (s *Sink) LineWriter(prefix string) *LineWriter {
	return &LineWriter{sink: s, prefix: []byte(prefix)}
}

// LineWriter cuts one stream into whole lines and writes each line, with its
// prefix, to a [Sink] in one piece. Bytes after the last newline are held until
// the line is completed or [LineWriter.Close] flushes them (adding the missing
// newline, so that the next line from another stream starts on a line of its
// own). A LineWriter is safe for concurrent use, but lines are only whole if
// each line comes from one goroutine.
type LineWriter struct {
	mu      sync.Mutex
	sink    *Sink
	prefix  []byte
	partial []byte // an unterminated line, without prefix
	closed  bool
	err     error // the first write error; later data is dropped
}

// Write buffers p and writes every line it completes. It returns len(p) and
// the error from the underlying writer, if any. After an error, this and
// later data is dropped and the error returned again.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, os.ErrClosed
	}
	n := len(p)
	if l.err != nil {
		return n, l.err
	}
	end := bytes.LastIndexByte(p, '\n')
	if end < 0 {
		l.partial = append(l.partial, p...)
		if len(l.partial) < MaxLineBuffer {
			return n, nil
		}
		err := l.emit(l.partial, true)
		l.partial = l.partial[:0]
		return n, err
	}
	lines, rest := p[:end+1], p[end+1:]
	var out []byte
	if len(l.partial) > 0 {
		// Complete the held line with the first line of p.
		first := bytes.IndexByte(lines, '\n')
		out = l.appendLine(out, append(l.partial, lines[:first+1]...))
		lines = lines[first+1:]
		l.partial = l.partial[:0]
	}
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		out = l.appendLine(out, lines[:i+1])
		lines = lines[i+1:]
	}
	l.partial = append(l.partial, rest...)
	return n, l.write(out)
}

// Close writes a held unterminated line, with a newline added, and makes
// later writes fail. It is safe to call more than once.
func (l *LineWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if len(l.partial) == 0 || l.err != nil {
		return nil
	}
	err := l.emit(l.partial, true)
	l.partial = nil
	return err
}

// emit writes one line with its prefix, adding a newline if addNewline.
func (l *LineWriter) emit(line []byte, addNewline bool) error {
	out := l.appendLine(nil, line)
	if addNewline {
		out = append(out, '\n')
	}
	return l.write(out)
}

// write writes out to the sink, remembering an error.
func (l *LineWriter) write(out []byte) error {
	if _, err := l.sink.Write(out); err != nil {
		l.err = err
		l.partial = l.partial[:0]
	}
	return l.err
}

func (l *LineWriter) appendLine(out, line []byte) []byte {
	out = append(out, l.prefix...)
	return append(out, line...)
}

// forward copies r to w until r ends or fails, then closes w if it is an
// io.Closer. After a write error it keeps reading and drops the data, so that
// the writing process never blocks on a full pipe. It reports on done when it
// returns.
func forward(w io.Writer, r io.Reader, done func()) {
	defer done()
	buf := make([]byte, 32<<10)
	var werr error
	for {
		n, err := r.Read(buf)
		if n > 0 && werr == nil {
			_, werr = w.Write(buf[:n])
		}
		if err != nil {
			break
		}
	}
	if c, ok := w.(io.Closer); ok {
		_ = c.Close()
	}
}
