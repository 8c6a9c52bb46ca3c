package osu

// buffers returns separate send and receive buffers of n bytes, both
// written so that their pages exist before timing (as OSU touches its
// buffers); the send buffer holds 'a' and the receive buffer 'b'.
func buffers(n int) (send, recv []byte) {
	send, recv = make([]byte, n), make([]byte, n)
	for i := range send {
		send[i], recv[i] = 'a', 'b'
	}
	return send, recv
}
