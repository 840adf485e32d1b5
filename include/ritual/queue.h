/*
 * queue.h - from post files to queued deliveries, all or nothing.
 *
 * queue_prepare reads and checks a batch of post files against the
 * configuration, every target network's rules and the clock: header syntax
 * (postfile), accounts, the image (read now: its bytes go into the
 * database, so moving the file later loses nothing), times (past, DST gap,
 * Expires before At), and the exact text per network (format) within each
 * network's limits. Posts without At: take the earliest slot at or after
 * now that no live delivery of any of their accounts holds. Every problem
 * in every file is reported (diag), each naming the file, the line or the
 * network, and the fix. Images are not refused for what can be fixed:
 * each target network gets its own rendered variant (image.h: upright,
 * JPEG, inside the network's ratio, size and byte limits, no metadata);
 * only what cannot be fixed is refused. queue_commit then writes the whole
 * batch in one transaction: the original and one variant per network.
 */
#ifndef RITUAL_QUEUE_H
#define RITUAL_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "ritual/config.h"
#include "ritual/format.h"
#include "ritual/image.h"
#include "ritual/media.h"
#include "ritual/postfile.h"
#include "ritual/schedule.h"
#include "ritual/store.h"

struct queue_target {
	const struct account *account;     /* borrowed from the config */
	struct format_output text;
	struct image_variant variant;      /* what this network is sent; data
					    * NULL without an image */
};

struct queue_item {
	struct post_file *pf;
	unsigned char *image;               /* NULL without Image: */
	size_t image_len;
	struct media_info info;             /* type (MEDIA_UNKNOWN for HEIC,
					     * TIFF), stored size, bytes */
	struct image_source src;            /* what the original is */
	long upright_width, upright_height; /* after the EXIF orientation */
	time_t due;
	int from_slot;
	time_t expires;                     /* 0 = none */
	struct queue_target *targets;
	size_t ntargets;
};

struct queue_batch {
	struct queue_item *items;
	size_t n;
	struct diag warnings;   /* what is queued anyway but worth a look: a
				 * small image, no Alt:, hashtags, links or the
				 * phone typed into the body */
};

/*
 * Check files (in the order given; callers sort a folder's files by name).
 * st may be NULL (then slot occupancy is judged from the batch alone, as
 * for a preview of a file). slots are the parsed schedule.slots. On
 * success *out is owned by the caller (queue_batch_free). On failure
 * returns -1 with every problem in diag.
 */
int queue_prepare(const struct config *cfg, const struct slots *slots,
		  struct store *st, char *const *files, size_t n, time_t now,
		  struct queue_batch **out, struct diag *diag);
/* Insert the batch in one transaction; ids[i] gets item i's post id. */
int queue_commit(struct store *st, const struct queue_batch *b, time_t now,
		 int64_t *ids, struct err *err);
void queue_batch_free(struct queue_batch *b);

/* The image rules of a network under cfg's limits. */
void queue_media_rules(const struct config *cfg, enum network net,
		       struct media_rules *out);

/* The *.post files in dir, sorted by name (caller frees with strv_free). */
int queue_list_dir(const char *dir, char ***files, size_t *n, struct err *err);

#endif
