/*
 * fuzz_instagram.c - the Instagram publisher's parsers (instagram_internal.h:
 * container status text "Error: 2207xxx" -> subcode, Graph timestamps, the
 * API origin) on each response body of a script (see fuzz.h), then the
 * Instagram publisher run over the script: quota, container, status polls
 * (IN_PROGRESS/FINISHED/ERROR/EXPIRED/PUBLISHED), media_publish, finding a
 * published post, token refresh (op maintain), check.
 *
 * Invariants: a status subcode is 0, or a 2207xxx number that occurs in
 * the text, or 2207052 for a "could not be fetched" text; the table entry
 * of a subcode is that subcode's; the origin is a prefix of the URL that
 * ends at the host; poll delays are the documented steps; plus the
 * publisher checks of fuzz_common.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../src/net/instagram_internal.h"

static void parsers(const char *s)
{
	long sub = ig_status_subcode(s);
	if (sub) {
		FZ_CHECK(sub >= 2207000 && sub <= 2207999, "subcode %ld", sub);
		char digits[16];
		snprintf(digits, sizeof(digits), "%ld", sub);
		FZ_CHECK(strstr(s, digits) || sub == 2207052,
			 "subcode %ld is not in the text", sub);
	}
	const struct ig_subcode_info *info = ig_subcode_info(sub);
	if (info)
		FZ_CHECK(info->subcode == sub && info->what && info->fix,
			 "table entry for %ld", sub);

	time_t t;
	int r = ig_parse_time(s, &t);
	FZ_CHECK(r == 0 || r == -1, "ig_parse_time %d", r);

	char *origin = ig_origin(s);
	if (origin) {
		size_t n = strlen(origin);
		FZ_CHECK(strncmp(origin, s, n) == 0, "origin is not a prefix");
		const char *host = strstr(origin, "://");
		FZ_CHECK(host && host != origin, "origin without a scheme");
		FZ_CHECK(!strpbrk(host + 3, "/?#") && host[3], "origin \"%s\" has a "
			 "path or no host", origin);
		free(origin);
	}
	static const long steps[] = {5, 10, 20, 30, 60};
	long polls = (long)strlen(s) - 3;
	long d = ig_poll_delay(polls);
	int known = 0;
	for (size_t i = 0; i < RT_ARRAY_LEN(steps); i++)
		known |= d == steps[i];
	FZ_CHECK(known, "poll delay %ld after %ld polls", d, polls);
	long days = ig_token_days_left(FZ_NOW - (time_t)strlen(s) * 3600, FZ_NOW);
	FZ_CHECK(days <= 60, "token days left %ld", days);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	struct fz_script sc;
	fz_script_parse(data, size, &sc);
	for (size_t i = 0; i < sc.nresp; i++) {
		char *body = fz_cstr((const uint8_t *)sc.resp[i].body,
				     sc.resp[i].body_len);
		parsers(body);
		free(body);
	}
	if (sc.nresp == 0) {
		char *s = fz_cstr(data, size);
		parsers(s);
		free(s);
	}
	fz_script_free(&sc);
	fz_publisher_run(NET_INSTAGRAM, data, size);
	return 0;
}
