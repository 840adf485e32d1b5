/*
 * image.h - photos as they come off the phone, made fit for each network
 * (libvips).
 *
 * image_open reads an image's header, refuses a decompression bomb before
 * any pixel is decoded (IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE, IMAGE_MAX_MEMORY),
 * then decodes the whole file once (a file cut short or damaged anywhere is
 * refused here, not only by its header) and applies the EXIF orientation.
 * image_render then makes one variant for one network's rules: transparency
 * flattened onto a background, the aspect ratio brought inside the
 * network's range by a centred crop or by padding, shrunk to a longest side
 * of IMAGE_LONGEST_SIDE and under the network's byte and pixel limits, and
 * encoded as JPEG with every piece of metadata (EXIF, GPS, XMP, ICC
 * comments) stripped. An animated GIF is kept as it is for a network that
 * takes animations (LinkedIn) and refused for the others.
 *
 * image_init starts libvips (VIPS_INIT) and sets its limits (one worker
 * thread, no operation cache, untrusted loaders blocked); image_open and
 * image_heif_supported call it on first use, so a command that reads no
 * image never starts libvips. A program may call it earlier (argv0 for
 * libvips' messages); a second call does nothing. No network I/O, no files, no
 * database.
 */
#ifndef RITUAL_IMAGE_H
#define RITUAL_IMAGE_H

#include <stddef.h>
#include "ritual/media.h"
#include "ritual/util.h"

#define IMAGE_MAX_PIXELS   50000000L          /* width*height of the original */
#define IMAGE_MAX_SIDE     30000L             /* either dimension */
#define IMAGE_MAX_MEMORY   (400L * 1024 * 1024) /* decoded bytes */
#define IMAGE_LONGEST_SIDE 2048L              /* of every variant */
#define IMAGE_MIN_WIDTH    320L               /* narrower: a warning */

enum image_fit {
	IMAGE_FIT_CROP = 0,   /* centred crop to the nearest allowed ratio */
	IMAGE_FIT_PAD         /* pad with the background colour instead */
};

/* Start libvips once (later calls return 0 at once). argv0 for libvips'
 * own messages (NULL: "ritual"). -1 with a message if libvips cannot
 * start. */
int image_init(const char *argv0, struct err *err);

/* Stop libvips if it was started: its worker threads end and its caches
 * go, so that the process exits with one thread (LeakSanitizer's exit scan
 * crashed now and then on libvips' threads still running). Every struct
 * image must be closed first; libvips cannot start again after it (a
 * later image_init fails). */
void image_shutdown(void);

/* Whether this libvips can read HEIC/HEIF photos. */
int image_heif_supported(void);

struct image;   /* a decoded, upright original; opaque */

/* What the original is (from its header, before orientation). */
struct image_source {
	char type[8];          /* "JPEG", "PNG", "GIF", "WebP", "HEIC", "TIFF" */
	char mime[16];         /* "image/jpeg", ..., "image/heic", "image/tiff" */
	long width, height;    /* as stored in the file */
	long frames;           /* pages/frames; 1 for a still image */
	int orientation;       /* EXIF orientation 1..8 (1 = upright) */
	int alpha;             /* has an alpha channel */
};

/*
 * Check and decode data (borrowed; must outlive *out). On success *out is
 * owned by the caller (image_close) and src is filled. Returns -1 with a
 * message naming the problem and what to do: not an image (what the bytes
 * look like), a format we cannot read, a file damaged or cut short, or an
 * image too large to process (refused from its header, before decoding).
 */
int image_open(const unsigned char *data, size_t len, struct image **out,
	       struct image_source *src, struct err *err);
void image_close(struct image *img);

/* The upright size (after the EXIF orientation). */
void image_size(const struct image *img, long *width, long *height);

struct image_params {
	const struct media_rules *rules;   /* the network's; borrowed */
	enum image_fit fit;
	unsigned char background[3];       /* RGB for transparency and padding */
};

struct image_variant {
	unsigned char *data;   /* owned (image_variant_free) */
	size_t len;
	char mime[16];         /* "image/jpeg", or "image/gif" (kept animation) */
	long width, height;
	char *notes;           /* what was done, e.g. "rotated upright (EXIF
				* orientation 6); cropped 3024x4032 to
				* 3024x3780 (4:5); shrunk to 1638x2048;
				* metadata removed; 812 KB" - owned */
};

/*
 * One variant of img for p->rules. The result always passes media_check
 * against p->rules. -1 with a message naming the network when it cannot be
 * made (an animation the network does not take, or no JPEG small enough).
 */
int image_render(const struct image *img, const struct image_params *p,
		 struct image_variant *out, struct err *err);
void image_variant_free(struct image_variant *v);

#endif
