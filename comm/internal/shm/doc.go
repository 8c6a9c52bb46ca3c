// Package shm is spmd's shared-memory transport between ranks on one host.
//
// Each rank creates one segment in /dev/shm holding a ring for every local
// sender (mode 0600, unlinked as soon as every local peer has mapped it, so
// a crash leaves nothing behind). A ring is a single-producer,
// single-consumer stream of frames: the producer copies a frame in and
// then stores its seal, a word in the frame's first cache line, so that a
// small message crosses between cores as one line; the consumer polls the
// next seal, copies the frame out (or reads it in place) and publishes its
// tail, on a cache line of its own. Rings carry spmd's ordinary frames, so
// everything above the transport (matching, eager and rendezvous, credits)
// is the same over shared memory and TCP.
//
// A side that finds the ring empty (or full) spins briefly, then yields,
// then sleeps on a futex in the shared segment that the other side wakes:
// latency stays low while messages flow, and an oversubscribed host (more
// ranks than cores) is not burned by spinning ranks.
//
// Large messages can skip the ring altogether: with Linux cross-memory
// attach (process_vm_readv) the receiver copies straight out of the
// sender's buffer, one copy instead of two. Whether the kernel allows it
// (ptrace policy, seccomp in containers) is probed per peer at start-up.
package shm
