// Package wire defines the frames that spmd ranks exchange over byte-stream
// transports (TCP, and the in-memory self link) and the connection handshake.
//
// It is the only code in spmd that decodes bytes received from a peer. Every
// decoder validates magic, version, kind and lengths against explicit limits
// before the caller allocates or reads anything further, so a malformed or
// hostile peer yields an error, never a panic or an unbounded allocation.
//
// All integers are little-endian: every platform spmd targets is, and the
// encoding then compiles to plain loads and stores.
package wire
