/*
 * service.h - rituald as a systemd service: sd_notify(3) messages, the
 * watchdog, the heartbeat row that `ritual status` reads, and the optional
 * notify.heartbeat_url ping for an outside monitor.
 *
 * Without $NOTIFY_SOCKET (not started by systemd) every notification is a
 * no-op. Nothing here decides anything about posts; the daemon's loop
 * calls these at fixed points. Never logs a URL (a heartbeat URL holds its
 * monitor's secret id). Errors are logged, never returned: the service
 * machinery must not stop publishing.
 */
#ifndef RITUAL_SERVICE_H
#define RITUAL_SERVICE_H

#include <time.h>

struct store;
struct http_client;
struct config;

#define SVC_BEAT_EVERY 60     /* seconds between heartbeat rows / URL pings */

struct svc {
	time_t started;          /* wall clock at svc_start */
	double beat_mono;        /* monotonic time of the last heartbeat row; 0 = none */
	double ping_mono;        /* of the last heartbeat_url request; 0 = none */
	time_t next_wake;        /* as last written */
	char status[160];        /* the last STATUS= sent */
	int ping_failing;        /* the last heartbeat_url request failed */
	int healthy;             /* the last turn's health, as svc_loop saw it */
};

/* heartbeat_url: asked with this timeout (s), and only when no post is
 * due within SVC_PING_CLEARANCE seconds, so that it never delays one. */
#define SVC_PING_TIMEOUT 5
#define SVC_PING_CLEARANCE 15

/* The poll timeout cap the watchdog needs, in ms: half of WATCHDOG_USEC
 * when systemd's watchdog is on for this process, else 0 (no cap). */
long svc_watchdog_ms(void);
/* WATCHDOG=1 (when the watchdog is on). */
void svc_watchdog(void);

/* After the database is open and recovery is done: READY=1, and the
 * first heartbeat row (state running). */
void svc_start(struct svc *s, struct store *st);

/*
 * One turn of the main loop is over. next_wake/any: the next delivery due
 * (any = 0: none); healthy: the database took every write this turn.
 * Sends WATCHDOG=1, STATUS= when the text changed ("next: post 12 to
 * instagram, Mon 09:00"), writes the heartbeat row at most once every
 * SVC_BEAT_EVERY seconds (or when the next wake changed), and, when
 * healthy and cfg->notify.heartbeat_url is set, GETs it at most once
 * every SVC_BEAT_EVERY seconds, never with a post due within
 * SVC_PING_CLEARANCE seconds. The next post is read from the store only
 * when the next wake or the health changed, or with the heartbeat.
 */
void svc_loop(struct svc *s, struct store *st, struct http_client *http,
	      const struct config *cfg, time_t next_wake, int any, int healthy);

/* Around a reload (SIGHUP). svc_reloaded: READY=1 with STATUS= saying
 * whether the new configuration was taken or refused (why, in one line),
 * and ERRNO=22 on a refusal. */
void svc_reloading(void);
void svc_reloaded(struct svc *s, const char *refused);

/* STOPPING=1, and the heartbeat row's state -> stopped. */
void svc_stopping(struct svc *s, struct store *st);

#endif
