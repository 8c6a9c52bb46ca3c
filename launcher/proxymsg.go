package launcher

import (
	"fmt"
	"time"

	"github.com/spmd-go/spmd/internal/pmi"
)

// proxySpec is what the root tells a proxy to run: the first frame after
// the handshake.
type proxySpec struct {
	Host           string // the host's name as the job's mapping has it
	JobID, KVSName string
	Size           int      // ranks in the whole job
	Program        string   // as the user named it; looked up on the proxy's host
	Args, Env      []string // Env: KEY=VALUE added to the proxy's environment
	Dir            string   // working directory of the ranks
	Ranks          []int    // the ranks on this host, in node-local order
	Mapping        string   // PMI_process_mapping
	OmitMapping    bool
	Grace          time.Duration // SIGTERM to SIGKILL when the proxy ends its ranks itself
	Stdin          bool          // rank 0 is here and reads the root's standard input
	BindTo         Binding       // the job's binding policy (Job.BindTo), applied to this host's ranks
}

func (p *proxySpec) encode() []byte {
	var e encoder
	e.str(p.Host)
	e.str(p.JobID)
	e.str(p.KVSName)
	e.int(p.Size)
	e.str(p.Program)
	e.strs(p.Args)
	e.strs(p.Env)
	e.str(p.Dir)
	e.ints(p.Ranks)
	e.str(p.Mapping)
	e.bool(p.OmitMapping)
	e.uint(uint64(p.Grace.Milliseconds()))
	e.bool(p.Stdin)
	e.str(string(p.BindTo))
	return e.b
}

func decodeSpec(b []byte) (*proxySpec, error) {
	d := decoder{b: b}
	p := &proxySpec{
		Host: d.str(), JobID: d.str(), KVSName: d.str(), Size: d.int(),
		Program: d.str(), Args: d.strs(), Env: d.strs(), Dir: d.str(),
		Ranks: d.ints(), Mapping: d.str(), OmitMapping: d.bool(),
		Grace: time.Duration(d.uint()) * time.Millisecond, Stdin: d.bool(),
		BindTo: Binding(d.str()),
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if _, err := ParseBinding(string(p.BindTo)); err != nil {
		return nil, fmt.Errorf("%w: %w", errFrame, err)
	}
	return p, nil
}

// fenceMsg carries puts: a proxy's ranks' puts into a barrier (frFence),
// or the barrier's outcome with all its puts (frFenceDone; Err not empty
// when it failed).
type fenceMsg struct {
	Err  string
	Puts []pmi.KV
}

func (f *fenceMsg) encode() []byte {
	var e encoder
	e.str(f.Err)
	e.uint(uint64(len(f.Puts)))
	for _, kv := range f.Puts {
		e.int(kv.Rank)
		e.str(kv.Key)
		e.str(kv.Value)
	}
	return e.b
}

func decodeFence(b []byte) (*fenceMsg, error) {
	d := decoder{b: b}
	f := &fenceMsg{Err: d.str()}
	if n := d.count(); n > 0 {
		f.Puts = make([]pmi.KV, n)
		for i := range f.Puts {
			f.Puts[i] = pmi.KV{Rank: d.int(), Key: d.str(), Value: d.str()}
		}
	}
	return f, d.end()
}

// signalMsg asks a proxy to signal ranks' process groups: all of its ranks
// when Ranks is empty.
type signalMsg struct {
	Signal int
	Ranks  []int
}

func (s *signalMsg) encode() []byte {
	var e encoder
	e.int(s.Signal)
	e.ints(s.Ranks)
	return e.b
}

func decodeSignal(b []byte) (*signalMsg, error) {
	d := decoder{b: b}
	s := &signalMsg{Signal: d.int(), Ranks: d.ints()}
	return s, d.end()
}

// outputMsg is a chunk of a rank's standard output (Stream 0) or error
// (1); an empty Data ends the stream.
type outputMsg struct {
	Rank, Stream int
	Data         []byte
}

func (o *outputMsg) encode() []byte {
	var e encoder
	e.int(o.Rank)
	e.int(o.Stream)
	e.bytes(o.Data)
	return e.b
}

func decodeOutput(b []byte) (*outputMsg, error) {
	d := decoder{b: b}
	o := &outputMsg{Rank: d.int(), Stream: d.int(), Data: d.bytes()}
	if d.err == nil && o.Stream != 0 && o.Stream != 1 {
		d.fail("output stream")
	}
	return o, d.end()
}

// rankMsg is news of one rank from its proxy: started (Pid), notice (a put
// the root watches: Key, Value), abort (Code, Value: the message), closed
// (Active, Finalized), exit (Code or Signal, Unfinalized; NotStarted with
// Value the reason when the rank could not be started). Age is how long
// before sending the proxy observed it, so that the root can order events
// from different hosts without comparing their clocks.
type rankMsg struct {
	Rank, Pid, Code, Signal               int
	Active, Finalized, Unfinalized, Never bool
	Age                                   time.Duration
	Key, Value                            string
}

func (m *rankMsg) encode() []byte {
	var e encoder
	e.int(m.Rank)
	e.int(m.Pid)
	e.int(m.Code)
	e.int(m.Signal)
	e.bool(m.Active)
	e.bool(m.Finalized)
	e.bool(m.Unfinalized)
	e.bool(m.Never)
	e.uint(uint64(max(m.Age, 0)))
	e.str(m.Key)
	e.str(m.Value)
	return e.b
}

func decodeRank(b []byte) (*rankMsg, error) {
	d := decoder{b: b}
	m := &rankMsg{Rank: d.int(), Pid: d.int(), Code: d.int(), Signal: d.int(),
		Active: d.bool(), Finalized: d.bool(), Unfinalized: d.bool(), Never: d.bool()}
	age := d.uint()
	if age > uint64(time.Hour) {
		d.fail("age")
	}
	m.Age = time.Duration(age)
	m.Key, m.Value = d.str(), d.str()
	return m, d.end()
}

// lostMsg tells a proxy that a rank of the job is gone (frLost), for it to
// tell its own ranks (see lossnotify.go).
type lostMsg struct {
	Rank  int
	Cause string
}

func (m *lostMsg) encode() []byte {
	var e encoder
	e.int(m.Rank)
	e.str(m.Cause)
	return e.b
}

func decodeLost(b []byte) (*lostMsg, error) {
	d := decoder{b: b}
	m := &lostMsg{Rank: d.int(), Cause: d.str()}
	if d.err == nil && m.Rank < 0 {
		d.fail("rank")
	}
	return m, d.end()
}
