/*
 * cli.h - the owner's tool, `ritual [-c CONFIG] COMMAND ...`.
 *
 * Commands come from one table that also prints `ritual help`. Every
 * command works whether or not rituald is running (both use the same
 * SQLite file; rituald notices changes at once). Exit codes follow
 * sysexits.h: 0 ok, 64 usage, 65 bad input (a post file, a time), 66 no
 * such file or post, 69 database unavailable, 73 cannot create, 78
 * configuration error, 70 internal error.
 */
#ifndef RITUAL_CLI_H
#define RITUAL_CLI_H

int cli_main(int argc, char **argv);

#endif
