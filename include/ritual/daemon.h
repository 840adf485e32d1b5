/*
 * daemon.h - rituald's loop: wait -> claim -> publish -> record.
 *
 * One thread. It sleeps until the next due delivery (at most 60 s, to
 * notice clock changes), and wakes at once when the database folder
 * changes (inotify: `ritual` queued or changed something), on SIGUSR1, or
 * on a signal. Each claimed delivery is marked `sending` on disk before any
 * request, and its commit call is marked (synchronous=FULL) before it is
 * sent; after a crash, deliveries found in the commit phase are reconciled
 * against the network before anything is sent again.
 *
 * Signals: TERM/INT stop claiming, let the request in flight finish (cut
 * after a few seconds), exit 0; a second INT exits at once. HUP reloads the
 * configuration, keeping the old one if the new one is invalid. USR1
 * wakes. PIPE is ignored.
 */
#ifndef RITUAL_DAEMON_H
#define RITUAL_DAEMON_H

#include "ritual/util.h"

struct daemon_options {
	const char *config_path;
	int once;          /* publish what is due now, exit when nothing is in flight */
	int verbose;       /* log debug lines */
};

/* Run until stopped. Returns a sysexits.h status (0 on a clean stop). */
int daemon_main(const struct daemon_options *opt);

#endif
