/*
 * osu_pt2pt.c: spmd's MPI peer for point-to-point benchmarks.
 *
 * It measures an MPI implementation by exactly the method of spmdbench
 * (bench/osu, the OSU Micro-Benchmarks method), and prints the same table,
 * so that the two columns compare like with like:
 *
 *   mpirun -np 2 ./osu_pt2pt latency   [flags]   one-way ping-pong latency, us
 *   mpirun -np 2 ./osu_pt2pt bandwidth [flags]   window of 64 Isend/Irecv + ack, MB/s
 *   mpirun -np 2 ./osu_pt2pt bibw      [flags]   both directions at once, MB/s
 *
 * Flags (defaults as spmdbench's): --min N --max N (bytes, K/M/G suffixes),
 * --iters N --warmup N (sizes up to --large, 8K), --iters-large N
 * --warmup-large N, --window N, --target D (e.g. 250ms: calibrate the timed
 * count per size; 0 = fixed counts) --min-iters N --max-iters N, and
 * --transport LABEL (written in the header only).
 *
 * Build: mpicc.openmpi -O2 -Wall -o bin/osu_pt2pt.openmpi bench/peers/osu_pt2pt.c
 *        mpicc.mpich   -O2 -Wall -o bin/osu_pt2pt.mpich   bench/peers/osu_pt2pt.c
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

enum kind { LATENCY, BANDWIDTH, BIBW };

enum { TAG_DATA = 1, TAG_BW = 100, TAG_ACK = 101 };

struct options {
	enum kind kind;
	long min_size, max_size, large_size;
	long warmup, iters, warmup_large, iters_large;
	long window, min_iters, max_iters;
	double target; /* seconds; 0 = fixed counts */
	const char *transport;
};

#define OSU_PROG "osu_pt2pt"
static int rank;

#include "osu_common.h"

static struct options parse_args(int argc, char **argv)
{
	struct options o = {
		.min_size = 0, .max_size = 16L << 20, .large_size = 8L << 10,
		.warmup = 100, .iters = 1000, .warmup_large = 10, .iters_large = 100,
		.window = 64, .min_iters = 3, .max_iters = 1000000, .target = 0,
		.transport = "default",
	};
	if (argc < 2)
		die("usage: osu_pt2pt latency|bandwidth|bibw [flags]", NULL);
	if (strcmp(argv[1], "latency") == 0)
		o.kind = LATENCY;
	else if (strcmp(argv[1], "bandwidth") == 0 || strcmp(argv[1], "bw") == 0)
		o.kind = BANDWIDTH;
	else if (strcmp(argv[1], "bibw") == 0)
		o.kind = BIBW;
	else
		die("unknown benchmark (want latency, bandwidth or bibw)", argv[1]);
	if (o.kind != LATENCY) {
		o.min_size = 1;
		o.warmup = 10, o.iters = 100, o.warmup_large = 2, o.iters_large = 20;
	}
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
		else if (strcmp(f, "window") == 0) o.window = parse_count(v);
		else if (strcmp(f, "min-iters") == 0) o.min_iters = parse_count(v);
		else if (strcmp(f, "max-iters") == 0) o.max_iters = parse_count(v);
		else if (strcmp(f, "target") == 0) o.target = parse_duration(v);
		else if (strcmp(f, "transport") == 0) o.transport = v;
		else die("unknown flag", argv[i - 1]);
	}
	if (o.max_size < o.min_size || o.iters < 1 || o.iters_large < 1 || o.window < 1 ||
	    o.min_iters < 1 || o.max_iters < o.min_iters)
		die("inconsistent options", NULL);
	return o;
}

/* ---- the three measured steps ---------------------------------------- */

static void ping_pong(char *s, char *r, long size, const struct options *o, MPI_Request *req)
{
	(void)o, (void)req;
	int peer = 1 - rank;
	if (rank == 0) {
		MPI_Send(s, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD);
		MPI_Recv(r, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	} else {
		MPI_Recv(r, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		MPI_Send(s, (int)size, MPI_CHAR, peer, TAG_DATA, MPI_COMM_WORLD);
	}
}

static void window(char *s, char *r, long size, const struct options *o, MPI_Request *req)
{
	static MPI_Status st[4096]; /* a real array: see baseline.md, gcc warning on MPICH */
	char ack[4] = {0};
	int peer = 1 - rank, w = (int)o->window;
	if (rank == 0) {
		for (int j = 0; j < w; j++)
			MPI_Isend(s, (int)size, MPI_CHAR, peer, TAG_BW, MPI_COMM_WORLD, &req[j]);
		MPI_Waitall(w, req, st);
		MPI_Recv(ack, 4, MPI_CHAR, peer, TAG_ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	} else {
		for (int j = 0; j < w; j++)
			MPI_Irecv(r, (int)size, MPI_CHAR, peer, TAG_BW, MPI_COMM_WORLD, &req[j]);
		MPI_Waitall(w, req, st);
		MPI_Send(ack, 4, MPI_CHAR, peer, TAG_ACK, MPI_COMM_WORLD);
	}
}

static void bi_window(char *s, char *r, long size, const struct options *o, MPI_Request *req)
{
	static MPI_Status st[8192];
	int peer = 1 - rank, w = (int)o->window;
	for (int j = 0; j < w; j++)
		MPI_Irecv(r, (int)size, MPI_CHAR, peer, TAG_BW, MPI_COMM_WORLD, &req[j]);
	for (int j = 0; j < w; j++)
		MPI_Isend(s, (int)size, MPI_CHAR, peer, TAG_BW, MPI_COMM_WORLD, &req[w + j]);
	MPI_Waitall(2 * w, req, st);
}

typedef void (*step_fn)(char *, char *, long, const struct options *, MPI_Request *);

/* ---- output ---------------------------------------------------------- */

static void print_header(const struct options *o)
{
	static const char *titles[] = {"OSU-method Latency Test", "OSU-method Bandwidth Test",
				       "OSU-method Bi-Directional Bandwidth Test"};
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
	printf("# %s (%s)\n# host: %s\n# cpu: %s\n# cores: %ld\n# os: %s/%s\n# transport: %s\n# date: %s\n",
	       titles[o->kind], lib, host, cpu, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.machine,
	       o->transport, date);
	printf("%-10s%18s\n", "# Size", o->kind == LATENCY ? "Latency (us)" : "Bandwidth (MB/s)");
	fflush(stdout);
}

/* ---- the method ------------------------------------------------------ */

int main(int argc, char **argv)
{
	int size_world;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size_world);
	struct options o = parse_args(argc, argv);
	if (size_world != 2)
		die("the point-to-point benchmarks need exactly 2 ranks", NULL);
	if (o.window > 4096)
		die("window too large (at most 4096)", NULL);

	step_fn step = o.kind == LATENCY ? ping_pong : o.kind == BANDWIDTH ? window : bi_window;
	double per_iter_bytes = o.kind == BIBW ? 2.0 * o.window : (double)o.window;
	MPI_Request *req = malloc(sizeof(MPI_Request) * 2 * o.window);
	void *sbuf = NULL, *rbuf = NULL;
	size_t bufsize = o.max_size > 0 ? (size_t)o.max_size : 1;
	if (!req || posix_memalign(&sbuf, 64, bufsize) || posix_memalign(&rbuf, 64, bufsize))
		die("out of memory", NULL);
	memset(sbuf, 'a', bufsize); /* touch both buffers before timing */
	memset(rbuf, 'b', bufsize);

	if (rank == 0)
		print_header(&o);
	for (long size = o.min_size; size <= o.max_size; size = size ? 2 * size : 1) {
		int large = size > o.large_size;
		long warmup = large ? o.warmup_large : o.warmup;
		long iters = large ? o.iters_large : o.iters;

		MPI_Barrier(MPI_COMM_WORLD);
		double t0 = MPI_Wtime();
		for (long i = 0; i < warmup; i++)
			step(sbuf, rbuf, size, &o, req);
		if (o.target > 0) { /* rank 0 calibrates from its warm-up, as spmdbench */
			double dt = MPI_Wtime() - t0;
			double want = (warmup > 0 && dt > 0) ? o.target / (dt / warmup) : o.min_iters;
			if (want < o.min_iters) want = o.min_iters;
			if (want > o.max_iters) want = o.max_iters;
			iters = (long)want;
			MPI_Bcast(&iters, 1, MPI_LONG, 0, MPI_COMM_WORLD);
		}
		t0 = MPI_Wtime();
		for (long i = 0; i < iters; i++)
			step(sbuf, rbuf, size, &o, req);
		double t = MPI_Wtime() - t0;

		if (rank == 0) {
			double v = o.kind == LATENCY ? t * 1e6 / (2.0 * iters)
						     : (double)size * per_iter_bytes * iters / t / 1e6;
			printf("%-10ld%18.2f\n", size, v);
			fflush(stdout);
		}
	}
	free(sbuf);
	free(rbuf);
	free(req);
	MPI_Finalize();
	return 0;
}
