package comm

import (
	"sync"
	"sync/atomic"
)

// Keyval names a kind of value that a package caches on communicators, as
// MPI_Comm_create_keyval does: package collective keeps its per-communicator
// state this way. Values live until the communicator is freed (Free) or
// unreachable; Dup and Split do not copy them.
type Keyval struct{ id int }

var keyvals struct {
	sync.Mutex
	n int
}

// NewKeyval returns a new key. Make one per kind of value, once (in a
// package variable), not per communicator.
func NewKeyval() *Keyval {
	keyvals.Lock()
	defer keyvals.Unlock()
	keyvals.n++
	return &Keyval{id: keyvals.n - 1}
}

// attrs holds a communicator's cached values, indexed by Keyval.id. Reads
// are lock-free (a load and an index), because collectives look their
// state up on every call; writes copy the slice under mu.
type attrs struct {
	mu   sync.Mutex
	vals atomic.Pointer[[]any]
}

// Attr returns the value cached on c under k, or nil (MPI_Comm_get_attr).
func (c *Comm) Attr(k *Keyval) any {
	if c == nil || k == nil {
		return nil
	}
	if p := c.attrs.vals.Load(); p != nil && k.id < len(*p) {
		return (*p)[k.id]
	}
	return nil
}

// AttrOrInit returns the value cached on c under k; if there is none, it
// caches and returns what init returns. Concurrent callers get the same
// value; init runs under a lock and must not call back into c's
// attributes. It returns nil for a nil communicator.
func (c *Comm) AttrOrInit(k *Keyval, init func() any) any {
	if v := c.Attr(k); v != nil || c == nil || k == nil {
		return v
	}
	c.attrs.mu.Lock()
	defer c.attrs.mu.Unlock()
	var old []any
	if p := c.attrs.vals.Load(); p != nil {
		old = *p
		if k.id < len(old) && old[k.id] != nil {
			return old[k.id]
		}
	}
	vals := make([]any, max(len(old), k.id+1))
	copy(vals, old)
	vals[k.id] = init()
	c.attrs.vals.Store(&vals)
	return vals[k.id]
}

// clear drops every cached value (Free).
func (a *attrs) clear() {
	a.mu.Lock()
	a.vals.Store(nil)
	a.mu.Unlock()
}
