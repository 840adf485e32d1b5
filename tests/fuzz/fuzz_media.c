/*
 * fuzz_media.c - media_probe on arbitrary bytes, then media_check with
 * each network's rules (media_rules_for) and with rules taken from the
 * input's last bytes.
 *
 * Invariants: a probed image has a known type, positive dimensions, its
 * size equal to the input's and at least one frame (exactly one unless
 * GIF); a refusal has a message; probing is deterministic; media_check
 * always explains a refusal, and accepts an image whose numbers are all
 * within the rules.
 *
 * Then the queue-time path of issue 13 on the same bytes (inputs up to
 * 256 KiB): image_open (header limits before any decoding, the whole file
 * decoded) and image_render for each network's rules. Invariants: a
 * refusal has a message; an opened image has positive dimensions within
 * IMAGE_MAX_SIDE and IMAGE_MAX_PIXELS; every variant passes media_probe
 * and media_check for the rules it was rendered for (so the network takes
 * it), has a longest side of at most IMAGE_LONGEST_SIDE unless it is a
 * kept animation, and carries no "Exif" block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ritual/image.h"
#include "ritual/media.h"
#include "ritual/queue.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e;
	(void)argc;
	if (image_init((*argv)[0], &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		abort();
	}
	return 0;
}

static void check_render(const uint8_t *data, size_t size)
{
	struct image *img = NULL;
	struct image_source src;
	struct err e = {{0}};
	if (size > 256 * 1024)
		return;
	int rc = image_open(data, size, &img, &src, &e);
	FZ_CHECK(rc == 0 || rc == -1, "image_open rc %d", rc);
	if (rc < 0) {
		FZ_CHECK(e.msg[0], "image_open refused without a message");
		FZ_CHECK(img == NULL, "refused but returned an image");
		return;
	}
	FZ_CHECK(src.width > 0 && src.height > 0 && src.width <= IMAGE_MAX_SIDE &&
		 src.height <= IMAGE_MAX_SIDE &&
		 (double)src.width * src.height <= (double)IMAGE_MAX_PIXELS,
		 "opened %ldx%ld", src.width, src.height);
	for (int n = 0; n < NET__COUNT; n++) {
		struct media_rules r;
		media_rules_for(&fz_cfg, (enum network)n, &r);
		for (int fit = 0; fit < 2; fit++) {
			struct image_params p = {.rules = &r, .fit = (enum image_fit)fit,
						 .background = {255, 255, 255}};
			struct image_variant v;
			struct err ve = {{0}};
			if (image_render(img, &p, &v, &ve) < 0) {
				FZ_CHECK(ve.msg[0], "render refused without a message");
				continue;
			}
			struct media_info vi;
			struct err ce = {{0}};
			FZ_CHECK(media_probe(v.data, v.len, &vi, &ce) == 0,
				 "variant does not probe: %s", ce.msg);
			FZ_CHECK(media_check(&vi, &r, &ce) == 0,
				 "%s refuses its own variant: %s", r.network, ce.msg);
			FZ_CHECK(vi.width == v.width && vi.height == v.height,
				 "variant says %ldx%ld, is %ldx%ld", v.width, v.height,
				 vi.width, vi.height);
			if (vi.type == MEDIA_JPEG)
				FZ_CHECK(v.width <= IMAGE_LONGEST_SIDE &&
					 v.height <= IMAGE_LONGEST_SIDE,
					 "variant %ldx%ld", v.width, v.height);
			if (vi.type == MEDIA_JPEG && strncmp(v.notes, "sent as it is", 13))
				FZ_CHECK(!memmem(v.data, v.len, "Exif\0", 5),
					 "variant kept EXIF");
			image_variant_free(&v);
		}
	}
	image_close(img);
}

static void check_rules(const struct media_info *mi, const struct media_rules *r)
{
	struct err e = {{0}};
	int rc = media_check(mi, r, &e);
	FZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc < 0) {
		FZ_CHECK(e.msg[0], "refused image without a message");
		return;
	}
	unsigned types = r->types ? r->types : 0x1Eu;
	FZ_CHECK(types & MEDIA_BIT(mi->type), "accepted a type not in the rules");
	if (r->max_bytes)
		FZ_CHECK(mi->size <= r->max_bytes, "accepted %zu bytes > %zu",
			 mi->size, r->max_bytes);
	if (r->max_pixels > 0)
		FZ_CHECK((unsigned long long)mi->width * (unsigned long long)mi->height <
			 (unsigned long long)r->max_pixels, "accepted too many pixels");
	if (r->max_frames > 0)
		FZ_CHECK(mi->frames <= r->max_frames, "accepted too many frames");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media_info mi, mi2;
	struct err e = {{0}}, e2 = {{0}};
	int rc = media_probe(data, size, &mi, &e);
	FZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	int rc2 = media_probe(data, size, &mi2, &e2);
	FZ_CHECK(rc == rc2 && memcmp(&mi, &mi2, sizeof(mi)) == 0 &&
		 strcmp(e.msg, e2.msg) == 0, "media_probe is not deterministic");
	if (rc < 0) {
		FZ_CHECK(e.msg[0], "refused data without a message");
		/* an unreadable image still gets a full answer from the checks */
		mi = (struct media_info){.type = MEDIA_UNKNOWN, .size = size, .frames = 1};
	} else {
		FZ_CHECK(mi.type >= MEDIA_JPEG && mi.type <= MEDIA_WEBP, "type %d",
			 (int)mi.type);
		FZ_CHECK(mi.width > 0 && mi.height > 0, "size %ldx%ld", mi.width,
			 mi.height);
		FZ_CHECK(mi.size == size, "size %zu of %zu bytes", mi.size, size);
		FZ_CHECK(mi.frames >= 1, "frames %ld", mi.frames);
		if (mi.type != MEDIA_GIF)
			FZ_CHECK(mi.frames == 1, "%s with %ld frames",
				 media_type_name(mi.type), mi.frames);
		FZ_CHECK(media_type_from_mime(media_mime(mi.type)) == mi.type,
			 "mime round trip");
	}

	for (int n = 0; n < NET__COUNT; n++) {
		struct media_rules r;
		media_rules_for(&fz_cfg, (enum network)n, &r);
		check_rules(&mi, &r);
	}
	if (size >= 16) {
		const uint8_t *t = data + size - 16;
		struct media_rules r = {
			.network = "fuzznet",
			.types = t[0] & 0x1E,
			.max_bytes = (size_t)(t[1] | t[2] << 8 | t[3] << 16),
			.max_pixels = (long)(t[4] | t[5] << 8 | (long)t[6] << 16),
			.min_ratio = t[7] / 64.0,
			.max_ratio = t[8] / 32.0,
			.max_frames = t[9],
		};
		check_rules(&mi, &r);
	}
	check_render(data, size);
	return 0;
}
