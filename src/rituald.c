/*
 * rituald.c - the daemon's main(): options, then daemon_main().
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ritual/config.h"
#include "ritual/daemon.h"
#include "ritual/schedule.h"
#include "ritual/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rituald [-c CONFIG] [--once] [-v] [-n]\n"
		"  -c, --config FILE  configuration (default $RITUAL_CONFIG or "
		"/etc/ritual/ritual.conf)\n"
		"      --once         publish what is due now, then exit\n"
		"  -n, --check        check the configuration and exit\n"
		"  -v, --verbose      log debug lines\n"
		"  -V, --version      print the version\n"
		"Runs in the foreground and logs to stderr (systemd keeps it in the "
		"journal). See rituald(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, 'o'},
		{"check", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_options opt = {0};
	int check = 0, c;
	struct err herr = {{0}};

	/* Before any token is read: no core file, not dumpable. */
	if (process_harden(&herr) < 0) {
		fprintf(stderr, "rituald: %s\n", herr.msg);
		return EX_OSERR;
	}

	opt.config_path = getenv("RITUAL_CONFIG");
	while ((c = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.config_path = optarg;
			break;
		case 'o':
			opt.once = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'V':
			printf("rituald %s\n", RITUAL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!opt.config_path || !*opt.config_path)
		opt.config_path = "/etc/ritual/ritual.conf";
	if (check) {
		struct config *cfg;
		struct diag diag = {0};
		if (config_load(opt.config_path, &cfg, &diag) < 0) {
			for (size_t i = 0; i < diag.n; i++)
				fprintf(stderr, "%s\n", diag.msgs[i]);
			diag_free(&diag);
			return EX_CONFIG;
		}
		config_free(cfg);
		printf("configuration OK\n");
		return 0;
	}
	return daemon_main(&opt);
}
