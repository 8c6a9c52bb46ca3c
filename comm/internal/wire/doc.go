// Package wire defines the frames that spmd ranks exchange over byte-stream
// transports (TCP, and the in-memory self link), the connection handshake,
// and the pair set-up that follows it on a connection made on first use
// (Offer, Verdict, Confirm: which of two crossing connections a pair keeps,
// and its shared-memory segment).
//
// It is the only code in spmd that decodes bytes received from a peer. Every
// decoder validates magic, version, kind and lengths against explicit limits
// before the caller allocates or reads anything further, so a malformed or
// hostile peer yields an error, never a panic or an unbounded allocation.
//
// All integers are little-endian: every platform spmd targets is, and the
// encoding then compiles to plain loads and stores.
package wire
