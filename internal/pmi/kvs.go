package pmi

import (
	"fmt"
	"strings"
	"sync"
)

// replyError is a failure a Server reports to the client in its reply as
// rc=<rc> msg=<msg>. msg is space-free so that every client can parse it.
type replyError struct {
	rc  int
	msg string
}

func (e *replyError) Error() string { return fmt.Sprintf("rc=%d msg=%s", e.rc, e.msg) }

// Reply errors. rc=1 with key_not_found is what Hydra sends for a missing
// key; other failures use -1.
var (
	errKeyNotFound  = &replyError{1, "key_not_found"}
	errDuplicateKey = &replyError{-1, "duplicate_key"}
	errReservedKey  = &replyError{-1, "reserved_key_PMI_prefix"}
	errServerClosed = &replyError{-1, "server_closed"}
)

// job is the state that one job's ranks share: the key-value space and the
// barrier. It knows nothing of connections or the wire, so it can be tested
// step by step; the Server drives it from one goroutine per connection.
//
// Visibility follows the PMI-1 rule strictly: a put is visible to the rank
// that made it at once, and to the other ranks only after the next barrier
// has completed. Hydra (across nodes) and Slurm behave that way too, so a
// program that forgets the barrier fails under spmdrun as it would there,
// rather than working by luck.
type job struct {
	size    int
	members int                      // ranks that enter each barrier here: size, or a node's share
	relay   func([]KV) ([]KV, error) // with a node's share: completes the barrier job-wide

	mu        sync.Mutex
	committed map[string]string   // visible to every rank
	pending   []map[string]string // pending[r]: rank r's puts since the last barrier
	gone      []bool              // gone[r]: rank r's connection has ended
	firstGone int                 // lowest gone rank, or -1
	bar       *barrier            // the barrier now filling
	closed    bool
}

// barrier is one generation of the job-wide barrier. done is closed when it
// completes or fails; err (nil on success) is set before that, so a waiter
// that has seen done closed may read it.
type barrier struct {
	in      []bool
	entered int
	done    chan struct{}
	err     *replyError
	puts    []KV // on success: every put the barrier made visible
}

// KV is one put: the rank that made it, the key and the value.
type KV struct {
	Rank       int
	Key, Value string
}

func newBarrier(size int) *barrier {
	return &barrier{in: make([]bool, size), done: make(chan struct{})}
}

func newJob(size int) *job {
	j := &job{
		size:      size,
		members:   size,
		committed: make(map[string]string),
		pending:   make([]map[string]string, size),
		gone:      make([]bool, size),
		firstGone: -1,
		bar:       newBarrier(size),
	}
	for r := range j.pending {
		j.pending[r] = make(map[string]string)
	}
	return j
}

// put records key=val for rank. Keys are single-assignment across the whole
// job (RFC 13: a key SHALL NOT be put twice), so a key already committed or
// pending from any rank is refused, as is the reserved PMI_ prefix.
func (j *job) put(rank int, key, val string) *replyError {
	j.mu.Lock()
	defer j.mu.Unlock()
	if rerr := j.checkPutLocked(key); rerr != nil {
		return rerr
	}
	j.pending[rank][key] = val
	return nil
}

// checkPutLocked refuses a key that is reserved or already put.
func (j *job) checkPutLocked(key string) *replyError {
	if strings.HasPrefix(key, "PMI_") {
		return errReservedKey
	}
	if _, ok := j.committed[key]; ok {
		return errDuplicateKey
	}
	for _, p := range j.pending {
		if _, ok := p[key]; ok {
			return errDuplicateKey
		}
	}
	return nil
}

// get returns the value of key as rank sees it: committed puts plus the
// rank's own pending ones. It never waits for a key to appear; PMI-1 get
// does not block.
func (j *job) get(rank int, key string) (string, *replyError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if v, ok := j.pending[rank][key]; ok {
		return v, nil
	}
	if v, ok := j.committed[key]; ok {
		return v, nil
	}
	return "", errKeyNotFound
}

// enterBarrier enters rank into the current barrier and returns it; the
// caller waits on its done channel. The barrier completes when all size
// ranks have entered, and then every pending put becomes visible. It fails
// at once if the job is closed or some rank's connection has ended, since
// that rank can never enter.
func (j *job) enterBarrier(rank int) (*barrier, *replyError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, errServerClosed
	}
	if j.firstGone >= 0 {
		return nil, goneError(j.firstGone)
	}
	b := j.bar
	if b.in[rank] {
		// The per-connection lock-step makes this unreachable for a
		// well-behaved server; refuse rather than count a rank twice.
		return nil, &replyError{-1, "already_in_barrier"}
	}
	b.in[rank] = true
	b.entered++
	if b.entered == j.members {
		j.completeLocked(b)
	}
	return b, nil
}

// enterMany enters ranks into the current barrier on behalf of another
// node's server, with the puts its ranks made since the last barrier. The
// puts are checked as single puts are; a refused one fails the call and
// enters no rank.
func (j *job) enterMany(ranks []int, puts []KV) (*barrier, *replyError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return nil, errServerClosed
	case j.firstGone >= 0:
		return nil, goneError(j.firstGone)
	}
	b := j.bar
	seen := make(map[string]bool, len(puts))
	for _, kv := range puts {
		if kv.Rank < 0 || kv.Rank >= j.size {
			return nil, &replyError{-1, "put_from_rank_out_of_range"}
		}
		if rerr := j.checkPutLocked(kv.Key); rerr != nil {
			return nil, rerr
		}
		if seen[kv.Key] {
			return nil, errDuplicateKey
		}
		seen[kv.Key] = true
	}
	for _, r := range ranks {
		if r < 0 || r >= j.size || b.in[r] {
			return nil, &replyError{-1, "barrier_rank_invalid_or_repeated"}
		}
	}
	for _, kv := range puts {
		j.pending[kv.Rank][kv.Key] = kv.Value
	}
	for _, r := range ranks {
		b.in[r] = true
	}
	b.entered += len(ranks)
	if b.entered == j.members {
		j.completeLocked(b)
	}
	return b, nil
}

// completeLocked ends barrier b, which every member has entered: the
// pending puts become visible, or, on a node's server, go to the relay,
// whose answer (the whole job's puts) becomes visible when it returns.
func (j *job) completeLocked(b *barrier) {
	var puts []KV
	for r, p := range j.pending {
		for k, v := range p {
			puts = append(puts, KV{Rank: r, Key: k, Value: v})
		}
		clear(p)
	}
	j.bar = newBarrier(j.size)
	if j.relay == nil {
		j.commitLocked(b, puts)
		return
	}
	go func() {
		all, err := j.relay(puts)
		j.mu.Lock()
		defer j.mu.Unlock()
		if err != nil {
			b.err = &replyError{-1, "barrier_failed_upstream"}
			close(b.done)
			return
		}
		j.commitLocked(b, all)
	}()
}

// commitLocked makes puts visible and completes b.
func (j *job) commitLocked(b *barrier, puts []KV) {
	for _, kv := range puts {
		j.committed[kv.Key] = kv.Value
	}
	b.puts = puts
	close(b.done)
}

// leave records that rank's connection has ended. A barrier that is filling
// fails, because the rank can no longer enter it (or, if it had entered,
// its peers must not proceed believing it alive); so do all later ones.
func (j *job) leave(rank int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.gone[rank] {
		return
	}
	j.gone[rank] = true
	if j.firstGone < 0 || rank < j.firstGone {
		j.firstGone = rank
	}
	j.failBarrierLocked(goneError(j.firstGone))
}

// close fails the filling barrier and all later ones.
func (j *job) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	j.failBarrierLocked(errServerClosed)
}

func (j *job) failBarrierLocked(err *replyError) {
	b := j.bar
	if b.entered == 0 {
		return
	}
	b.err = err
	j.bar = newBarrier(j.size)
	close(b.done)
}

func goneError(rank int) *replyError {
	return &replyError{-1, fmt.Sprintf("barrier_failed_rank_%d_disconnected", rank)}
}
