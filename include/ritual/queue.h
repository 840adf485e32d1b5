/*
 * queue.h - from post files to queued deliveries, all or nothing.
 *
 * Three steps, so that the database's write lock is held only to insert:
 *
 *  queue_read   reads and checks every file with no database: header
 *               syntax (postfile), accounts, the image (read now: its bytes
 *               go into the database, so moving the file later loses
 *               nothing; a FIFO, device or folder is refused at once, never
 *               opened blocking), times (past, DST gap, Expires before
 *               At), the exact text per network (format) within each
 *               network's limits, and each delivery's content hash. A file
 *               with a syntax problem is still checked as far as it parsed.
 *  queue_place  inside the caller's write transaction (store_begin), reads
 *               the occupancy of the batch's accounts once and gives each
 *               post without At: the earliest slot at or after now that no
 *               live delivery of any of its accounts holds (one walk of the
 *               slot generator for the whole batch); then Expires against
 *               the slot, and duplicates: the same text and image to the
 *               same account as a live delivery within
 *               schedule.duplicate_window, or as another file of the batch,
 *               is refused (unless again). Two posts of one account in the
 *               same minute give a warning (b->warnings).
 *  queue_insert inserts the batch; the caller commits.
 *
 * Images are not refused for what can be fixed: each target network gets
 * its own rendered variant (image.h: upright, JPEG, inside the network's
 * ratio, size and byte limits, no metadata), made by queue_read; only what
 * cannot be fixed is refused. queue_insert writes the original and one
 * variant per network.
 *
 * Every problem of every file is kept with its file (queue_problems hands
 * them out grouped by file, in file order, each once), each naming the
 * file, the line or the network, and the fix.
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
	int rendered;                      /* text holds the wire text */
	char hash[STORE_HASH_LEN + 1];     /* store_content_hash; "" if not rendered */
};

struct queue_item {
	char *path;                         /* the file as given */
	struct post_file *pf;               /* NULL when nothing parsed */
	int parsed;                         /* pf parsed without a problem */
	struct diag diag;                   /* this file's problems */
	unsigned char *image;               /* NULL without Image: */
	size_t image_len;
	struct media_info info;             /* type (MEDIA_UNKNOWN for HEIC,
					     * TIFF), stored size, bytes */
	struct image_source src;            /* what the original is */
	long upright_width, upright_height; /* after the EXIF orientation */
	time_t due;
	int has_due;                        /* due is known (At: or a slot) */
	int from_slot;
	time_t expires;                     /* 0 = none */
	struct queue_target *targets;
	size_t ntargets;
};

struct queue_batch {
	struct queue_item *items;           /* one per file, in the order given */
	size_t n;
	size_t nbad;                        /* items with a problem */
	struct diag warnings;   /* not refusals: a small image, no Alt:,
				 * hashtags, links or the phone typed into the
				 * body, two posts in one minute */
};

/*
 * Read and check files (in the order given; callers sort a folder's files
 * by name). *out is always set, owned by the caller (queue_batch_free).
 * Returns 0 when every file is clean, -1 when some file has a problem.
 */
int queue_read(const struct config *cfg, char *const *files, size_t n,
	       time_t now, struct queue_batch **out);
/*
 * Slots, Expires against them, duplicates and warnings (see above). st
 * may be NULL (then occupancy and duplicates are judged from the batch
 * alone, as for a preview). Call inside store_begin when inserting next,
 * so that no other writer can take the chosen slots. Returns 0 when the
 * batch is clean, -1 when it has problems (in the items), -2 on a
 * database error (err).
 */
int queue_place(const struct config *cfg, const struct slots *slots,
		struct store *st, struct queue_batch *b, time_t now, int again,
		struct err *err);
/* Insert the batch (inside the caller's transaction); ids[i] gets item i's
 * post id. */
int queue_insert(struct store *st, const struct queue_batch *b, time_t now,
		 int64_t *ids, struct err *err);
/* Every problem, grouped by file in file order, each message once. */
void queue_problems(const struct queue_batch *b, struct diag *out);
void queue_batch_free(struct queue_batch *b);

/* The *.post files in dir, sorted by name (caller frees with strv_free). */
int queue_list_dir(const char *dir, char ***files, size_t *n, struct err *err);

#endif
