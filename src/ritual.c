/*
 * ritual.c - the owner's tool's main(); everything is in cli.c.
 */
#include "ritual/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
