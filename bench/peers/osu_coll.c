/*
 * osu_coll.c: spmd's MPI peer for collective benchmarks.
 *
 * It measures an MPI implementation's collectives by exactly the method of
 * spmdbench (bench/osu/coll.go, the OSU Micro-Benchmarks method of
 * osu_allreduce, osu_bcast, ...), and prints the same table, so that the
 * columns compare like with like:
 *
 *   mpirun -np 4 ./osu_coll allreduce [flags]
 *
 * Benchmarks: allreduce, reduce, reduce_scatter (size/8 doubles in all,
 * MPI_SUM, root 0); bcast (size bytes from rank 0); gather, scatter,
 * allgather (size bytes per rank, root 0); alltoall (size bytes per pair);
 * barrier (one row, size 0).
 *
 * For each size: MPI_Barrier, warm-up iterations, then the timed ones; each
 * iteration times one call alone and is followed by an untimed MPI_Barrier
 * (barrier itself is timed call after call). Each rank averages its timed
 * calls; the table gives the mean over ranks, the minimum and the maximum,
 * in microseconds, and the iterations.
 *
 * Flags (defaults as spmdbench's): --min N --max N (bytes, K/M/G suffixes;
 * default 1 (8 for the reductions) .. 1M), --iters N --warmup N (sizes up to
 * --large, 8K; default 1000/200), --iters-large N --warmup-large N (100/10),
 * --target D (e.g. 250ms: rank 0 calibrates the timed count per size from
 * the warm-up's wall time, barriers included; 0 = fixed counts)
 * --min-iters N --max-iters N, and --transport LABEL (header only).
 *
 * Build: mpicc.openmpi -O2 -Wall -o bin/osu_coll.openmpi bench/peers/osu_coll.c
 *        mpicc.mpich   -O2 -Wall -o bin/osu_coll.mpich   bench/peers/osu_coll.c
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

enum kind { ALLREDUCE, REDUCE, BCAST, BARRIER, GATHER, SCATTER, ALLGATHER, ALLTOALL, REDUCE_SCATTER, NKINDS };

static const char *names[NKINDS] = {"allreduce", "reduce", "bcast", "barrier", "gather",
				    "scatter", "allgather", "alltoall", "reduce_scatter"};
static const char *mpi_names[NKINDS] = {"MPI_Allreduce", "MPI_Reduce", "MPI_Bcast", "MPI_Barrier",
					"MPI_Gather", "MPI_Scatter", "MPI_Allgather", "MPI_Alltoall",
					"MPI_Reduce_scatter"};

enum { ROOT = 0 };

struct options {
	enum kind kind;
	long min_size, max_size, large_size;
	long warmup, iters, warmup_large, iters_large;
	long min_iters, max_iters;
	double target; /* seconds; 0 = fixed counts */
	const char *transport;
};

#define OSU_PROG "osu_coll"
static int rank, nranks;

#include "osu_common.h"

static int is_reduction(enum kind k) { return k == ALLREDUCE || k == REDUCE || k == REDUCE_SCATTER; }

static struct options parse_args(int argc, char **argv)
{
	struct options o = {
		.min_size = 1, .max_size = 1L << 20, .large_size = 8L << 10,
		.warmup = 200, .iters = 1000, .warmup_large = 10, .iters_large = 100,
		.min_iters = 3, .max_iters = 1000000, .target = 0,
		.transport = "default",
	};
	if (argc < 2)
		die("usage: osu_coll allreduce|reduce|bcast|barrier|gather|scatter|allgather|alltoall|reduce_scatter [flags]", NULL);
	o.kind = NKINDS;
	for (int k = 0; k < NKINDS; k++)
		if (strcmp(argv[1], names[k]) == 0)
			o.kind = (enum kind)k;
	if (strcmp(argv[1], "reduce-scatter") == 0)
		o.kind = REDUCE_SCATTER;
	if (o.kind == NKINDS)
		die("unknown benchmark", argv[1]);
	if (is_reduction(o.kind))
		o.min_size = 8;
	for (int i = 2; i < argc; i++) {
		const char *f = argv[i];
		while (*f == '-')
			f++;
		if (i + 1 >= argc)
			die("flag needs a value", argv[i]);
		const char *v = argv[++i];
		if (strcmp(f, "min") == 0) o.min_size = parse_size(v);
		else if (strcmp(f, "max") == 0) o.max_size = parse_size(v);
		else if (strcmp(f, "large") == 0) o.large_size = parse_size(v);
		else if (strcmp(f, "iters") == 0) o.iters = parse_count(v);
		else if (strcmp(f, "warmup") == 0) o.warmup = parse_count(v);
		else if (strcmp(f, "iters-large") == 0) o.iters_large = parse_count(v);
		else if (strcmp(f, "warmup-large") == 0) o.warmup_large = parse_count(v);
		else if (strcmp(f, "min-iters") == 0) o.min_iters = parse_count(v);
		else if (strcmp(f, "max-iters") == 0) o.max_iters = parse_count(v);
		else if (strcmp(f, "target") == 0) o.target = parse_duration(v);
		else if (strcmp(f, "transport") == 0) o.transport = v;
		else die("unknown flag", argv[i - 1]);
	}
	if (o.kind == BARRIER)
		o.min_size = 0, o.max_size = 0; /* one row, whatever the sizes (as spmdbench) */
	if (o.max_size < o.min_size || o.iters < 1 || o.iters_large < 1 ||
	    o.min_iters < 1 || o.max_iters < o.min_iters)
		die("inconsistent options", NULL);
	if (o.max_size > (1L << 30) / nranks)
		die("--max too large", NULL);
	return o;
}

/* ---- buffers and the measured call ----------------------------------- */

struct bufs {
	char *send, *recv;     /* the collectives that move bytes */
	double *fsend, *frecv; /* the reductions */
	int *counts;           /* reduce_scatter's recvcounts */
};

static void *alloc(size_t n, int fill)
{
	void *p = NULL;
	if (n == 0)
		n = 1;
	if (posix_memalign(&p, 64, n))
		die("out of memory", NULL);
	memset(p, fill, n); /* touch before timing */
	return p;
}

static void alloc_bufs(struct bufs *b, const struct options *o)
{
	size_t max = (size_t)o->max_size, p = (size_t)nranks;
	memset(b, 0, sizeof *b);
	b->counts = calloc(p, sizeof(int));
	if (!b->counts)
		die("out of memory", NULL);
	switch (o->kind) {
	case ALLREDUCE: case REDUCE: case REDUCE_SCATTER: {
		size_t n = max / 8;
		b->fsend = alloc(n * sizeof(double), 0);
		b->frecv = alloc(n * sizeof(double), 0);
		for (size_t i = 0; i < n; i++)
			b->fsend[i] = 1.0;
		break;
	}
	case BCAST:
		b->send = alloc(max, 'a');
		break;
	case GATHER: case SCATTER: case ALLGATHER: case ALLTOALL:
		b->send = alloc(p * max, 'a');
		b->recv = alloc(p * max, 'b');
		break;
	default:
		break;
	}
}

/* prepare sets what a size needs before its calls: reduce_scatter's counts,
 * n/p each, the first n%p one more (as spmdbench). */
static void prepare(struct bufs *b, const struct options *o, long size)
{
	if (o->kind != REDUCE_SCATTER)
		return;
	int n = (int)(size / 8);
	for (int i = 0; i < nranks; i++)
		b->counts[i] = n / nranks + (i < n % nranks);
}

static void call(struct bufs *b, const struct options *o, long size)
{
	int n = (int)(size / 8), s = (int)size;
	switch (o->kind) {
	case ALLREDUCE:
		MPI_Allreduce(b->fsend, b->frecv, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		break;
	case REDUCE:
		MPI_Reduce(b->fsend, b->frecv, n, MPI_DOUBLE, MPI_SUM, ROOT, MPI_COMM_WORLD);
		break;
	case REDUCE_SCATTER:
		MPI_Reduce_scatter(b->fsend, b->frecv, b->counts, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		break;
	case BCAST:
		MPI_Bcast(b->send, s, MPI_CHAR, ROOT, MPI_COMM_WORLD);
		break;
	case BARRIER:
		MPI_Barrier(MPI_COMM_WORLD);
		break;
	case GATHER:
		MPI_Gather(b->send, s, MPI_CHAR, b->recv, s, MPI_CHAR, ROOT, MPI_COMM_WORLD);
		break;
	case SCATTER:
		MPI_Scatter(b->send, s, MPI_CHAR, b->recv, s, MPI_CHAR, ROOT, MPI_COMM_WORLD);
		break;
	case ALLGATHER:
		MPI_Allgather(b->send, s, MPI_CHAR, b->recv, s, MPI_CHAR, MPI_COMM_WORLD);
		break;
	case ALLTOALL:
		MPI_Alltoall(b->send, s, MPI_CHAR, b->recv, s, MPI_CHAR, MPI_COMM_WORLD);
		break;
	default:
		break;
	}
}

/* ---- output ---------------------------------------------------------- */

static void print_header(const struct options *o)
{
	char lib[MPI_MAX_LIBRARY_VERSION_STRING], host[256] = "unknown", cpu[256], date[64];
	int len;
	struct utsname u;
	time_t now = time(NULL);

	MPI_Get_library_version(lib, &len);
	lib[strcspn(lib, "\n,")] = '\0'; /* first line (Open MPI: before the first comma) */
	for (char *p = lib; *p; p++)
		if (*p == '\t')
			*p = ' ';
	gethostname(host, sizeof host - 1);
	cpu_model(cpu, sizeof cpu);
	uname(&u);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	printf("# OSU-method %s Latency Test (%s)\n# host: %s\n# cpu: %s\n# cores: %ld\n# os: %s/%s\n"
	       "# transport: %s\n# date: %s\n# ranks: %d\n# algorithm: default\n",
	       mpi_names[o->kind], lib, host, cpu, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.machine,
	       o->transport, date, nranks);
	printf("%-10s%18s%18s%18s%12s\n", "# Size", "Avg Latency(us)", "Min Latency(us)", "Max Latency(us)",
	       "Iterations");
	fflush(stdout);
}

/* ---- the method ------------------------------------------------------ */

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	struct options o = parse_args(argc, argv);
	int separate = o.kind != BARRIER;
	struct bufs b;
	alloc_bufs(&b, &o);

	if (rank == 0)
		print_header(&o);
	for (long size = o.min_size; size <= o.max_size; size = size ? 2 * size : 1) {
		int large = size > o.large_size;
		long warmup = large ? o.warmup_large : o.warmup;
		long iters = large ? o.iters_large : o.iters;
		prepare(&b, &o, size);

		MPI_Barrier(MPI_COMM_WORLD);
		double t0 = MPI_Wtime();
		for (long i = 0; i < warmup; i++) {
			call(&b, &o, size);
			if (separate)
				MPI_Barrier(MPI_COMM_WORLD);
		}
		if (o.target > 0) { /* rank 0 calibrates from its warm-up, barriers included */
			double dt = MPI_Wtime() - t0;
			double want = (warmup > 0 && dt > 0) ? o.target / (dt / warmup) : o.min_iters;
			if (want < o.min_iters) want = o.min_iters;
			if (want > o.max_iters) want = o.max_iters;
			iters = (long)want;
		}
		MPI_Bcast(&iters, 1, MPI_LONG, 0, MPI_COMM_WORLD); /* as spmdbench, always */

		double timed = 0;
		for (long i = 0; i < iters; i++) {
			double t = MPI_Wtime();
			call(&b, &o, size);
			timed += MPI_Wtime() - t;
			if (separate)
				MPI_Barrier(MPI_COMM_WORLD);
		}
		double lat = timed * 1e6 / iters, lo, hi, sum;
		MPI_Reduce(&lat, &lo, 1, MPI_DOUBLE, MPI_MIN, 0, MPI_COMM_WORLD);
		MPI_Reduce(&lat, &hi, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
		MPI_Reduce(&lat, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
		if (rank == 0) {
			printf("%-10ld%18.2f%18.2f%18.2f%12ld\n", size, sum / nranks, lo, hi, iters);
			fflush(stdout);
		}
	}
	free(b.send);
	free(b.recv);
	free(b.fsend);
	free(b.frecv);
	free(b.counts);
	MPI_Finalize();
	return 0;
}
