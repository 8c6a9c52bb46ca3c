/* mpihello is an MPICH program for the launcher's interoperability test:
 * spmdrun must serve MPICH's own PMI-1 client. Each rank reports its rank,
 * the world size and its node-local rank, the ranks pass a token around a
 * ring (so the business cards exchanged through PMI really connect them),
 * and an Allreduce checks that every rank took part. With the argument
 * "abort", rank 1 calls MPI_Abort with code 7 instead. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int rank, size, local, token, sum;
    MPI_Comm node;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local);
    if (argc > 1 && strcmp(argv[1], "abort") == 0 && rank == 1)
        MPI_Abort(MPI_COMM_WORLD, 7);

    if (rank == 0) {
        token = 1;
        MPI_Send(&token, 1, MPI_INT, (rank + 1) % size, 0, MPI_COMM_WORLD);
        MPI_Recv(&token, 1, MPI_INT, size - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
        MPI_Recv(&token, 1, MPI_INT, rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        token++;
        MPI_Send(&token, 1, MPI_INT, (rank + 1) % size, 0, MPI_COMM_WORLD);
    }
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("mpihello rank %d of %d local %d token %d sum %d\n", rank, size, local, token, sum);
    MPI_Comm_free(&node);
    MPI_Finalize();
    return 0;
}
