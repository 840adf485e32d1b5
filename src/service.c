/*
 * service.c - sd_notify, watchdog, heartbeat (see service.h).
 */
#include "ritual/service.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "ritual/config.h"
#include "ritual/http.h"
#include "ritual/log.h"
#include "ritual/schedule.h"
#include "ritual/store.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

long svc_watchdog_ms(void)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	long ms = (long)(usec / 2000);
	return ms < 1 ? 1 : ms;
}

void svc_watchdog(void)
{
	if (svc_watchdog_ms() > 0)
		sd_notify(0, "WATCHDOG=1");
}

static void beat(struct svc *s, struct store *st, int running)
{
	struct err err;
	struct store_daemon b = {
		.pid = getpid(),
		.version = RITUAL_VERSION,
		.started = s->started,
		.beat = wall_now(),
		.running = running,
		.next_wake = s->next_wake,
		.status = s->status[0] ? s->status : NULL,
	};
	if (store_daemon_beat(st, &b, &err) < 0)
		log_warnx("%s", err.msg);
	else
		s->beat_mono = mono();
}

void svc_start(struct svc *s, struct store *st)
{
	memset(s, 0, sizeof(*s));
	s->started = wall_now();
	snprintf(s->status, sizeof(s->status), "started");
	beat(s, st, 1);
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%ld", s->status,
		   (long)getpid());
}

/* "next: post 12 to instagram, Mon 09:00", or "nothing queued". */
static void status_text(struct store *st, time_t next_wake, int any,
			char *out, size_t len)
{
	struct store_delivery *dl = NULL;
	struct err err;
	char when[40];
	if (!any) {
		snprintf(out, len, "nothing queued");
		return;
	}
	sched_format_human(next_wake, when, sizeof(when));
	if (store_next_due(st, &dl, &err) == 0 && dl) {
		snprintf(out, len, "next: post %lld to %s, %s",
			 (long long)dl->post_id, dl->account, when);
		store_deliveries_free(dl, 1);
	} else {
		snprintf(out, len, "next: %s", when);
	}
}

static void ping(struct svc *s, struct http_client *http, const char *url)
{
	struct http_request req = { .method = "GET", .url = url,
				     .timeout = SVC_PING_TIMEOUT };
	struct http_response resp;
	int rc = http_perform(http, &req, &resp);
	int ok = rc == 0 && resp.status >= 200 && resp.status < 300;
	if (!ok && !s->ping_failing)
		log_warnx("heartbeat: the monitor's URL did not answer 2xx (%s) "
			  "status=%ld", rc == 0 ? "HTTP status" : resp.error,
			  resp.status);
	else if (ok && s->ping_failing)
		log_info("heartbeat: the monitor's URL answers again");
	s->ping_failing = !ok;
	http_response_free(&resp);
}

void svc_loop(struct svc *s, struct store *st, struct http_client *http,
	      const struct config *cfg, time_t next_wake, int any, int healthy)
{
	char text[sizeof(s->status)];
	double now = mono();
	time_t nw = any ? next_wake : 0;
	int beat_due = now - s->beat_mono >= SVC_BEAT_EVERY;

	svc_watchdog();
	/* The text names the next post: read it only when the next wake or
	 * the health changed, or with the minutely heartbeat, not on every
	 * turn of the loop. */
	if (!healthy)
		snprintf(text, sizeof(text), "trouble: the database refuses "
			 "writes (see the log)");
	else if (nw != s->next_wake || !s->healthy || beat_due || !s->status[0])
		status_text(st, next_wake, any, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", s->status);
	s->healthy = healthy;
	int changed = strcmp(text, s->status) != 0;
	if (changed) {
		snprintf(s->status, sizeof(s->status), "%s", text);
		sd_notifyf(0, "STATUS=%s", s->status);
	}
	if (healthy && (changed || nw != s->next_wake || beat_due)) {
		s->next_wake = nw;
		beat(s, st, 1);
	}
	/* The monitor's URL never delays a post: not when one is due soon. */
	if (healthy && cfg->notify.heartbeat_url && http &&
	    (!any || next_wake - wall_now() >= SVC_PING_CLEARANCE) &&
	    (s->ping_mono == 0 || now - s->ping_mono >= SVC_BEAT_EVERY)) {
		s->ping_mono = now;
		ping(s, http, cfg->notify.heartbeat_url);
	}
}

void svc_reloading(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
			   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void svc_reloaded(struct svc *s, const char *refused)
{
	if (refused) {
		snprintf(s->status, sizeof(s->status), "reload refused: %s", refused);
		sd_notifyf(0, "READY=1\nSTATUS=%s\nERRNO=22", s->status);
	} else {
		snprintf(s->status, sizeof(s->status), "configuration reloaded");
		sd_notifyf(0, "READY=1\nSTATUS=%s", s->status);
	}
}

void svc_stopping(struct svc *s, struct store *st)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	snprintf(s->status, sizeof(s->status), "stopped");
	if (st)
		beat(s, st, 0);
}
