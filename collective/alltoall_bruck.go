package collective

import "github.com/spmd-go/spmd/comm"

// alltoallBruck is Bruck's all-to-all for small equal blocks of n elements
// (as in MPICH's alltoall_intra_brucks.c), ⌈lg p⌉ steps for any p:
//
//  1. rotate: tmp block i = send block (r+i) mod p, the data for r+i;
//  2. for d = 1, 2, 4, … < p: send to r+d every tmp block i whose index
//     has bit d set, packed into one message, and receive the same blocks
//     from r−d into the same places; a block with index i has then moved i
//     ranks on in all, so tmp block i at rank r comes from rank r−i;
//  3. recv block (r−i) mod p = tmp block i.
//
// Cost: ⌈lg p⌉α + (np/2)⌈lg p⌉β per rank: each block travels up to lg p
// times, which is why it suits only small blocks. One role.
func alltoallBruck[T comm.Scalar](x *call, send, recv []T, n, role int) {
	p, me := x.size, x.rank
	tmp := scratchOf[T](x, p*n)
	half := (p/2 + 1) * n // room for the blocks of one step
	pack := scratchOf[T](x, 2*half)
	out, in := pack[:half], pack[half:]
	toVirtual(tmp, send, equalOffsets(p, n), me)
	for d := 1; d < p; d <<= 1 {
		k := 0
		for i := d; i < p; i++ {
			if i&d != 0 {
				copyHot(out[k*n:(k+1)*n], tmp[i*n:(i+1)*n])
				k++
			}
		}
		x.keep(exchange(x, out[:k*n], (me+d)%p, in[:k*n], (me-d+p)%p, role))
		k = 0
		for i := d; i < p; i++ {
			if i&d != 0 {
				copyHot(tmp[i*n:(i+1)*n], in[k*n:(k+1)*n])
				k++
			}
		}
	}
	for i := range p {
		j := (me - i + p) % p
		copyHot(recv[j*n:(j+1)*n], tmp[i*n:(i+1)*n])
	}
}
