/*
 * osu_common.h: what our two OSU-method peers (osu_pt2pt.c, osu_coll.c)
 * share: fatal errors, flag value parsing, and the CPU model for the
 * machine header. Include it after defining OSU_PROG (the program name in
 * messages) and the static int rank it reports from.
 */
#ifndef OSU_COMMON_H
#define OSU_COMMON_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *msg, const char *arg)
{
	if (rank == 0)
		fprintf(stderr, "%s: %s%s%s\n", OSU_PROG, msg, arg ? ": " : "", arg ? arg : "");
	MPI_Abort(MPI_COMM_WORLD, 2);
	exit(2);
}

/* parse_size reads a byte count with an optional K, M or G (binary) suffix. */
static long parse_size(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	long mult = 1;
	if (end == s || v < 0)
		die("bad size", s);
	switch (*end) {
	case 'k': case 'K': mult = 1L << 10; end++; break;
	case 'm': case 'M': mult = 1L << 20; end++; break;
	case 'g': case 'G': mult = 1L << 30; end++; break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		die("bad size", s);
	return v * mult;
}

/* parse_duration reads seconds from "250ms", "1.5s", "800us" or a bare number of seconds. */
static double parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		die("bad duration", s);
	if (strcmp(end, "ms") == 0)
		return v / 1e3;
	if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0)
		return v / 1e6;
	if (strcmp(end, "s") == 0 || *end == '\0')
		return v;
	die("bad duration", s);
	return 0;
}

static long parse_count(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0)
		die("bad count", s);
	return v;
}

static void cpu_model(char *out, size_t n)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	snprintf(out, n, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, n, "%s", colon);
			break;
		}
	}
	fclose(f);
}

#endif
