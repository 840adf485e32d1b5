/*
 * wake_bench.c - the cost of one wake of rituald on an existing queue:
 * store_next_wake and store_claim (nothing due) on the database argv[1],
 * repeated argv[2] times (default 20); prints the mean per call.
 * Built and run by bench/run.py (BENCH_ONLY=wake); not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ritual/store.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wake_bench DB [RUNS]\n");
		return 64;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 20;
	struct store *st;
	struct err err;
	if (store_open(argv[1], 0, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	time_t now = time(NULL), when = 0;
	int any = 0;
	double t0 = mono();
	for (int i = 0; i < runs; i++)
		if (store_next_wake(st, now, 60, &when, &any, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	double wake = (mono() - t0) / runs;
	t0 = mono();
	for (int i = 0; i < runs; i++) {
		struct store_delivery *d;
		if (store_claim(st, now, 60, &d, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		if (d) {
			fprintf(stderr, "something was due: not a wake with nothing due\n");
			return 1;
		}
	}
	double claim = (mono() - t0) / runs;
	printf("store_next_wake %.3f ms, store_claim (nothing due) %.3f ms\n",
	       wake * 1000, claim * 1000);
	store_close(st);
	return 0;
}
