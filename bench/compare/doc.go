// Package compare turns the raw outputs of repeated benchmark runs (OSU-like
// tables from spmdbench and from the MPI peers bench/peers/osu_pt2pt.c and
// osu_coll.c) into comparison tables: the median over rounds per
// implementation and message size, and the ratio of one implementation to a
// baseline (Table), or a few picked rows of several benchmarks with the
// ratios to every other implementation (Summary).
package compare
