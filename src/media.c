/*
 * media.c - image bytes: the type from magic bytes, the dimensions from the
 * file's own header, and each network's image rules.
 *
 * Owns the readers for the four formats a post may carry (JPEG, PNG, GIF,
 * WebP) and the wording of every image complaint the owner sees. Readers
 * look only at headers, never decode pixels, and never read past the length
 * they are given: every offset is checked against the remaining length
 * before it is used, so any byte string is safe input (fuzzed).
 *
 * Never does network I/O, never opens files (the caller reads them) and
 * never touches the database.
 */
#include "ritual/media.h"

#include "ritual/config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A ratio within this fraction of a bound counts as on it: networks state
 * ratios rounded ("1.91:1"), and common sizes sit just past them (1200x628
 * is 1.9108:1). 0.06% keeps 1080x1351 (0.07% under 4:5) refused. */
#define RATIO_TOLERANCE 0.0006

#define MIB 1048576ULL

/* ---- byte readers (callers check the length first) ---- */

static unsigned rd_be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t rd_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static unsigned rd_le16(const unsigned char *p)
{
	return (unsigned)p[1] << 8 | p[0];
}

static uint32_t rd_le24(const unsigned char *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t rd_le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | rd_le24(p);
}

static unsigned rd16(const unsigned char *p, int le)
{
	return le ? rd_le16(p) : rd_be16(p);
}

static uint32_t rd32(const unsigned char *p, int le)
{
	return le ? rd_le32(p) : rd_be32(p);
}

/* ---- messages ---- */

static int truncated(struct err *err, const char *type, size_t len)
{
	return err_set(err,
		       "the %s file is cut short (it ends after %zu bytes, "
		       "inside its header); save or export the image again",
		       type, len);
}

static int damaged(struct err *err, const char *type, const char *what,
		   size_t at)
{
	return err_set(err,
		       "the %s file is damaged (%s at byte %zu); save or export "
		       "the image again", type, what, at);
}

/* What a file that is not one of ours seems to be, from its first bytes;
 * NULL when we cannot tell. *is_image says it is an image in a format we
 * do not take. */
static const char *guess_kind(const unsigned char *d, size_t len,
			      int *is_image)
{
	*is_image = 0;
	if (len >= 4 && memcmp(d, "%PDF", 4) == 0)
		return "a PDF document";
	if (len >= 12 && memcmp(d + 4, "ftyp", 4) == 0) {
		static const char *const heif[] = {
			"heic", "heix", "hevc", "hevx", "heim", "heis",
			"mif1", "msf1"
		};
		*is_image = 1;
		for (size_t i = 0; i < RT_ARRAY_LEN(heif); i++)
			if (memcmp(d + 8, heif[i], 4) == 0)
				return "a HEIC photo, the format iPhones save";
		if (memcmp(d + 8, "avif", 4) == 0 || memcmp(d + 8, "avis", 4) == 0)
			return "an AVIF image";
		*is_image = 0;
		return "a video or other media file";
	}
	if (len >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0)) {
		*is_image = 1;
		return "a TIFF image or camera raw file";
	}
	if (len >= 2 && d[0] == 'B' && d[1] == 'M') {
		*is_image = 1;
		return "a BMP image";
	}
	if (len >= 4 && memcmp(d, "8BPS", 4) == 0) {
		*is_image = 1;
		return "a Photoshop document";
	}
	if (len >= 4 && memcmp(d, "\0\0\1\0", 4) == 0) {
		*is_image = 1;
		return "an icon file";
	}
	if (len >= 4 && memcmp(d, "PK\3\4", 4) == 0)
		return "a ZIP archive or an office document";
	if (len >= 4 && memcmp(d, "RIFF", 4) == 0)
		return "a RIFF file, such as audio or video";
	size_t i = 0;
	while (i < len && i < 64 && (d[i] == ' ' || d[i] == '\t' ||
				     d[i] == '\r' || d[i] == '\n'))
		i++;
	if (i < len && d[i] == '<') {
		if (len - i >= 4 && (memcmp(d + i, "<svg", 4) == 0 ||
				     memcmp(d + i, "<?xm", 4) == 0))
			return "an SVG or XML file";
		return "a web page (HTML), perhaps a download that failed";
	}
	return NULL;
}

/* "\"%PDF-1.7\"" when the first bytes are text, else "bytes 00 01 ...". */
static void describe_start(const unsigned char *d, size_t len, char *out,
			   size_t outlen)
{
	size_t show = len < 8 ? len : 8;
	size_t printable = 0;
	while (printable < show && d[printable] >= 0x20 && d[printable] < 0x7f)
		printable++;
	size_t o = 0;
	if (printable >= 4 || (printable == show && show > 0)) {
		out[o++] = '"';
		for (size_t i = 0; i < printable && o + 4 < outlen; i++) {
			if (d[i] == '"' || d[i] == '\\')
				out[o++] = '\\';
			out[o++] = (char)d[i];
		}
		out[o++] = '"';
		out[o] = '\0';
		return;
	}
	o = (size_t)snprintf(out, outlen, "bytes");
	for (size_t i = 0; i < show && o + 4 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, " %02X", d[i]);
}

static int not_an_image(const unsigned char *d, size_t len, struct err *err)
{
	if (len == 0)
		return err_set(err, "not an image: the file is empty; use a JPEG "
			       "or PNG file");
	char start[64];
	int is_image;
	describe_start(d, len, start, sizeof(start));
	const char *kind = guess_kind(d, len, &is_image);
	if (is_image)
		return err_set(err,
			       "unsupported image format: the file starts with "
			       "%s (%s); save it as JPEG or PNG", start, kind);
	if (kind)
		return err_set(err,
			       "not an image: the file starts with %s (%s); use a "
			       "JPEG or PNG file", start, kind);
	return err_set(err,
		       "not an image: the file starts with %s; use a JPEG or "
		       "PNG file", start);
}

/* ---- JPEG ---- */

static int jpeg_is_sof(unsigned m)
{
	/* SOF0-3, 5-7, 9-11, 13-15; C4 (DHT), C8 (JPG) and CC (DAC) are not. */
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* The Exif orientation (1-8) in a TIFF block, or 1 if absent or odd. */
static unsigned exif_orientation(const unsigned char *t, size_t n)
{
	int le;
	if (n < 8)
		return 1;
	if (t[0] == 'I' && t[1] == 'I')
		le = 1;
	else if (t[0] == 'M' && t[1] == 'M')
		le = 0;
	else
		return 1;
	if (rd16(t + 2, le) != 42)
		return 1;
	uint32_t off = rd32(t + 4, le);
	if (off > n || n - off < 2)
		return 1;
	unsigned count = rd16(t + off, le);
	size_t p = (size_t)off + 2;
	for (unsigned i = 0; i < count; i++, p += 12) {
		if (n - p < 12)
			return 1;
		if (rd16(t + p, le) != 0x0112)
			continue;
		if (rd16(t + p + 2, le) != 3) /* SHORT */
			return 1;
		unsigned v = rd16(t + p + 8, le);
		return v >= 1 && v <= 8 ? v : 1;
	}
	return 1;
}

static int probe_jpeg(const unsigned char *d, size_t len,
		      struct media_info *out, struct err *err)
{
	size_t pos = 2; /* after SOI */
	unsigned orientation = 1;

	for (;;) {
		if (pos >= len)
			return truncated(err, "JPEG", len);
		if (d[pos] != 0xFF)
			return damaged(err, "JPEG", "no marker", pos);
		while (pos < len && d[pos] == 0xFF) /* fill bytes */
			pos++;
		if (pos >= len)
			return truncated(err, "JPEG", len);
		unsigned m = d[pos++];
		if (m == 0x00)
			return damaged(err, "JPEG", "stray data", pos - 2);
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD8))
			continue; /* standalone markers: no length */
		if (m == 0xD9)
			return damaged(err, "JPEG",
				       "end of image before the image size", pos - 2);
		if (m == 0xDA)
			return damaged(err, "JPEG",
				       "image data before the image size", pos - 2);
		if (len - pos < 2)
			return truncated(err, "JPEG", len);
		size_t seglen = rd_be16(d + pos);
		if (seglen < 2)
			return damaged(err, "JPEG", "bad segment length", pos);
		if (seglen > len - pos)
			return truncated(err, "JPEG", len);
		const unsigned char *seg = d + pos + 2;
		size_t n = seglen - 2;
		if (jpeg_is_sof(m)) {
			/* precision, height, width, component count, then
			 * three bytes per component */
			if (n < 6 || seg[5] == 0 || n < 6 + 3 * (size_t)seg[5])
				return damaged(err, "JPEG", "bad frame header",
					       pos - 2);
			long h = (long)rd_be16(seg + 1);
			long w = (long)rd_be16(seg + 3);
			if (orientation >= 5) { /* rotated 90 degrees on display */
				long t = w;
				w = h;
				h = t;
			}
			out->width = w;
			out->height = h;
			return 0;
		}
		if (m == 0xE1 && n >= 6 && memcmp(seg, "Exif\0\0", 6) == 0)
			orientation = exif_orientation(seg + 6, n - 6);
		pos += seglen;
	}
}

/* ---- PNG ---- */

static int probe_png(const unsigned char *d, size_t len,
		     struct media_info *out, struct err *err)
{
	/* signature (8), length (4), "IHDR" (4), 13 bytes of data, CRC (4) */
	if (len < 33)
		return truncated(err, "PNG", len);
	if (rd_be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
		return damaged(err, "PNG", "no IHDR header", 8);
	if ((uint32_t)crc32(0, d + 12, 17) != rd_be32(d + 29))
		return damaged(err, "PNG", "header checksum mismatch", 29);
	uint32_t w = rd_be32(d + 16), h = rd_be32(d + 20);
	if (w > 0x7FFFFFFFu || h > 0x7FFFFFFFu)
		return damaged(err, "PNG", "impossible size", 16);
	out->width = (long)w;
	out->height = (long)h;
	return 0;
}

/* ---- GIF ---- */

/* Skip data sub-blocks up to and including the zero terminator. */
static int gif_skip_subblocks(const unsigned char *d, size_t len, size_t *pos)
{
	for (;;) {
		if (*pos >= len)
			return -1;
		size_t n = d[(*pos)++];
		if (n == 0)
			return 0;
		if (n > len - *pos)
			return -1;
		*pos += n;
	}
}

static int probe_gif(const unsigned char *d, size_t len,
		     struct media_info *out, struct err *err)
{
	if (len < 13)
		return truncated(err, "GIF", len);
	long w = (long)rd_le16(d + 6), h = (long)rd_le16(d + 8);
	unsigned flags = d[10];
	size_t pos = 13;
	if (flags & 0x80) { /* global colour table */
		size_t ct = (size_t)3 << ((flags & 7) + 1);
		if (ct > len - pos)
			return truncated(err, "GIF", len);
		pos += ct;
	}

	long frames = 0;
	for (;;) {
		if (pos == len) {
			/* A missing trailer after whole blocks is common and
			 * harmless; viewers accept it. */
			if (frames > 0)
				break;
			return truncated(err, "GIF", len);
		}
		size_t at = pos;
		unsigned b = d[pos++];
		if (b == 0x3B) /* trailer */
			break;
		if (b == 0x21) { /* extension: label, then sub-blocks */
			if (pos >= len)
				return truncated(err, "GIF", len);
			pos++;
			if (gif_skip_subblocks(d, len, &pos) < 0)
				return truncated(err, "GIF", len);
			continue;
		}
		if (b == 0x2C) { /* image descriptor */
			if (len - pos < 9)
				return truncated(err, "GIF", len);
			unsigned iflags = d[pos + 8];
			pos += 9;
			if (iflags & 0x80) {
				size_t ct = (size_t)3 << ((iflags & 7) + 1);
				if (ct > len - pos)
					return truncated(err, "GIF", len);
				pos += ct;
			}
			if (pos >= len) /* LZW minimum code size */
				return truncated(err, "GIF", len);
			pos++;
			if (gif_skip_subblocks(d, len, &pos) < 0)
				return truncated(err, "GIF", len);
			frames++;
			continue;
		}
		return damaged(err, "GIF", "unknown block", at);
	}
	if (frames == 0)
		return err_set(err, "the GIF file holds no picture; save or "
			       "export the image again");
	out->width = w;
	out->height = h;
	out->frames = frames;
	return 0;
}

/* ---- WebP ---- */

static int probe_webp(const unsigned char *d, size_t len,
		      struct media_info *out, struct err *err)
{
	if (len < 20)
		return truncated(err, "WebP", len);
	const unsigned char *fourcc = d + 12;
	uint32_t csize = rd_le32(d + 16);
	const unsigned char *c = d + 20;
	size_t avail = len - 20;
	uint32_t w, h;

	if (memcmp(fourcc, "VP8 ", 4) == 0) {
		/* frame tag (3), start code 9D 01 2A, 14-bit width, height */
		if (avail < 10)
			return truncated(err, "WebP", len);
		if (csize < 10)
			return damaged(err, "WebP", "bad VP8 chunk size", 16);
		if ((c[0] & 1) != 0)
			return damaged(err, "WebP", "not a key frame", 20);
		if (c[3] != 0x9D || c[4] != 0x01 || c[5] != 0x2A)
			return damaged(err, "WebP", "no VP8 start code", 23);
		w = rd_le16(c + 6) & 0x3FFF;
		h = rd_le16(c + 8) & 0x3FFF;
	} else if (memcmp(fourcc, "VP8L", 4) == 0) {
		/* signature 0x2F, then 14 bits width-1, 14 bits height-1 */
		if (avail < 5)
			return truncated(err, "WebP", len);
		if (csize < 5)
			return damaged(err, "WebP", "bad VP8L chunk size", 16);
		if (c[0] != 0x2F)
			return damaged(err, "WebP", "no VP8L signature", 20);
		uint32_t bits = rd_le32(c + 1);
		if (bits >> 29)
			return damaged(err, "WebP", "unknown VP8L version", 21);
		w = (bits & 0x3FFF) + 1;
		h = ((bits >> 14) & 0x3FFF) + 1;
	} else if (memcmp(fourcc, "VP8X", 4) == 0) {
		/* flags (1), reserved (3), 24-bit width-1, 24-bit height-1 */
		if (avail < 10)
			return truncated(err, "WebP", len);
		if (csize < 10)
			return damaged(err, "WebP", "bad VP8X chunk size", 16);
		w = rd_le24(c + 4) + 1;
		h = rd_le24(c + 7) + 1;
	} else {
		return damaged(err, "WebP", "unknown first chunk", 12);
	}
	out->width = (long)w;
	out->height = (long)h;
	return 0;
}

/* ---- public ---- */

int media_probe(const unsigned char *data, size_t len, struct media_info *out,
		struct err *err)
{
	struct media_info info = {.type = MEDIA_UNKNOWN, .size = len, .frames = 1};
	int rc;

	memset(out, 0, sizeof(*out));
	if (!data)
		len = 0;
	if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
		info.type = MEDIA_JPEG;
		rc = probe_jpeg(data, len, &info, err);
	} else if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
		info.type = MEDIA_PNG;
		rc = probe_png(data, len, &info, err);
	} else if (len >= 6 && (memcmp(data, "GIF87a", 6) == 0 ||
				memcmp(data, "GIF89a", 6) == 0)) {
		info.type = MEDIA_GIF;
		rc = probe_gif(data, len, &info, err);
	} else if (len >= 12 && memcmp(data, "RIFF", 4) == 0 &&
		   memcmp(data + 8, "WEBP", 4) == 0) {
		info.type = MEDIA_WEBP;
		rc = probe_webp(data, len, &info, err);
	} else if (len < 12 && len >= 4 && memcmp(data, "RIFF", 4) == 0) {
		return truncated(err, "RIFF", len);
	} else {
		return not_an_image(data, len, err);
	}
	if (rc < 0)
		return -1;
	if (info.width <= 0 || info.height <= 0)
		return err_set(err,
			       "the %s file says it is %ldx%ld pixels; save or "
			       "export the image again",
			       media_type_name(info.type), info.width, info.height);
	*out = info;
	return 0;
}

const char *media_mime(enum media_type t)
{
	switch (t) {
	case MEDIA_JPEG:
		return "image/jpeg";
	case MEDIA_PNG:
		return "image/png";
	case MEDIA_GIF:
		return "image/gif";
	case MEDIA_WEBP:
		return "image/webp";
	default:
		return "application/octet-stream";
	}
}

const char *media_type_name(enum media_type t)
{
	switch (t) {
	case MEDIA_JPEG:
		return "JPEG";
	case MEDIA_PNG:
		return "PNG";
	case MEDIA_GIF:
		return "GIF";
	case MEDIA_WEBP:
		return "WebP";
	default:
		return "unknown";
	}
}

const char *media_extension(enum media_type t)
{
	switch (t) {
	case MEDIA_JPEG:
		return "jpg";
	case MEDIA_PNG:
		return "png";
	case MEDIA_GIF:
		return "gif";
	case MEDIA_WEBP:
		return "webp";
	default:
		return "bin";
	}
}

enum media_type media_type_from_mime(const char *mime)
{
	static const struct {
		const char *mime;
		enum media_type type;
	} map[] = {
		{"image/jpeg", MEDIA_JPEG}, {"image/jpg", MEDIA_JPEG},
		{"image/pjpeg", MEDIA_JPEG}, {"image/png", MEDIA_PNG},
		{"image/gif", MEDIA_GIF}, {"image/webp", MEDIA_WEBP},
	};
	char buf[64];
	size_t n = 0;

	if (!mime)
		return MEDIA_UNKNOWN;
	while (*mime == ' ' || *mime == '\t')
		mime++;
	/* Parameters (";charset=...") and surrounding blanks are ignored. */
	while (mime[n] && mime[n] != ';' && n < sizeof(buf) - 1) {
		buf[n] = mime[n];
		n++;
	}
	if (mime[n] && mime[n] != ';')
		return MEDIA_UNKNOWN;
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	for (size_t i = 0; i < RT_ARRAY_LEN(map); i++)
		if (str_casecmp_ascii(buf, map[i].mime) == 0)
			return map[i].type;
	return MEDIA_UNKNOWN;
}

/* "JPEG", "JPEG or PNG", "JPEG, PNG or GIF" for a type mask. */
static void type_list(unsigned mask, char *out, size_t outlen)
{
	enum media_type order[] = {MEDIA_JPEG, MEDIA_PNG, MEDIA_GIF, MEDIA_WEBP};
	const char *names[RT_ARRAY_LEN(order)];
	size_t n = 0, o = 0;

	for (size_t i = 0; i < RT_ARRAY_LEN(order); i++)
		if (mask & MEDIA_BIT(order[i]))
			names[n++] = media_type_name(order[i]);
	out[0] = '\0';
	for (size_t i = 0; i < n && o < outlen; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", sep, names[i]);
	}
}

static enum media_type first_type(unsigned mask)
{
	enum media_type order[] = {MEDIA_JPEG, MEDIA_PNG, MEDIA_GIF, MEDIA_WEBP};
	for (size_t i = 0; i < RT_ARRAY_LEN(order); i++)
		if (mask & MEDIA_BIT(order[i]))
			return order[i];
	return MEDIA_JPEG;
}

/* "4:5" for the ratios networks use, else "1.50:1". */
void media_ratio_name(double r, char *out, size_t outlen)
{
	static const struct {
		int w, h;
		const char *name;
	} known[] = {
		{4, 5, "4:5"}, {1, 1, "1:1"}, {191, 100, "1.91:1"},
		{16, 9, "16:9"}, {9, 16, "9:16"}, {4, 3, "4:3"}, {3, 4, "3:4"},
		{3, 2, "3:2"}, {2, 3, "2:3"}, {5, 4, "5:4"}, {2, 1, "2:1"},
	};
	for (size_t i = 0; i < RT_ARRAY_LEN(known); i++) {
		if (fabs(r - (double)known[i].w / known[i].h) < 1e-9) {
			snprintf(out, outlen, "%s", known[i].name);
			return;
		}
	}
	snprintf(out, outlen, "%.2f:1", r);
}

/* The image's ratio with enough decimals not to look equal to bound. */
static void ratio_value(double r, double bound, char *out, size_t outlen)
{
	int dec = 2;
	while (dec < 4) {
		double scale = dec == 2 ? 100.0 : 1000.0;
		if (fabs(round(r * scale) / scale - bound) > 1e-9)
			break;
		dec++;
	}
	snprintf(out, outlen, "%.*f:1", dec, r);
}

/* 36152320 -> "36,152,320". */
static void thousands(unsigned long long v, char *out, size_t outlen)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < outlen; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* Append one problem to the message: the first as is, later ones as
 * further sentences, so the owner sees everything to fix at once. */
static void add_problem(struct buf *b, const char *fmt, ...) RT_PRINTF(2, 3);
static void add_problem(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (b->len)
		buf_puts(b, ". Also, ");
	buf_puts(b, m);
	free(m);
}

int media_check(const struct media_info *info, const struct media_rules *rules,
		struct err *err)
{
	const char *net = rules->network ? rules->network : "this network";
	struct buf b = {0};
	unsigned types = rules->types;
	long w = info->width, h = info->height;

	if (!types)
		types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG) |
			MEDIA_BIT(MEDIA_GIF) | MEDIA_BIT(MEDIA_WEBP);
	if ((int)info->type <= (int)MEDIA_UNKNOWN || (int)info->type > (int)MEDIA_WEBP ||
	    !(types & MEDIA_BIT(info->type))) {
		char list[64];
		type_list(types, list, sizeof(list));
		int one = (types & (types - 1)) == 0;
		add_problem(&b, "%s accepts %s%s, not %s; save the image as %s",
			    net, one ? "only " : "", list,
			    media_type_name(info->type),
			    media_type_name(first_type(types)));
	}

	if (rules->max_bytes && info->size > rules->max_bytes) {
		/* limit rounded down, size rounded up: never "8.0 > 8.0" */
		unsigned long long lim = (unsigned long long)rules->max_bytes * 10 / MIB;
		unsigned long long sz = ((unsigned long long)info->size * 10 + MIB - 1) / MIB;
		add_problem(&b, "%s accepts images up to %llu.%llu MB but this one "
			    "is %llu.%llu MB; compress or resize it",
			    net, lim / 10, lim % 10, sz / 10, sz % 10);
	}

	if (rules->max_pixels > 0 && w > 0 && h > 0 &&
	    (unsigned long long)w * (unsigned long long)h >=
		    (unsigned long long)rules->max_pixels) {
		unsigned long long px = (unsigned long long)w * (unsigned long long)h;
		char lim[32], have[32], under[48], example[64] = "";
		thousands((unsigned long long)rules->max_pixels, lim, sizeof(lim));
		thousands(px, have, sizeof(have));
		if (rules->max_pixels >= 1000000)
			snprintf(under, sizeof(under), "%ld million",
				 rules->max_pixels / 1000000);
		else
			snprintf(under, sizeof(under), "%s", lim);
		double scale = sqrt((double)(rules->max_pixels - 1) / (double)px);
		long nw = (long)floor((double)w * scale);
		long nh = (long)floor((double)h * scale);
		if (nw > 0 && nh > 0 &&
		    (unsigned long long)nw * (unsigned long long)nh <
			    (unsigned long long)rules->max_pixels)
			snprintf(example, sizeof(example), " (for example %ldx%ld)",
				 nw, nh);
		add_problem(&b, "%s accepts images under %s pixels but this one "
			    "is %ldx%ld (%s pixels); resize it to under %s "
			    "pixels%s", net, lim, w, h, have, under, example);
	}

	if (w > 0 && h > 0 && (rules->min_ratio > 0 || rules->max_ratio > 0)) {
		double r = (double)w / (double)h;
		double lo = rules->min_ratio, hi = rules->max_ratio;
		char lo_s[32] = "", hi_s[32] = "", range[96], val[32];
		if (lo > 0)
			media_ratio_name(lo, lo_s, sizeof(lo_s));
		if (hi > 0)
			media_ratio_name(hi, hi_s, sizeof(hi_s));
		if (lo > 0 && hi > 0)
			snprintf(range, sizeof(range), "from %s to %s", lo_s, hi_s);
		else if (lo > 0)
			snprintf(range, sizeof(range), "of %s or wider", lo_s);
		else
			snprintf(range, sizeof(range), "of %s or narrower", hi_s);

		if (lo > 0 && r < lo * (1.0 - RATIO_TOLERANCE)) {
			char example[64] = "";
			long nh = (long)floor((double)w / lo + 1e-6);
			if (nh > 0)
				snprintf(example, sizeof(example),
					 " (for example %ldx%ld)", w, nh);
			ratio_value(r, lo, val, sizeof(val));
			add_problem(&b, "%s needs an aspect ratio %s but the image "
				    "is %ldx%ld (%s); crop it to %s or wider%s",
				    net, range, w, h, val, lo_s, example);
		} else if (hi > 0 && r > hi * (1.0 + RATIO_TOLERANCE)) {
			char example[64] = "";
			long nw = (long)floor((double)h * hi + 1e-6);
			if (nw > 0)
				snprintf(example, sizeof(example),
					 " (for example %ldx%ld)", nw, h);
			ratio_value(r, hi, val, sizeof(val));
			add_problem(&b, "%s needs an aspect ratio %s but the image "
				    "is %ldx%ld (%s); crop it to %s or narrower%s",
				    net, range, w, h, val, hi_s, example);
		}
	}

	if (rules->max_frames > 0 && info->frames > rules->max_frames)
		add_problem(&b, "%s accepts animations of up to %ld frames but "
			    "this one has %ld; shorten the animation or use a "
			    "still image", net, rules->max_frames, info->frames);

	if (!b.len)
		return 0;
	err_set(err, "%s", b.data);
	buf_free(&b);
	return -1;
}

void media_rules_for(const struct config *cfg, int net,
		     struct media_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->network = network_name(net);
	switch (net) {
	case NET_FACEBOOK:
		r->types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG);
		r->max_bytes = (size_t)cfg->limits.facebook_image_bytes;
		break;
	case NET_INSTAGRAM:
		r->types = MEDIA_BIT(MEDIA_JPEG);
		r->max_bytes = (size_t)cfg->limits.instagram_image_bytes;
		r->min_ratio = 4.0 / 5.0;
		r->max_ratio = 1.91;
		break;
	case NET_LINKEDIN:
		r->types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG) |
			   MEDIA_BIT(MEDIA_GIF);
		r->max_pixels = cfg->limits.linkedin_image_pixels;
		r->max_frames = 250;
		break;
	default:
		break;
	}
}
