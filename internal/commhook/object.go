package commhook

// sendrecvObj holds a func(C, any, int, int, any, int, int) error with C =
// *comm.Comm, set once by comm's init and only read afterwards.
var sendrecvObj any

// SetSendrecvObj registers f as the function that sends an object and
// receives one at once, as comm.SendObj and comm.RecvObj do each, without
// the order of the two deciding whether two ranks exchanging large values
// deadlock. Package comm calls it once, at init.
func SetSendrecvObj[C any](f func(c C, v any, dest, sendTag int, ptr any, source, recvTag int) error) {
	sendrecvObj = f
}

// SendrecvObj sends v to rank dest of c with sendTag and receives into ptr
// from rank source with recvTag, at once. It panics if C is not the type
// comm registered.
func SendrecvObj[C any](c C, v any, dest, sendTag int, ptr any, source, recvTag int) error {
	return sendrecvObj.(func(C, any, int, int, any, int, int) error)(c, v, dest, sendTag, ptr, source, recvTag)
}
