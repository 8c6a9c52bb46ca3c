package pmi

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fake2 is a PMI-2 server for tests, written to be as strict as Slurm's
// pmi2 plugin (src/plugins/mpi/pmi2: agent.c, pmi2.c, client.c):
//
//   - the first request is read with a single read() of fewer than 64
//     bytes and must be `cmd=init pmi_version=V pmi_subversion=S\n`;
//   - the PMI version is the step's: the first init fixes it, and a later
//     init that asks for another is refused with rc!=0 and the step's
//     version, after which the connection speaks the step's version;
//   - every later request is read as six bytes of length, then that many
//     bytes; the body must start with cmd= and every key=value pair must
//     end with ';' ("value not properly terminated" otherwise);
//   - fullinit must carry pmijobid, pmirank and threaded;
//   - replies are written as Slurm writes them: the length left-aligned in
//     six bytes ("%-6d"), in a write of its own, then the body.
//
// Unlike Slurm it serves no PMI-1: a PMI-1 init is always refused with
// pmi_version=2. Anything a client sends that Slurm would refuse is
// recorded as a violation; the test fails if any is left unchecked.
type fake2 struct {
	t       *testing.T
	size    int
	jobID   string
	mapping string
	// reply, when set, may replace the reply to a command: if it returns
	// non-nil bytes, they are written instead and the connection is closed.
	reply func(cmd string) []byte

	mu         sync.Mutex
	version    int // the step's PMI version: 0 (none yet) or 2
	committed  map[string]string
	pending    map[string]string
	fenced     int
	fenceDone  chan struct{}
	violations []string
	fullinits  []map[string]string
	inits      []string
	conns      map[net.Conn]struct{}
	closed     bool

	done      chan struct{}
	wg        sync.WaitGroup
	aborts    chan map[string]string
	finalized chan int
}

func newFake2(t *testing.T, size int) *fake2 {
	f := &fake2{
		t:         t,
		size:      size,
		jobID:     "1234.0",
		mapping:   "(vector,(0,1," + strconv.Itoa(size) + "))",
		committed: make(map[string]string),
		pending:   make(map[string]string),
		fenceDone: make(chan struct{}),
		conns:     make(map[net.Conn]struct{}),
		done:      make(chan struct{}),
		aborts:    make(chan map[string]string, 16),
		finalized: make(chan int, 16),
	}
	t.Cleanup(func() {
		f.close()
		f.mu.Lock()
		defer f.mu.Unlock()
		assert.Empty(t, f.violations, "requests Slurm would refuse")
	})
	return f
}

// close ends every connection and waits for the serving goroutines.
func (f *fake2) close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.done)
		for c := range f.conns {
			c.Close()
		}
	}
	f.mu.Unlock()
	within(f.t, "fake2 shutdown", func() struct{} { f.wg.Wait(); return struct{}{} })
}

// takeViolations returns and clears the recorded violations.
func (f *fake2) takeViolations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.violations
	f.violations = nil
	return v
}

func (f *fake2) violate(format string, args ...any) {
	f.mu.Lock()
	f.violations = append(f.violations, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// socketPair returns both ends of a connected AF_UNIX stream socket pair,
// what Slurm gives each task as PMI_FD.
func socketPair(t *testing.T) (client, server *os.File) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	return os.NewFile(uintptr(fds[0]), "pmi2-client"), os.NewFile(uintptr(fds[1]), "pmi2-server")
}

// fileConn turns f into a net.Conn and closes f.
func fileConn(t *testing.T, f *os.File) net.Conn {
	t.Helper()
	c, err := net.FileConn(f)
	f.Close()
	require.NoError(t, err)
	return c
}

// serveFile serves the server end of a socket pair in the background.
func (f *fake2) serveFile(srv *os.File) {
	conn := fileConn(f.t, srv)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		conn.Close()
		return
	}
	f.conns[conn] = struct{}{}
	f.wg.Add(1)
	f.mu.Unlock()
	go func() {
		defer f.wg.Done()
		defer conn.Close()
		f.serve(conn)
	}()
}

// connect returns the client end of a new connection being served.
func (f *fake2) connect() net.Conn {
	cli, srv := socketPair(f.t)
	f.serveFile(srv)
	c := fileConn(f.t, cli)
	f.t.Cleanup(func() { c.Close() })
	return c
}

// client connects a pmi2Client for rank.
func (f *fake2) client(rank int) *pmi2Client {
	f.t.Helper()
	conn := f.connect()
	type result struct {
		c   *pmi2Client
		err error
	}
	r := within(f.t, "newPMI2Client", func() result {
		c, err := newPMI2Client(conn, f.jobID, rank)
		return result{c, err}
	})
	require.NoError(f.t, r.err)
	f.t.Cleanup(func() { r.c.Close() })
	return r.c
}

// serve runs one task's session.
func (f *fake2) serve(conn net.Conn) {
	if !f.serveInit(conn) {
		return
	}
	rank := -1 // as fullinit names it
	for {
		var field [lenFieldWidth]byte
		if _, err := io.ReadFull(conn, field[:]); err != nil {
			return // the client hung up (or aborted, or the fake closed)
		}
		n, ok := slurmAtoi(field[:])
		if !ok {
			f.violate("length field %q", field)
		}
		if n <= 0 {
			f.violate("request of length %d", n)
			f.send(conn, "cmd=finalize-response;rc=0;") // what Slurm does
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(conn, body); err != nil {
			f.violate("request cut short: %v", err)
			return
		}
		cmd, kv, err := slurmParse(body)
		if err != nil {
			f.violate("%v in %q", err, body)
			return
		}
		if f.reply != nil {
			if raw := f.reply(cmd); raw != nil {
				conn.Write(raw)
				return
			}
		}
		if !f.handle(conn, cmd, kv, &rank) {
			return
		}
	}
}

// serveInit handles the PMI-1-style first request.
func (f *fake2) serveInit(conn net.Conn) bool {
	var buf [64]byte
	n, err := conn.Read(buf[:]) // one read(), as Slurm's _handle_pmi1_init
	if err != nil {
		return false
	}
	line := string(buf[:n])
	f.mu.Lock()
	f.inits = append(f.inits, line)
	f.mu.Unlock()
	if n >= len(buf)-1 {
		f.violate("init request of %d bytes", n)
		return false
	}
	var v, sv int
	if _, err := fmt.Sscanf(line, "cmd=init pmi_version=%d pmi_subversion=%d\n", &v, &sv); err != nil || !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		f.violate("init request %q", line)
		return false
	}
	rc := 0
	f.mu.Lock()
	switch {
	case v == 2 && sv == 0 && f.version == 0:
		f.version = 2
	case v == 2 && sv == 0:
	default:
		rc = -1 // another version than the step's (or PMI-1, which we lack)
		f.version = 2
	}
	f.mu.Unlock()
	_, err = fmt.Fprintf(conn, "cmd=response_to_init rc=%d pmi_version=2 pmi_subversion=0\n", rc)
	return err == nil
}

// handle serves one request; false ends the session.
func (f *fake2) handle(conn net.Conn, cmd string, kv map[string]string, rank *int) bool {
	switch cmd {
	case "fullinit":
		*rank, _ = strconv.Atoi(kv["pmirank"])
		f.mu.Lock()
		f.fullinits = append(f.fullinits, kv)
		f.mu.Unlock()
		for _, k := range []string{"pmijobid", "pmirank", "threaded"} {
			if _, ok := kv[k]; !ok {
				f.violate("%s missing in fullinit command", k)
				return f.send(conn, "cmd=fullinit-response;rc=3;")
			}
		}
		if kv["pmijobid"] != f.jobID {
			f.violate("pmijobid=%s, want %s", kv["pmijobid"], f.jobID)
		}
		return f.send(conn, fmt.Sprintf("cmd=fullinit-response;rc=0;pmi-version=2;pmi-subversion=0;rank=%s;size=%d;appnum=-1;debugged=FALSE;pmiverbose=FALSE;",
			kv["pmirank"], f.size))
	case "job-getid":
		return f.send(conn, "cmd=job-getid-response;rc=0;jobid="+f.jobID+";")
	case "kvs-put":
		key, val := kv["key"], kv["value"]
		if key == "" || val == "" {
			f.violate("kvs-put without key or value: %v", kv)
		}
		f.mu.Lock()
		f.pending[key] = val
		f.mu.Unlock()
		return f.send(conn, "cmd=kvs-put-response;rc=0;")
	case "kvs-fence":
		f.mu.Lock()
		done := f.fenceDone
		f.fenced++
		if f.fenced == f.size {
			for k, v := range f.pending {
				f.committed[k] = v
			}
			clear(f.pending)
			f.fenced = 0
			close(done)
			f.fenceDone = make(chan struct{})
		}
		f.mu.Unlock()
		select {
		case <-done:
		case <-f.done:
			return false
		}
		return f.send(conn, "cmd=kvs-fence-response;rc=0;")
	case "kvs-get":
		if id, ok := kv["jobid"]; ok && id != f.jobID {
			f.violate("kvs-get jobid=%s, want %s", id, f.jobID)
		}
		if s, ok := kv["srcid"]; ok {
			if _, err := strconv.Atoi(s); err != nil {
				f.violate("kvs-get srcid=%q", s)
			}
		}
		f.mu.Lock()
		v, ok := f.committed[kv["key"]]
		f.mu.Unlock()
		if !ok {
			return f.send(conn, "cmd=kvs-get-response;rc=0;found=FALSE;")
		}
		return f.send(conn, "cmd=kvs-get-response;rc=0;found=TRUE;value="+v+";")
	case "info-getjobattr":
		if kv["key"] == "PMI_process_mapping" {
			return f.send(conn, "cmd=info-getjobattr-response;rc=0;found=TRUE;value="+f.mapping+";")
		}
		return f.send(conn, "cmd=info-getjobattr-response;rc=0;found=FALSE;")
	case "finalize":
		f.send(conn, "cmd=finalize-response;rc=0;")
		f.finalized <- *rank
		return false
	case "abort":
		f.aborts <- kv // no reply: Slurm kills the step
		return false
	}
	f.violate("invalid pmi2 command received: %q", cmd)
	return false
}

// send writes a reply as Slurm's client_resp_send does: "%-6d", then the
// body, in two writes.
func (f *fake2) send(conn net.Conn, body string) bool {
	if _, err := fmt.Fprintf(conn, "%-6d", len(body)); err != nil {
		return false
	}
	_, err := io.WriteString(conn, body)
	return err == nil
}

// slurmAtoi reads a length field as Slurm's atoi() does (leading blanks,
// digits, anything after ignored); ok reports whether the field was
// nothing but blanks around digits, as a client should send it.
func slurmAtoi(field []byte) (n int, ok bool) {
	s := strings.TrimLeft(string(field), " ")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, i > 0 && strings.TrimRight(s[i:], " ") == ""
}

// slurmParse parses a PMI-2 request body as Slurm's client_req_parse_body
// does: no escapes, every value ended by ';'.
func slurmParse(body []byte) (cmd string, kv map[string]string, err error) {
	s := string(body)
	if !strings.HasPrefix(s, "cmd=") {
		return "", nil, fmt.Errorf("request not begin with 'cmd='")
	}
	s = s[len("cmd="):]
	end := strings.IndexByte(s, ';')
	if end < 0 {
		return "", nil, fmt.Errorf("cmd not properly terminated in client request")
	}
	cmd, s = s[:end], s[end+1:]
	kv = make(map[string]string)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return "", nil, fmt.Errorf("no value for key %s in req", s)
		}
		semi := strings.IndexByte(s[eq+1:], ';')
		if semi < 0 {
			return "", nil, fmt.Errorf("value not properly terminated in client request")
		}
		key, val := s[:eq], s[eq+1:eq+1+semi]
		if _, dup := kv[key]; !dup {
			kv[key] = val
		}
		s = s[eq+1+semi+1:]
	}
	if bytes.ContainsAny(body, "\n\x00") {
		return "", nil, fmt.Errorf("newline or NUL in request")
	}
	return cmd, kv, nil
}
