/*
 * test_media.c - image type, size and network rules (media.c).
 *
 * Every image here is built byte by byte in the test: the smallest headers
 * that real decoders accept, then cut short or damaged on purpose.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ritual/media.h"

#define MAXIMG 1024

struct img {
	unsigned char d[MAXIMG];
	size_t len;
	size_t header_end; /* bytes needed before the probe can succeed */
};

static void put(struct img *m, const void *p, size_t n)
{
	assert_true(m->len + n <= MAXIMG);
	memcpy(m->d + m->len, p, n);
	m->len += n;
}

static void put1(struct img *m, unsigned v)
{
	unsigned char c = (unsigned char)v;
	put(m, &c, 1);
}

static void put_be16(struct img *m, unsigned v)
{
	put1(m, v >> 8);
	put1(m, v & 0xFF);
}

static void put_le16(struct img *m, unsigned v)
{
	put1(m, v & 0xFF);
	put1(m, v >> 8);
}

static void put_be32(struct img *m, uint32_t v)
{
	put_be16(m, v >> 16);
	put_be16(m, v & 0xFFFF);
}

static void put_le32(struct img *m, uint32_t v)
{
	put_le16(m, v & 0xFFFF);
	put_le16(m, v >> 16);
}

/* A baseline JPEG: SOI, APP0 JFIF, [APP1 Exif orientation], SOF, DHT,
 * SOS, a little scan data, EOI. sof is the SOF marker (0xC0...). */
static void make_jpeg(struct img *m, unsigned sof, unsigned w, unsigned h,
		      unsigned orientation)
{
	static const unsigned char app0[] = {
		0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0,
		0, 1, 0, 1, 0, 0
	};
	memset(m, 0, sizeof(*m));
	put(m, "\xFF\xD8", 2);
	put(m, app0, sizeof(app0));
	if (orientation) {
		/* APP1: "Exif\0\0", big-endian TIFF, one IFD entry 0x0112 */
		put(m, "\xFF\xE1", 2);
		put_be16(m, 2 + 6 + 8 + 2 + 12 + 4);
		put(m, "Exif\0\0", 6);
		put(m, "MM\0*", 4);
		put_be32(m, 8);
		put_be16(m, 1);
		put_be16(m, 0x0112);
		put_be16(m, 3);
		put_be32(m, 1);
		put_be16(m, orientation);
		put_be16(m, 0);
		put_be32(m, 0);
	}
	put1(m, 0xFF);
	put1(m, sof);
	put_be16(m, 17);
	put1(m, 8);
	put_be16(m, h);
	put_be16(m, w);
	put(m, "\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
	m->header_end = m->len;
	put(m, "\xFF\xC4\x00\x05\x00\x00\x00", 7); /* DHT */
	put(m, "\xFF\xDA\x00\x0C\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00", 14);
	put(m, "\x12\x34\xFF\x00\x56", 5);
	put(m, "\xFF\xD9", 2);
}

static uint32_t crc32_ref(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return ~c;
}

static void make_png(struct img *m, uint32_t w, uint32_t h)
{
	memset(m, 0, sizeof(*m));
	put(m, "\x89PNG\r\n\x1a\n", 8);
	put_be32(m, 13);
	size_t start = m->len;
	put(m, "IHDR", 4);
	put_be32(m, w);
	put_be32(m, h);
	put(m, "\x08\x02\x00\x00\x00", 5);
	put_be32(m, crc32_ref(m->d + start, 17));
	m->header_end = m->len;
	put(m, "\x00\x00\x00\x00IEND\xAE\x42\x60\x82", 12);
}

/* One image block: descriptor, optional local colour table, LZW data. */
static void gif_frame(struct img *m, unsigned w, unsigned h, int local_table)
{
	put(m, "\x21\xF9\x04\x04\x0A\x00\x00\x00", 8); /* graphic control */
	put1(m, 0x2C);
	put_le16(m, 0);
	put_le16(m, 0);
	put_le16(m, w);
	put_le16(m, h);
	put1(m, local_table ? 0x80 : 0x00);
	if (local_table)
		put(m, "\x00\x00\x00\xFF\xFF\xFF", 6);
	put1(m, 2);                       /* LZW minimum code size */
	put(m, "\x02\x44\x01", 3);        /* one sub-block of two bytes */
	put1(m, 0);                       /* terminator */
}

static void make_gif(struct img *m, unsigned w, unsigned h, int frames)
{
	memset(m, 0, sizeof(*m));
	put(m, "GIF89a", 6);
	put_le16(m, w);
	put_le16(m, h);
	put(m, "\x80\x00\x00", 3);                 /* 2-colour global table */
	put(m, "\x00\x00\x00\xFF\xFF\xFF", 6);
	/* NETSCAPE loop extension, as animated GIFs carry */
	put(m, "\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00", 19);
	for (int i = 0; i < frames; i++) {
		gif_frame(m, w, h, i == 1);
		if (i == 0)
			m->header_end = m->len;
	}
	put1(m, 0x3B);
}

static void make_webp(struct img *m, const char *chunk, unsigned w, unsigned h)
{
	memset(m, 0, sizeof(*m));
	put(m, "RIFF", 4);
	put_le32(m, 0); /* patched below */
	put(m, "WEBP", 4);
	put(m, chunk, 4);
	if (strcmp(chunk, "VP8 ") == 0) {
		put_le32(m, 18);
		put(m, "\x30\x01\x00\x9D\x01\x2A", 6);
		put_le16(m, w);
		put_le16(m, h);
		m->header_end = m->len;
		put(m, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
	} else if (strcmp(chunk, "VP8L") == 0) {
		put_le32(m, 6);
		put1(m, 0x2F);
		put_le32(m, (uint32_t)(w - 1) | (uint32_t)(h - 1) << 14);
		m->header_end = m->len;
		put1(m, 0);
	} else {
		put_le32(m, 10);
		put(m, "\x00\x00\x00\x00", 4);
		put1(m, (w - 1) & 0xFF);
		put1(m, ((w - 1) >> 8) & 0xFF);
		put1(m, ((w - 1) >> 16) & 0xFF);
		put1(m, (h - 1) & 0xFF);
		put1(m, ((h - 1) >> 8) & 0xFF);
		put1(m, ((h - 1) >> 16) & 0xFF);
		m->header_end = m->len;
	}
	uint32_t riff = (uint32_t)m->len - 8;
	m->d[4] = riff & 0xFF;
	m->d[5] = (riff >> 8) & 0xFF;
	m->d[6] = (riff >> 16) & 0xFF;
	m->d[7] = riff >> 24;
}

static void probe_ok(const struct img *m, enum media_type t, long w, long h,
		     long frames)
{
	struct media_info info;
	struct err err = {{0}};
	int rc = media_probe(m->d, m->len, &info, &err);
	if (rc != 0)
		fail_msg("probe failed: %s", err.msg);
	assert_int_equal(info.type, t);
	assert_int_equal(info.width, w);
	assert_int_equal(info.height, h);
	assert_int_equal(info.frames, frames);
	assert_int_equal(info.size, m->len);
}

static void probe_fails(const unsigned char *d, size_t len, const char *needle)
{
	struct media_info info;
	struct err err = {{0}};
	assert_int_equal(media_probe(d, len, &info, &err), -1);
	if (needle && !strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

/* Every prefix shorter than the header is refused as cut short; from the
 * header on, the image is readable. */
static void every_prefix(const struct img *m, const char *type)
{
	char needle[64];
	snprintf(needle, sizeof(needle), "the %s file is cut short", type);
	for (size_t n = 12; n < m->header_end; n++)
		probe_fails(m->d, n, needle);
	struct media_info info;
	struct err err;
	assert_int_equal(media_probe(m->d, m->header_end, &info, &err), 0);
}

/* ---- JPEG ---- */

static void test_jpeg_size_from_every_sof(void **state)
{
	(void)state;
	static const unsigned sofs[] = {
		0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB,
		0xCD, 0xCE, 0xCF
	};
	struct img m;
	for (size_t i = 0; i < sizeof(sofs) / sizeof(sofs[0]); i++) {
		make_jpeg(&m, sofs[i], 1080, 1350, 0);
		probe_ok(&m, MEDIA_JPEG, 1080, 1350, 1);
	}
}

static void test_jpeg_dht_is_not_a_frame_header(void **state)
{
	(void)state;
	/* A DHT (C4) segment whose bytes would read as 1x1 must be skipped. */
	struct img m = {0};
	put(&m, "\xFF\xD8", 2);
	put(&m, "\xFF\xC4\x00\x08\x08\x00\x01\x00\x01\x03", 10);
	put(&m, "\xFF\xCC\x00\x04\x00\x00", 6); /* DAC */
	put(&m, "\xFF\xC0\x00\x11\x08", 5);
	put_be16(&m, 600);
	put_be16(&m, 800);
	put(&m, "\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
	probe_ok(&m, MEDIA_JPEG, 800, 600, 1);
}

static void test_jpeg_fill_bytes_and_standalone_markers(void **state)
{
	(void)state;
	struct img m = {0};
	put(&m, "\xFF\xD8", 2);
	put(&m, "\xFF\xFF\xFF\xE0\x00\x04\x00\x00", 8); /* fill bytes, APP0 */
	put(&m, "\xFF\x01", 2);                         /* TEM */
	put(&m, "\xFF\xD0", 2);                         /* RST0 */
	put(&m, "\xFF\xFF\xC2\x00\x0B\x08", 6);         /* SOF2, 1 component */
	put_be16(&m, 1000);
	put_be16(&m, 1910);
	put(&m, "\x01\x01\x11\x00", 4);
	probe_ok(&m, MEDIA_JPEG, 1910, 1000, 1);
}

static void test_jpeg_exif_rotation_swaps_size(void **state)
{
	(void)state;
	struct img m;
	/* A phone photo stored 4032x3024 with "rotate 90" shows portrait. */
	make_jpeg(&m, 0xC0, 4032, 3024, 6);
	probe_ok(&m, MEDIA_JPEG, 3024, 4032, 1);
	make_jpeg(&m, 0xC0, 4032, 3024, 8);
	probe_ok(&m, MEDIA_JPEG, 3024, 4032, 1);
	make_jpeg(&m, 0xC0, 4032, 3024, 3); /* upside down: same size */
	probe_ok(&m, MEDIA_JPEG, 4032, 3024, 1);
	make_jpeg(&m, 0xC0, 4032, 3024, 1);
	probe_ok(&m, MEDIA_JPEG, 4032, 3024, 1);
}

static void test_jpeg_truncated(void **state)
{
	(void)state;
	struct img m;
	make_jpeg(&m, 0xC0, 1080, 1350, 6);
	every_prefix(&m, "JPEG");
	probe_fails(m.d, 3, "cut short");
}

static void test_jpeg_corrupt(void **state)
{
	(void)state;
	struct img m;

	/* no marker where one must be */
	{
		unsigned char d[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0,
				     0x12, 0x34};
		probe_fails(d, sizeof(d), "the JPEG file is damaged (no marker at byte 8)");
	}
	/* segment length below 2 */
	{
		unsigned char d[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0, 0};
		probe_fails(d, sizeof(d), "bad segment length");
	}
	/* scan data before any frame header */
	{
		unsigned char d[] = {0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0, 0};
		probe_fails(d, sizeof(d), "image data before the image size");
	}
	/* end of image before any frame header */
	{
		unsigned char d[] = {0xFF, 0xD8, 0xFF, 0xD9};
		probe_fails(d, sizeof(d), "end of image");
	}
	/* frame header too short for its components */
	{
		unsigned char d[] = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8,
				     0x01, 0x00, 0x01, 0x00, 0x03, 0, 0, 0};
		probe_fails(d, sizeof(d), "bad frame header");
	}
	/* segment running past the end */
	{
		unsigned char d[] = {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, 'E', 'x'};
		probe_fails(d, sizeof(d), "cut short");
	}
	/* height 0 (a DNL-style JPEG): no size to check */
	make_jpeg(&m, 0xC0, 640, 0, 0);
	probe_fails(m.d, m.len, "says it is 640x0 pixels");
}

static void test_jpeg_bad_exif_is_ignored(void **state)
{
	(void)state;
	struct img m;
	make_jpeg(&m, 0xC0, 400, 300, 6);
	/* IFD offset far past the block: orientation unknown, size as stored */
	size_t exif = 2 + 18 + 4 + 6;
	m.d[exif + 4] = 0x7F;
	probe_ok(&m, MEDIA_JPEG, 400, 300, 1);
	/* wrong type for the orientation entry */
	make_jpeg(&m, 0xC0, 400, 300, 6);
	m.d[exif + 8 + 2 + 3] = 4;
	probe_ok(&m, MEDIA_JPEG, 400, 300, 1);
}

/* ---- PNG ---- */

static void test_png(void **state)
{
	(void)state;
	struct img m;
	make_png(&m, 1200, 628);
	probe_ok(&m, MEDIA_PNG, 1200, 628, 1);
	every_prefix(&m, "PNG");
}

static void test_png_corrupt(void **state)
{
	(void)state;
	struct img m;
	make_png(&m, 1200, 628);
	m.d[12] = 'X'; /* not IHDR */
	probe_fails(m.d, m.len, "the PNG file is damaged (no IHDR header");
	make_png(&m, 1200, 628);
	m.d[17] ^= 0x01; /* width changed, checksum not */
	probe_fails(m.d, m.len, "checksum");
	make_png(&m, 0, 628);
	probe_fails(m.d, m.len, "says it is 0x628 pixels");
	make_png(&m, 0x80000000u, 10);
	probe_fails(m.d, m.len, "impossible size");
}

/* ---- GIF ---- */

static void test_gif_frames(void **state)
{
	(void)state;
	struct img m;
	make_gif(&m, 320, 240, 1);
	probe_ok(&m, MEDIA_GIF, 320, 240, 1);
	make_gif(&m, 320, 240, 3);
	probe_ok(&m, MEDIA_GIF, 320, 240, 3);
	/* GIF87a, no global table, no extensions */
	struct img g = {0};
	put(&g, "GIF87a", 6);
	put_le16(&g, 16);
	put_le16(&g, 9);
	put(&g, "\x00\x00\x00", 3);
	put(&g, "\x2C\x00\x00\x00\x00\x10\x00\x09\x00\x00\x02\x01\x00\x00\x3B", 15);
	probe_ok(&g, MEDIA_GIF, 16, 9, 1);
}

static void test_gif_truncated(void **state)
{
	(void)state;
	struct img m;
	make_gif(&m, 320, 240, 2);
	every_prefix(&m, "GIF");
	/* cut in the middle of the second frame: refused */
	probe_fails(m.d, m.len - 4, "the GIF file is cut short");
	/* cut right before the trailer: viewers show it, so do we */
	struct media_info info;
	struct err err;
	assert_int_equal(media_probe(m.d, m.len - 1, &info, &err), 0);
	assert_int_equal(info.frames, 2);
}

static void test_gif_corrupt(void **state)
{
	(void)state;
	struct img m = {0};
	put(&m, "GIF89a\x10\x00\x10\x00\x00\x00\x00", 13);
	put1(&m, 0x3B); /* trailer straight away: no picture */
	probe_fails(m.d, m.len, "holds no picture");

	make_gif(&m, 320, 240, 1);
	m.d[m.len - 1] = 0x99; /* not a block introducer */
	probe_fails(m.d, m.len, "the GIF file is damaged (unknown block at byte");

	/* a sub-block length that runs past the end */
	make_gif(&m, 320, 240, 1);
	m.d[m.header_end - 4] = 0xF0; /* sub-block length */
	probe_fails(m.d, m.len, "cut short");

	/* a global colour table larger than the file */
	struct img t = {0};
	put(&t, "GIF89a\x10\x00\x10\x00\x87\x00\x00", 13);
	put(&t, "\x00\x00\x00", 3);
	probe_fails(t.d, t.len, "cut short");
}

/* ---- WebP ---- */

static void test_webp(void **state)
{
	(void)state;
	struct img m;
	make_webp(&m, "VP8 ", 1080, 1350);
	probe_ok(&m, MEDIA_WEBP, 1080, 1350, 1);
	every_prefix(&m, "WebP");
	make_webp(&m, "VP8L", 1910, 1000);
	probe_ok(&m, MEDIA_WEBP, 1910, 1000, 1);
	every_prefix(&m, "WebP");
	make_webp(&m, "VP8X", 16383 + 100, 20000);
	probe_ok(&m, MEDIA_WEBP, 16483, 20000, 1);
	every_prefix(&m, "WebP");
}

static void test_webp_corrupt(void **state)
{
	(void)state;
	struct img m;
	make_webp(&m, "VP8 ", 100, 100);
	m.d[23] = 0x00; /* start code */
	probe_fails(m.d, m.len, "no VP8 start code");
	make_webp(&m, "VP8 ", 100, 100);
	m.d[20] |= 1; /* inter frame */
	probe_fails(m.d, m.len, "not a key frame");
	make_webp(&m, "VP8L", 100, 100);
	m.d[20] = 0x00;
	probe_fails(m.d, m.len, "no VP8L signature");
	make_webp(&m, "VP8X", 100, 100);
	memcpy(m.d + 12, "ALPH", 4);
	probe_fails(m.d, m.len, "unknown first chunk");
	make_webp(&m, "VP8 ", 0, 100);
	probe_fails(m.d, m.len, "says it is 0x100 pixels");
}

/* ---- not images ---- */

static void test_not_an_image_names_first_bytes(void **state)
{
	(void)state;
	const char pdf[] = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
	probe_fails((const unsigned char *)pdf, sizeof(pdf) - 1,
		    "not an image: the file starts with \"%PDF-1.7\" (a PDF "
		    "document); use a JPEG or PNG file");
	const char html[] = "<!DOCTYPE html><html>";
	probe_fails((const unsigned char *)html, sizeof(html) - 1,
		    "\"<!DOCTYP\" (a web page (HTML), perhaps a download that failed)");
	const unsigned char heic[] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p',
				      'h', 'e', 'i', 'c', 0, 0, 0, 0};
	probe_fails(heic, sizeof(heic),
		    "unsupported image format: the file starts with bytes 00 00 "
		    "00 18 66 74 79 70 (a HEIC photo, the format iPhones save); "
		    "save it as JPEG or PNG");
	const unsigned char bin[] = {0x00, 0x01, 0x02, 0x03, 0x04};
	probe_fails(bin, sizeof(bin), "the file starts with bytes 00 01 02 03 04;");
	probe_fails((const unsigned char *)"", 0,
		    "not an image: the file is empty; use a JPEG or PNG file");
	probe_fails(NULL, 0, "the file is empty");
	probe_fails((const unsigned char *)"BM\x36\x00", 4, "a BMP image");
	probe_fails((const unsigned char *)"RIFF\x10\x00\x00\x00WAVEfmt ", 16,
		    "a RIFF file");
	probe_fails((const unsigned char *)"RIFF\x10", 5, "cut short");
	/* JPEG magic is three bytes; two are not enough */
	probe_fails((const unsigned char *)"\xFF\xD8", 2, "bytes FF D8;");
	probe_fails((const unsigned char *)"say \"hi\"", 8,
		    "starts with \"say \\\"hi\\\"\"");
}

static void test_names_and_mime(void **state)
{
	(void)state;
	assert_string_equal(media_mime(MEDIA_JPEG), "image/jpeg");
	assert_string_equal(media_mime(MEDIA_PNG), "image/png");
	assert_string_equal(media_mime(MEDIA_GIF), "image/gif");
	assert_string_equal(media_mime(MEDIA_WEBP), "image/webp");
	assert_string_equal(media_mime(MEDIA_UNKNOWN), "application/octet-stream");
	assert_string_equal(media_type_name(MEDIA_WEBP), "WebP");
	assert_string_equal(media_type_name(MEDIA_UNKNOWN), "unknown");
	assert_string_equal(media_extension(MEDIA_JPEG), "jpg");
	assert_string_equal(media_extension(MEDIA_UNKNOWN), "bin");
	assert_int_equal(media_type_from_mime("image/jpeg"), MEDIA_JPEG);
	assert_int_equal(media_type_from_mime("Image/JPG"), MEDIA_JPEG);
	assert_int_equal(media_type_from_mime(" image/png ; charset=x"), MEDIA_PNG);
	assert_int_equal(media_type_from_mime("image/gif"), MEDIA_GIF);
	assert_int_equal(media_type_from_mime("image/webp"), MEDIA_WEBP);
	assert_int_equal(media_type_from_mime("image/heic"), MEDIA_UNKNOWN);
	assert_int_equal(media_type_from_mime("image/pngx"), MEDIA_UNKNOWN);
	assert_int_equal(media_type_from_mime(""), MEDIA_UNKNOWN);
	assert_int_equal(media_type_from_mime(NULL), MEDIA_UNKNOWN);
	for (int t = MEDIA_JPEG; t <= MEDIA_WEBP; t++)
		assert_int_equal(media_type_from_mime(media_mime((enum media_type)t)), t);
}

/* ---- rules ---- */

static const struct media_rules instagram = {
	.network = "instagram",
	.types = MEDIA_BIT(MEDIA_JPEG),
	.max_bytes = 8388608,
	.min_ratio = 0.8,
	.max_ratio = 1.91,
};

static const struct media_rules facebook = {
	.network = "facebook",
	.types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG),
	.max_bytes = 4194304,
};

static const struct media_rules linkedin = {
	.network = "linkedin",
	.types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG) | MEDIA_BIT(MEDIA_GIF),
	.max_pixels = 36152320,
	.max_frames = 250,
};

static struct media_info info_of(enum media_type t, long w, long h, size_t size)
{
	struct media_info i = {.type = t, .width = w, .height = h, .size = size,
			       .frames = 1};
	return i;
}

static void check_ok(struct media_info i, const struct media_rules *r)
{
	struct err err = {{0}};
	if (media_check(&i, r, &err) != 0)
		fail_msg("refused %ldx%ld for %s: %s", i.width, i.height,
			 r->network, err.msg);
}

static void check_fails(struct media_info i, const struct media_rules *r,
			const char *needle)
{
	struct err err = {{0}};
	assert_int_equal(media_check(&i, r, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_check_type(void **state)
{
	(void)state;
	check_fails(info_of(MEDIA_PNG, 1080, 1080, 1000), &instagram,
		    "instagram accepts only JPEG, not PNG; save the image as JPEG");
	check_fails(info_of(MEDIA_GIF, 1080, 1080, 1000), &facebook,
		    "facebook accepts JPEG or PNG, not GIF; save the image as JPEG");
	check_fails(info_of(MEDIA_WEBP, 1080, 1080, 1000), &linkedin,
		    "linkedin accepts JPEG, PNG or GIF, not WebP; save the image as JPEG");
	check_ok(info_of(MEDIA_PNG, 1080, 1080, 1000), &facebook);
	check_ok(info_of(MEDIA_GIF, 1080, 1080, 1000), &linkedin);
	/* no type list: any image type */
	struct media_rules any = {.network = "outbox"};
	check_ok(info_of(MEDIA_WEBP, 10, 10, 10), &any);
}

static void test_check_bytes(void **state)
{
	(void)state;
	size_t mib = 1048576;
	check_ok(info_of(MEDIA_JPEG, 1080, 1080, 8 * mib), &instagram);
	check_fails(info_of(MEDIA_JPEG, 1080, 1080, 9 * mib + 3 * mib / 10 - 1000),
		    &instagram,
		    "instagram accepts images up to 8.0 MB but this one is 9.3 MB; "
		    "compress or resize it");
	/* one byte over must not read "up to 8.0 MB but this one is 8.0 MB" */
	check_fails(info_of(MEDIA_JPEG, 1080, 1080, 8 * mib + 1), &instagram,
		    "up to 8.0 MB but this one is 8.1 MB");
	check_fails(info_of(MEDIA_PNG, 1080, 1080, 5 * mib), &facebook,
		    "facebook accepts images up to 4.0 MB but this one is 5.0 MB");
}

static void test_check_ratio_edges(void **state)
{
	(void)state;
	/* exact 4:5 and 1.91:1 are inside */
	check_ok(info_of(MEDIA_JPEG, 1080, 1350, 1000), &instagram);
	check_ok(info_of(MEDIA_JPEG, 1910, 1000, 1000), &instagram);
	check_ok(info_of(MEDIA_JPEG, 1080, 1080, 1000), &instagram);
	/* 1.91 +- 0.001 (1200x628 is the common link-image size, 1.9108) */
	check_ok(info_of(MEDIA_JPEG, 1911, 1000, 1000), &instagram);
	check_ok(info_of(MEDIA_JPEG, 1909, 1000, 1000), &instagram);
	check_ok(info_of(MEDIA_JPEG, 1200, 628, 1000), &instagram);
	check_ok(info_of(MEDIA_JPEG, 1080, 566, 1000), &instagram);

	/* one pixel taller than 4:5 is too tall */
	check_fails(info_of(MEDIA_JPEG, 1080, 1351, 1000), &instagram,
		    "instagram needs an aspect ratio from 4:5 to 1.91:1 but the "
		    "image is 1080x1351 (0.799:1); crop it to 4:5 or wider "
		    "(for example 1080x1350)");
	check_fails(info_of(MEDIA_JPEG, 1080, 1920, 1000), &instagram,
		    "but the image is 1080x1920 (0.56:1); crop it to 4:5 or wider");
	/* wider than 1.91:1 */
	check_fails(info_of(MEDIA_JPEG, 1920, 1000, 1000), &instagram,
		    "instagram needs an aspect ratio from 4:5 to 1.91:1 but the "
		    "image is 1920x1000 (1.92:1); crop it to 1.91:1 or narrower "
		    "(for example 1910x1000)");
	check_fails(info_of(MEDIA_JPEG, 1912, 1000, 1000), &instagram,
		    "(1.912:1); crop it to 1.91:1 or narrower");

	/* a single bound */
	struct media_rules square_or_wider = {.network = "x", .min_ratio = 1.0};
	check_fails(info_of(MEDIA_JPEG, 900, 1000, 1), &square_or_wider,
		    "x needs an aspect ratio of 1:1 or wider but the image is "
		    "900x1000 (0.90:1); crop it to 1:1 or wider");
	check_ok(info_of(MEDIA_JPEG, 5000, 1000, 1), &square_or_wider);
}

static void test_check_pixels(void **state)
{
	(void)state;
	check_ok(info_of(MEDIA_JPEG, 6000, 6000, 1000), &linkedin);
	/* the limit is exclusive */
	check_fails(info_of(MEDIA_JPEG, 36152320, 1, 1000), &linkedin,
		    "under 36,152,320 pixels");
	check_ok(info_of(MEDIA_JPEG, 36152319, 1, 1000), &linkedin);
	struct err err = {{0}};
	struct media_info i = info_of(MEDIA_JPEG, 6500, 6000, 1000);
	assert_int_equal(media_check(&i, &linkedin, &err), -1);
	assert_non_null(strstr(err.msg,
		"linkedin accepts images under 36,152,320 pixels but this one is "
		"6500x6000 (39,000,000 pixels); resize it to under 36 million "
		"pixels (for example "));
	/* the example size really fits */
	long ew = 0, eh = 0;
	const char *ex = strstr(err.msg, "for example ");
	assert_int_equal(sscanf(ex, "for example %ldx%ld", &ew, &eh), 2);
	assert_true(ew * eh < 36152320);
	assert_true(ew > 6000 && eh > 5500);
}

static void test_check_frames_and_all_problems(void **state)
{
	(void)state;
	struct media_info gif = info_of(MEDIA_GIF, 800, 800, 1000);
	gif.frames = 250;
	check_ok(gif, &linkedin);
	gif.frames = 300;
	check_fails(gif, &linkedin,
		    "linkedin accepts animations of up to 250 frames but this one "
		    "has 300; shorten the animation or use a still image");

	/* every problem in one message, so the owner fixes them in one go */
	struct err err = {{0}};
	struct media_info png = info_of(MEDIA_PNG, 1080, 1920, 9 * 1048576);
	assert_int_equal(media_check(&png, &instagram, &err), -1);
	assert_non_null(strstr(err.msg, "accepts only JPEG, not PNG"));
	assert_non_null(strstr(err.msg, ". Also, instagram accepts images up to 8.0 MB"));
	assert_non_null(strstr(err.msg, ". Also, instagram needs an aspect ratio"));

	/* zero means no limit */
	struct media_rules none = {.network = "none", .types = MEDIA_BIT(MEDIA_GIF)};
	gif.frames = 100000;
	gif.size = (size_t)1 << 40;
	gif.width = 100000;
	gif.height = 1;
	check_ok(gif, &none);
}

/* ---- robustness (a quick, deterministic cousin of the fuzzer) ---- */

static uint32_t rng_state = 0x12345678u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_mutations_never_crash(void **state)
{
	(void)state;
	struct img seeds[8];
	make_jpeg(&seeds[0], 0xC0, 1080, 1350, 6);
	make_png(&seeds[1], 640, 480);
	make_gif(&seeds[2], 320, 240, 3);
	make_webp(&seeds[3], "VP8 ", 100, 100);
	make_webp(&seeds[4], "VP8L", 100, 100);
	make_webp(&seeds[5], "VP8X", 100, 100);
	make_jpeg(&seeds[6], 0xC2, 20, 10, 0);
	make_gif(&seeds[7], 1, 1, 1);

	for (int iter = 0; iter < 40000; iter++) {
		const struct img *s = &seeds[iter % 8];
		size_t len = s->len;
		/* a fresh heap copy of exactly len bytes, so ASan sees any
		 * read past the end */
		unsigned char *d;
		int flips = 1 + (int)(rng() % 4);
		if (rng() % 3 == 0)
			len = rng() % (len + 1);
		d = malloc(len ? len : 1);
		assert_non_null(d);
		memcpy(d, s->d, len);
		for (int k = 0; k < flips && len > 0; k++)
			d[rng() % len] = (unsigned char)rng();
		struct media_info info;
		struct err err;
		if (media_probe(d, len, &info, &err) == 0) {
			assert_true(info.width > 0 && info.height > 0);
			assert_int_equal(info.size, len);
			assert_true(info.frames >= 1);
		} else {
			assert_true(err.msg[0] != '\0');
		}
		free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpeg_size_from_every_sof),
		cmocka_unit_test(test_jpeg_dht_is_not_a_frame_header),
		cmocka_unit_test(test_jpeg_fill_bytes_and_standalone_markers),
		cmocka_unit_test(test_jpeg_exif_rotation_swaps_size),
		cmocka_unit_test(test_jpeg_truncated),
		cmocka_unit_test(test_jpeg_corrupt),
		cmocka_unit_test(test_jpeg_bad_exif_is_ignored),
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_png_corrupt),
		cmocka_unit_test(test_gif_frames),
		cmocka_unit_test(test_gif_truncated),
		cmocka_unit_test(test_gif_corrupt),
		cmocka_unit_test(test_webp),
		cmocka_unit_test(test_webp_corrupt),
		cmocka_unit_test(test_not_an_image_names_first_bytes),
		cmocka_unit_test(test_names_and_mime),
		cmocka_unit_test(test_check_type),
		cmocka_unit_test(test_check_bytes),
		cmocka_unit_test(test_check_ratio_edges),
		cmocka_unit_test(test_check_pixels),
		cmocka_unit_test(test_check_frames_and_all_problems),
		cmocka_unit_test(test_mutations_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
