/*
 * registry.c - which publisher serves which network, and the helpers every
 * publisher shares. Adding a network is one line in publisher_for().
 */
#include <stdarg.h>
#include <stdio.h>

#include "ritual/publisher.h"

extern const struct publisher facebook_publisher;
extern const struct publisher instagram_publisher;
extern const struct publisher linkedin_publisher;

const struct publisher *publisher_for(enum network n)
{
	switch (n) {
	case NET_FACEBOOK:
		return &facebook_publisher;
	case NET_INSTAGRAM:
		return &instagram_publisher;
	case NET_LINKEDIN:
		return &linkedin_publisher;
	default:
		return NULL;
	}
}

const char *pub_class_name(enum pub_class c)
{
	static const char *const names[] = {
		"ok", "wait", "transient", "rate-limited", "auth", "owner action",
		"permanent", "duplicate", "configuration", "unknown",
	};
	return (unsigned)c < RT_ARRAY_LEN(names) ? names[c] : "?";
}

int pub_result_set(struct pub_result *res, enum pub_class cls,
		   const char *fmt, ...)
{
	va_list ap;
	res->cls = cls;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	/* Platforms quote tokens back ("Malformed access token ..."). */
	secret_scrub(res->message, sizeof(res->message));
	return 0;
}

time_t pub_window_start(time_t t)
{
	return t > 300 ? t - 300 : 0;
}
