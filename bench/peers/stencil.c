/*
 * stencil.c: the Parallel Research Kernels' Stencil kernel (radius-2 star,
 * MPI1 flavour) written against C MPI, the peer of examples/stencil. Same
 * problem, decomposition, timing, validation and output lines as the Go
 * program; scripts/compare-apps.sh runs both. See examples/stencil's
 * package documentation for the definition.
 *
 * Usage: mpirun -np P stencil [-iterations I] [-n order]
 *
 * The loop body is PRK's "compact" one (loops over the star's arms, the
 * zero-weighted centre included), with restrict pointers as PRK declares
 * them; gcc -O3 unrolls and vectorises it. The halo exchange packs the
 * four faces into buffers, posts every receive and send at once and waits
 * for all (the same messages as grid.Halo).
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RADIUS 2
#define EPSILON 1e-8

static int rank;

static void die(const char *msg)
{
	fprintf(stderr, "stencil: rank %d: %s\n", rank, msg);
	MPI_Abort(MPI_COMM_WORLD, 2);
	exit(2);
}

/* split: start and extent of part p of n points cut into parts pieces,
 * the first n%parts one longer (PRK's rule). */
static void split(int n, int parts, int p, int *start, int *count)
{
	int q = n / parts, r = n % parts;
	if (p < r) {
		*start = p * (q + 1);
		*count = q + 1;
	} else {
		*start = r * (q + 1) + (p - r) * q;
		*count = q;
	}
}

static int parse_int(const char *flag, const char *v)
{
	char *end;
	long x = strtol(v, &end, 10);
	if (end == v || *end != '\0' || x < 0 || x > 1L << 30) {
		if (rank == 0)
			fprintf(stderr, "stencil: bad value for %s: %s\n", flag, v);
		MPI_Finalize();
		exit(2);
	}
	return (int)x;
}

/* face: pack (out != 0) or unpack the block [j0,j0+nj) x [i0,i0+ni) of a
 * padded array with rows of W into/from buf. */
static void face(double *restrict a, int W, int j0, int nj, int i0, int ni, double *restrict buf, int out)
{
	for (int j = 0; j < nj; j++)
		for (int i = 0; i < ni; i++) {
			if (out)
				buf[j * ni + i] = a[(j0 + j) * W + i0 + i];
			else
				a[(j0 + j) * W + i0 + i] = buf[j * ni + i];
		}
}

int main(int argc, char **argv)
{
	int size, iterations = 10, n = 1000;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (int a = 1; a < argc; a++) {
		const char *f = argv[a];
		if (a + 1 < argc && (!strcmp(f, "-iterations") || !strcmp(f, "--iterations")))
			iterations = parse_int(f, argv[++a]);
		else if (a + 1 < argc && (!strcmp(f, "-n") || !strcmp(f, "--n")))
			n = parse_int(f, argv[++a]);
		else {
			if (rank == 0)
				fprintf(stderr, "usage: stencil [-iterations I] [-n order]\n");
			MPI_Finalize();
			return 2;
		}
	}
	if (iterations < 1 || n < 2 * RADIUS + 1) {
		if (rank == 0)
			fprintf(stderr, "stencil: need iterations >= 1 and n >= %d\n", 2 * RADIUS + 1);
		MPI_Finalize();
		return 2;
	}

	/* PRK's factor(): Px the largest divisor of P not above sqrt(P+1). */
	int px, py = size;
	for (px = (int)sqrt(size + 1); px > 0; px--)
		if (size % px == 0) {
			py = size / px;
			break;
		}
	int mx = rank % px, my = rank / px;
	int i0, nx, j0, ny;
	split(n, px, mx, &i0, &nx);
	split(n, py, my, &j0, &ny);
	if (nx < RADIUS || ny < RADIUS)
		die("tile smaller than the radius: use fewer ranks or a larger grid");
	int left = mx > 0 ? rank - 1 : MPI_PROC_NULL, right = mx < px - 1 ? rank + 1 : MPI_PROC_NULL;
	int down = my > 0 ? rank - px : MPI_PROC_NULL, up = my < py - 1 ? rank + px : MPI_PROC_NULL;

	int W = nx + 2 * RADIUS;
	double *restrict in = calloc((size_t)W * (ny + 2 * RADIUS), sizeof *in);
	double *restrict out = calloc((size_t)nx * ny, sizeof *out);
	double *bufs = malloc(sizeof(double) * 4 * (size_t)RADIUS * (nx > ny ? nx : ny) * 2);
	if (!in || !out || !bufs)
		die("out of memory");
	/* send and receive buffers: rows (down, up) and columns (left, right) */
	double *sdown = bufs, *sup = sdown + RADIUS * nx, *rdown = sup + RADIUS * nx, *rup = rdown + RADIUS * nx;
	double *sleft = rup + RADIUS * nx, *sright = sleft + RADIUS * ny, *rleft = sright + RADIUS * ny,
	       *rright = rleft + RADIUS * ny;

	double weight[2 * RADIUS + 1][2 * RADIUS + 1];
	memset(weight, 0, sizeof weight);
	for (int k = 1; k <= RADIUS; k++) {
		weight[RADIUS][RADIUS + k] = weight[RADIUS + k][RADIUS] = 1.0 / (2.0 * k * RADIUS);
		weight[RADIUS][RADIUS - k] = weight[RADIUS - k][RADIUS] = -1.0 / (2.0 * k * RADIUS);
	}
#define IN(i, j) in[((j) + RADIUS) * W + (i) + RADIUS]
#define OUT(i, j) out[(j) * nx + (i)]
#define WEIGHT(ii, jj) weight[(ii) + RADIUS][(jj) + RADIUS]
	for (int j = 0; j < ny; j++)
		for (int i = 0; i < nx; i++)
			IN(i, j) = (double)(i0 + i) + (double)(j0 + j);

	int ilo = (i0 > RADIUS ? i0 : RADIUS) - i0, ihi = (n - RADIUS - 1 < i0 + nx - 1 ? n - RADIUS - 1 : i0 + nx - 1) - i0;
	int jlo = (j0 > RADIUS ? j0 : RADIUS) - j0, jhi = (n - RADIUS - 1 < j0 + ny - 1 ? n - RADIUS - 1 : j0 + ny - 1) - j0;

	double start = 0, comm = 0;
	for (int iter = 0; iter <= iterations; iter++) {
		if (iter == 1) {
			MPI_Barrier(MPI_COMM_WORLD);
			start = MPI_Wtime();
			comm = 0;
		}
		double t0 = MPI_Wtime();
		MPI_Request req[8];
		MPI_Status st[8];
		MPI_Irecv(rdown, RADIUS * nx, MPI_DOUBLE, down, 1, MPI_COMM_WORLD, &req[0]);
		MPI_Irecv(rup, RADIUS * nx, MPI_DOUBLE, up, 2, MPI_COMM_WORLD, &req[1]);
		MPI_Irecv(rleft, RADIUS * ny, MPI_DOUBLE, left, 3, MPI_COMM_WORLD, &req[2]);
		MPI_Irecv(rright, RADIUS * ny, MPI_DOUBLE, right, 4, MPI_COMM_WORLD, &req[3]);
		face(in, W, RADIUS, RADIUS, RADIUS, nx, sdown, 1);
		face(in, W, ny, RADIUS, RADIUS, nx, sup, 1);
		face(in, W, RADIUS, ny, RADIUS, RADIUS, sleft, 1);
		face(in, W, RADIUS, ny, nx, RADIUS, sright, 1);
		MPI_Isend(sdown, RADIUS * nx, MPI_DOUBLE, down, 2, MPI_COMM_WORLD, &req[4]);
		MPI_Isend(sup, RADIUS * nx, MPI_DOUBLE, up, 1, MPI_COMM_WORLD, &req[5]);
		MPI_Isend(sleft, RADIUS * ny, MPI_DOUBLE, left, 4, MPI_COMM_WORLD, &req[6]);
		MPI_Isend(sright, RADIUS * ny, MPI_DOUBLE, right, 3, MPI_COMM_WORLD, &req[7]);
		MPI_Waitall(8, req, st);
		if (down != MPI_PROC_NULL)
			face(in, W, 0, RADIUS, RADIUS, nx, rdown, 0);
		if (up != MPI_PROC_NULL)
			face(in, W, ny + RADIUS, RADIUS, RADIUS, nx, rup, 0);
		if (left != MPI_PROC_NULL)
			face(in, W, RADIUS, ny, 0, RADIUS, rleft, 0);
		if (right != MPI_PROC_NULL)
			face(in, W, RADIUS, ny, nx + RADIUS, RADIUS, rright, 0);
		comm += MPI_Wtime() - t0;

		for (int j = jlo; j <= jhi; j++)
			for (int i = ilo; i <= ihi; i++) {
				for (int jj = -RADIUS; jj <= RADIUS; jj++)
					OUT(i, j) += WEIGHT(0, jj) * IN(i, j + jj);
				for (int ii = -RADIUS; ii < 0; ii++)
					OUT(i, j) += WEIGHT(ii, 0) * IN(i + ii, j);
				for (int ii = 1; ii <= RADIUS; ii++)
					OUT(i, j) += WEIGHT(ii, 0) * IN(i + ii, j);
			}
		for (int j = 0; j < ny; j++)
			for (int i = 0; i < nx; i++)
				IN(i, j) += 1.0;
	}
	double local[2] = {MPI_Wtime() - start, comm}, times[2];
	MPI_Reduce(local, times, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

	double norm = 0, sum;
	for (int j = jlo; j <= jhi; j++)
		for (int i = ilo; i <= ihi; i++)
			norm += fabs(OUT(i, j));
	MPI_Reduce(&norm, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);

	int status = 0;
	if (rank == 0) {
		double active = (double)(n - 2 * RADIUS) * (n - 2 * RADIUS);
		double ref = (iterations + 1) * 2.0;
		sum /= active;
		double flops = (2 * (4 * RADIUS + 1) + 1) * active, avg = times[0] / iterations;
		printf("stencil: grid %dx%d, radius %d (star), %d ranks as %dx%d tiles, %d iterations\n", n, n, RADIUS,
		       size, px, py, iterations);
		if (!(fabs(sum - ref) <= EPSILON)) {
			printf("stencil: ERROR: L1 norm %.12g, reference %.12g\n", sum, ref);
			status = 1;
		} else {
			printf("stencil: Solution validates (L1 norm %g, reference %g)\n", sum, ref);
			printf("stencil: Rate (MFlops/s): %.3f Avg time (s): %.6f Total time (s): %.6f Comm time (s): %.6f\n",
			       1e-6 * flops / avg, avg, times[0], times[1]);
		}
	}
	free(in);
	free(out);
	free(bufs);
	MPI_Finalize();
	return status;
}
