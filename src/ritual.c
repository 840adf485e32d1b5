/*
 * ritual.c - the owner's tool's main(); everything is in cli.c.
 */
#include <stdio.h>
#include <sysexits.h>

#include "ritual/cli.h"
#include "ritual/image.h"
#include "ritual/util.h"

int main(int argc, char **argv)
{
	struct err err = {{0}};
	/* `ritual check --online` holds tokens: no core file, not dumpable. */
	if (process_harden(&err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_OSERR;
	}
	/* libvips starts lazily, with the first image (image_open), and
	 * stops before the exit. */
	int rc = cli_main(argc, argv);
	image_shutdown();
	return rc;
}
