// Package objcodec encodes the values that spmd's object API (comm.SendObj,
// comm.RecvObj and the object collectives) moves between ranks, and decodes
// them without trusting the bytes.
//
// Every message starts with an 8-byte header: the kind of its payload in
// the first byte, three zero bytes, then a little-endian uint32 that only
// gob messages in a stream use (the number of type-description chunks the
// receiver must have applied before it decodes the value). The payload
// follows. A long payload of plain bytes may instead travel split: a
// 16-byte head (the header with a flag, a sequence number in place of the
// generation, and the payload's length) in one message, and the payload's
// bytes in another, sent from the sender's memory and received straight
// into the receiver's value (View, PutSplit, Split, Into).
//
// The kinds fall in three families:
//
//   - Fast kinds carry the bytes of a []byte, a string, a slice of one of
//     Go's numeric types, or one numeric or bool value, as they lie in
//     memory. Encoding is a copy; decoding checks the kind against the
//     receiver's pointer and copies back (or, for []byte, may keep the
//     received buffer).
//   - KindBinary carries what a value's MarshalBinary returned; the
//     receiver's pointer must implement encoding.BinaryUnmarshaler.
//   - KindGobStream carries one gob value message of a stream whose type
//     descriptions travel separately, once (GobEncoder, GobDecoder);
//     KindGobSelf carries a complete gob stream, descriptions included, for
//     values that are sent once to many ranks.
//
// The encoding is for ranks of one build: sizes and byte order are those of
// the machine, and the kind numbers may change between versions.
//
// A decoder fails with an error wrapping ErrMalformed for bytes no encoder
// wrote (truncated, unknown kind, bad lengths) and ErrType when the message
// holds another type than the receiver asked for; it never panics.
package objcodec
