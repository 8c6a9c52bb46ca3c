package match

// node links an element into one intrusive doubly-linked list, so queue
// operations never allocate.
type node[T any] struct {
	next, prev *T
}

// list is an intrusive FIFO of *T whose node is reached through link.
type list[T any] struct {
	head, tail *T
	n          int
}

func (l *list[T]) pushBack(x *T, link func(*T) *node[T]) {
	nx := link(x)
	nx.prev, nx.next = l.tail, nil
	if l.tail != nil {
		link(l.tail).next = x
	} else {
		l.head = x
	}
	l.tail = x
	l.n++
}

func (l *list[T]) remove(x *T, link func(*T) *node[T]) {
	nx := link(x)
	if nx.prev != nil {
		link(nx.prev).next = nx.next
	} else {
		l.head = nx.next
	}
	if nx.next != nil {
		link(nx.next).prev = nx.prev
	} else {
		l.tail = nx.prev
	}
	nx.next, nx.prev = nil, nil
	l.n--
}
