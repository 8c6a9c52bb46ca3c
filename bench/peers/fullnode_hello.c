/* fullnode_hello: the C twin of spmd's comm/internal/testprogs/wireup for
 * scripts/fullnode.sh. Each rank exchanges with its ring neighbours
 * (MPI_Sendrecv, -rounds times, default 3), sums the ranks with
 * MPI_Allreduce, checks both, and prints
 *
 *   rank R sockets S shm B fds F maxrss K
 *
 * S: open sockets; B: bytes of its mappings of files in /dev/shm; F: open
 * file descriptors; K: peak resident memory in KiB (getrusage).
 *
 *   mpicc -O2 -o fullnode_hello fullnode_hello.c
 *   mpirun --oversubscribe --bind-to none -np N ./fullnode_hello
 */
#include <dirent.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void count_fds(int *socks, int *fds) {
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[64], target[256];
	*socks = *fds = 0;
	if (!d) return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') continue;
		(*fds)++;
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof target - 1);
		if (n > 0) {
			target[n] = 0;
			if (strncmp(target, "socket:", 7) == 0) (*socks)++;
		}
	}
	closedir(d);
	(*fds)--; /* the directory being read */
}

static long shm_mapped(void) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	long total = 0;
	if (!f) return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (strstr(line, " /dev/shm/") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) total += (long)(hi - lo);
	}
	fclose(f);
	return total;
}

int main(int argc, char **argv) {
	int rank, size, rounds = 3;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-rounds") == 0) rounds = atoi(argv[i + 1]);
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	int right = (rank + 1) % size, left = (rank + size - 1) % size;
	for (int r = 0; r < rounds; r++) {
		int got = -1;
		MPI_Sendrecv(&rank, 1, MPI_INT, right, 0, &got, 1, MPI_INT, left, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (got != left) {
			fprintf(stderr, "rank %d: got %d from the left, want %d\n", rank, got, left);
			MPI_Abort(MPI_COMM_WORLD, 1);
		}
	}
	long me = rank, sum = 0;
	MPI_Allreduce(&me, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
	if (sum != (long)size * (size - 1) / 2) {
		fprintf(stderr, "rank %d: allreduce gave %ld\n", rank, sum);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	int socks, fds;
	count_fds(&socks, &fds);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("rank %d sockets %d shm %ld fds %d maxrss %ld\n", rank, socks, shm_mapped(), fds, ru.ru_maxrss);
	MPI_Finalize();
	return 0;
}
