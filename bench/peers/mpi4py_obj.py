#!/usr/bin/python3
"""mpi4py's lower-case (pickled object) API, measured as spmdbench measures
spmd's object API, so that scripts/compare-obj.sh can put them side by side.

  mpirun.openmpi -np 2 /usr/bin/python3 bench/peers/mpi4py_obj.py objlatency --min 8 --max 1M
  mpirun.openmpi -np 2 /usr/bin/python3 bench/peers/mpi4py_obj.py objallreduce --target 0.25

objlatency   one-way latency of a ping-pong of a bytes object of the size with
             comm.send / comm.recv (pickled), us; as spmdbench objlatency.
objallreduce comm.allreduce of a NumPy array of size/8 float64 with MPI.SUM
             (pickled, a + b), each call timed alone and followed by an
             untimed barrier, the mean over ranks, us; as spmdbench
             objallreduce.

Iterations: warm-up then timed, 1000 + 100 up to 8 KiB and 100 + 10 above
(spmdbench's defaults), or with --target SECONDS a timed count calibrated on
the warm-up (rank 0's, broadcast) to take about that long, within 3..1000000.
Rank 0 prints '# ' comment lines and 'SIZE VALUE' rows.
"""

import argparse
import sys
import time

from mpi4py import MPI

import numpy as np


def size_arg(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper()
    if s and s[-1] in mult:
        return int(s[:-1]) * mult[s[-1]]
    return int(s)


def sizes(lo, hi):
    out, n = [], lo
    if n == 0:
        out.append(0)
        n = 1
    while n <= hi:
        out.append(n)
        n *= 2
    return out


def counts(args, size):
    if size > args.large:
        return args.warmup_large, args.iters_large
    return args.warmup, args.iters


def calibrate(comm, args, size, warm_n, warm_t):
    _, iters = counts(args, size)
    if args.target > 0:
        per = warm_t / max(warm_n, 1)
        iters = int(min(max(args.target / per if per > 0 else args.min_iters, args.min_iters), args.max_iters))
    return comm.bcast(iters, root=0)


def objlatency(comm, args):
    rank = comm.Get_rank()
    peer = 1 - rank
    tag = 1
    out = []
    for size in sizes(args.min, args.max):
        buf = bytes(size)

        def step():
            if rank == 0:
                comm.send(buf, dest=peer, tag=tag)
                comm.recv(source=peer, tag=tag)
            else:
                comm.recv(source=peer, tag=tag)
                comm.send(buf, dest=peer, tag=tag)

        comm.Barrier()
        warm, _ = counts(args, size)
        t0 = time.perf_counter()
        for _ in range(warm):
            step()
        iters = calibrate(comm, args, size, warm, time.perf_counter() - t0)
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(iters):
            step()
        t = MPI.Wtime() - t0
        out.append((size, t * 1e6 / (2 * iters), iters))
    return out


def objallreduce(comm, args):
    out = []
    for size in sizes(max(args.min, 8), args.max):
        a = np.ones(size // 8)
        comm.Barrier()
        warm, _ = counts(args, size)
        t0 = time.perf_counter()
        for _ in range(warm):
            comm.allreduce(a, op=MPI.SUM)
            comm.Barrier()
        iters = calibrate(comm, args, size, warm, time.perf_counter() - t0)
        timed = 0.0
        for _ in range(iters):
            t = MPI.Wtime()
            comm.allreduce(a, op=MPI.SUM)
            timed += MPI.Wtime() - t
            comm.Barrier()
        lat = timed * 1e6 / iters
        total = comm.allreduce(lat, op=MPI.SUM)
        lo = comm.allreduce(lat, op=MPI.MIN)
        hi = comm.allreduce(lat, op=MPI.MAX)
        out.append((size, total / comm.Get_size(), iters, lo, hi))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bench", choices=["objlatency", "objallreduce"])
    p.add_argument("--min", type=size_arg, default=None)
    p.add_argument("--max", type=size_arg, default=None)
    p.add_argument("--iters", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--iters-large", type=int, default=100)
    p.add_argument("--warmup-large", type=int, default=10)
    p.add_argument("--large", type=size_arg, default=8 << 10)
    p.add_argument("--target", type=float, default=0.0, help="seconds per size (0: fixed counts)")
    p.add_argument("--min-iters", type=int, default=3)
    p.add_argument("--max-iters", type=int, default=1000000)
    args = p.parse_args()
    if args.min is None:
        args.min = 0 if args.bench == "objlatency" else 8
    if args.max is None:
        args.max = (16 << 20) if args.bench == "objlatency" else (1 << 20)
    comm = MPI.COMM_WORLD
    if args.bench == "objlatency" and comm.Get_size() != 2:
        if comm.Get_rank() == 0:
            print("mpi4py_obj.py: objlatency needs exactly 2 ranks", file=sys.stderr)
        return 2
    rows = objlatency(comm, args) if args.bench == "objlatency" else objallreduce(comm, args)
    if comm.Get_rank() == 0:
        print("# mpi4py %s (%s), Python %s, NumPy %s, %d ranks, thread level %s" % (
            __import__("mpi4py").__version__, MPI.Get_library_version().splitlines()[0].split(",")[0],
            sys.version.split()[0], np.__version__, comm.Get_size(), MPI.Query_thread()))
        if args.bench == "objlatency":
            print("# %s %s" % ("pickled comm.send/comm.recv of bytes,", "one-way latency"))
            print("%-10s%18s" % ("# Size", "Latency (us)"))
            for size, us, _ in rows:
                print("%-10d%18.3f" % (size, us))
        else:
            print("# pickled comm.allreduce of a float64 NumPy array, MPI.SUM")
            print("%-10s%18s%18s%18s%12s" % ("# Size", "Avg Latency(us)", "Min Latency(us)", "Max Latency(us)", "Iterations"))
            for size, us, iters, lo, hi in rows:
                print("%-10d%18.3f%18.3f%18.3f%12d" % (size, us, lo, hi, iters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
