/*
 * fuzz_media.c - media_probe on arbitrary bytes, then media_check with
 * each network's rules (queue_media_rules) and with rules taken from the
 * input's last bytes.
 *
 * Invariants: a probed image has a known type, positive dimensions, its
 * size equal to the input's and at least one frame (exactly one unless
 * GIF); a refusal has a message; probing is deterministic; media_check
 * always explains a refusal, and accepts an image whose numbers are all
 * within the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ritual/media.h"
#include "ritual/queue.h"

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
		queue_media_rules(&fz_cfg, (enum network)n, &r);
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
	return 0;
}
