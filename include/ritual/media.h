/*
 * media.h - image bytes: type from magic bytes, dimensions from the header,
 * and each network's rules. No network I/O, no database.
 */
#ifndef RITUAL_MEDIA_H
#define RITUAL_MEDIA_H

#include <stddef.h>
#include "ritual/util.h"

enum media_type {
	MEDIA_UNKNOWN = 0,
	MEDIA_JPEG,
	MEDIA_PNG,
	MEDIA_GIF,
	MEDIA_WEBP
};

struct media_info {
	enum media_type type;
	long width, height;   /* pixels, from the file's header */
	size_t size;          /* bytes */
	long frames;          /* GIF frame count (1 for other types) */
};

/* Identify data. Returns -1 (with a message naming the first bytes seen
 * and the accepted types) if it is not a JPEG, PNG, GIF or WebP image, or
 * its header is truncated/corrupt, or its dimensions are zero. */
int media_probe(const unsigned char *data, size_t len, struct media_info *out,
		struct err *err);

/* "image/jpeg", ...; "application/octet-stream" for MEDIA_UNKNOWN. */
const char *media_mime(enum media_type t);
/* "JPEG", "PNG", "GIF", "WebP", "unknown". */
const char *media_type_name(enum media_type t);
/* "jpg", "png", "gif", "webp", "bin". */
const char *media_extension(enum media_type t);
/* From a mime string; MEDIA_UNKNOWN if unrecognised. */
enum media_type media_type_from_mime(const char *mime);

#define MEDIA_BIT(t) (1u << (t))

/* One network's image rules. Zero means "no limit" for each number. */
struct media_rules {
	const char *network;     /* for messages: "instagram" */
	unsigned types;          /* MEDIA_BIT mask of accepted types */
	size_t max_bytes;        /* inclusive */
	long max_pixels;         /* width*height must be < max_pixels */
	double min_ratio;        /* width/height >= min_ratio (e.g. 0.8 for 4:5) */
	double max_ratio;        /* width/height <= max_ratio (e.g. 1.91) */
	long max_frames;
};

/*
 * Check info against rules. On failure returns -1 with a message that
 * names the network, the problem and the fix, e.g.
 *   "instagram needs an aspect ratio from 4:5 to 1.91:1 but the image is
 *    1080x1920 (0.56:1); crop it to 4:5 or wider"
 *   "facebook accepts JPEG or PNG, not GIF; save the image as JPEG"
 *   "instagram accepts images up to 8.0 MB but this one is 9.3 MB; ..."
 */
int media_check(const struct media_info *info, const struct media_rules *rules,
		struct err *err);

/* The image rules of network net (enum network, config.h) under cfg's
 * limits group: what ritual add and the pre-flight check an image with. */
struct config;
void media_rules_for(const struct config *cfg, int net, struct media_rules *out);

/* A width:height ratio as owners read it: "4:5", "1:1", "1.91:1", "16:9"
 * ... for the common ones, else "%.2f:1". Writes at most outlen bytes. */
void media_ratio_name(double r, char *out, size_t outlen);

#endif
