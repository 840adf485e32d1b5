/*
 * ritual.c - the owner's tool's main(); everything is in cli.c.
 */
#include <stdio.h>
#include <sysexits.h>

#include "ritual/cli.h"
#include "ritual/image.h"

int main(int argc, char **argv)
{
	struct err err;
	/* libvips once per program (VIPS_INIT), before any image is read. */
	if (image_init(argv[0], &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	return cli_main(argc, argv);
}
