/*
 * transpose.c: the Parallel Research Kernels' Transpose kernel (MPI1
 * flavour, B += A^T over a column-block distribution) written against C
 * MPI, the peer of examples/transpose. Same problem, exchange pattern
 * (P-1 phases of MPI_Sendrecv), tiling, timing, validation and output
 * lines as the Go program; scripts/compare-apps.sh runs both. See
 * examples/transpose's package documentation for the definition.
 *
 * Usage: mpirun -np P transpose [-iterations I] [-order N] [-tile T]
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPSILON 1e-8

static int rank;

static int parse_int(const char *flag, const char *v)
{
	char *end;
	long x = strtol(v, &end, 10);
	if (end == v || *end != '\0' || x < 1 || x > 1L << 30) {
		if (rank == 0)
			fprintf(stderr, "transpose: bad value for %s: %s\n", flag, v);
		MPI_Finalize();
		exit(2);
	}
	return (int)x;
}

static int min(int a, int b) { return a < b ? a : b; }

/* transpose_into: dst[jl*ld + ii] = src[ii*ls + jl] for ii, jl < n, by
 * tiles of tile x tile. */
static void transpose_into(double *restrict dst, int ld, const double *restrict src, int ls, int n, int tile)
{
	for (int it = 0; it < n; it += tile)
		for (int jt = 0; jt < n; jt += tile)
			for (int ii = it; ii < min(it + tile, n); ii++)
				for (int jl = jt; jl < min(jt + tile, n); jl++)
					dst[(size_t)jl * ld + ii] = src[(size_t)ii * ls + jl];
}

/* add_transposed: dst[jl*ld + ii] += src[ii*ls + jl], by tiles. */
static void add_transposed(double *restrict dst, int ld, const double *restrict src, int ls, int n, int tile)
{
	for (int it = 0; it < n; it += tile)
		for (int jt = 0; jt < n; jt += tile)
			for (int ii = it; ii < min(it + tile, n); ii++)
				for (int jl = jt; jl < min(jt + tile, n); jl++)
					dst[(size_t)jl * ld + ii] += src[(size_t)ii * ls + jl];
}

int main(int argc, char **argv)
{
	int size, iterations = 10, order = 1024, tile = 32;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (int a = 1; a < argc; a++) {
		const char *f = argv[a];
		if (a + 1 < argc && (!strcmp(f, "-iterations") || !strcmp(f, "--iterations")))
			iterations = parse_int(f, argv[++a]);
		else if (a + 1 < argc && (!strcmp(f, "-order") || !strcmp(f, "--order")))
			order = parse_int(f, argv[++a]);
		else if (a + 1 < argc && (!strcmp(f, "-tile") || !strcmp(f, "--tile")))
			tile = parse_int(f, argv[++a]);
		else {
			if (rank == 0)
				fprintf(stderr, "usage: transpose [-iterations I] [-order N] [-tile T]\n");
			MPI_Finalize();
			return 2;
		}
	}
	if (order % size != 0) {
		if (rank == 0)
			fprintf(stderr, "transpose: -order %d is not a multiple of the %d ranks\n", order, size);
		MPI_Finalize();
		return 2;
	}
	int b = order / size, c0 = rank * b;
	double *restrict a = malloc(sizeof(double) * (size_t)b * order);
	double *restrict bm = calloc((size_t)b * order, sizeof(double));
	double *restrict out = malloc(sizeof(double) * (size_t)b * b);
	double *restrict in = malloc(sizeof(double) * (size_t)b * b);
	if (!a || !bm || !out || !in) {
		fprintf(stderr, "transpose: rank %d: out of memory\n", rank);
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	for (int jl = 0; jl < b; jl++)
		for (int i = 0; i < order; i++)
			a[(size_t)jl * order + i] = (double)order * (c0 + jl) + i;

	double start = 0, comm = 0;
	for (int iter = 0; iter <= iterations; iter++) {
		if (iter == 1) {
			MPI_Barrier(MPI_COMM_WORLD);
			start = MPI_Wtime();
			comm = 0;
		}
		add_transposed(bm + c0, order, a + c0, order, b, tile);
		for (int phase = 1; phase < size; phase++) {
			int to = (rank - phase + size) % size, from = (rank + phase) % size;
			transpose_into(out, b, a + (size_t)to * b, order, b, tile);
			double t0 = MPI_Wtime();
			MPI_Sendrecv(out, b * b, MPI_DOUBLE, to, phase, in, b * b, MPI_DOUBLE, from, phase, MPI_COMM_WORLD,
				     MPI_STATUS_IGNORE);
			comm += MPI_Wtime() - t0;
			for (int jl = 0; jl < b; jl++) {
				double *col = bm + (size_t)jl * order + (size_t)from * b;
				const double *src = in + (size_t)jl * b;
				for (int ii = 0; ii < b; ii++)
					col[ii] += src[ii];
			}
		}
		for (size_t i = 0; i < (size_t)b * order; i++)
			a[i] += 1.0;
	}
	double local[2] = {MPI_Wtime() - start, comm}, times[2];
	MPI_Reduce(local, times, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

	double addit = (double)iterations * (iterations + 1) / 2, abserr = 0, sum;
	for (int jl = 0; jl < b; jl++)
		for (int i = 0; i < order; i++) {
			double want = ((double)order * i + c0 + jl) * (iterations + 1) + addit;
			abserr += fabs(bm[(size_t)jl * order + i] - want);
		}
	MPI_Reduce(&abserr, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);

	int status = 0;
	if (rank == 0) {
		printf("transpose: matrix order %d, %d ranks, %d iterations, tile size %d\n", order, size, iterations, tile);
		if (!(sum < EPSILON)) {
			printf("transpose: ERROR: summed error %g exceeds %g\n", sum, EPSILON);
			status = 1;
		} else {
			double avg = times[0] / iterations, bytes = 2.0 * 8 * (double)order * order;
			printf("transpose: Solution validates (summed error %g)\n", sum);
			printf("transpose: Rate (MB/s): %.3f Avg time (s): %.6f Total time (s): %.6f Comm time (s): %.6f\n",
			       1e-6 * bytes / avg, avg, times[0], times[1]);
		}
	}
	free(a);
	free(bm);
	free(out);
	free(in);
	MPI_Finalize();
	return status;
}
