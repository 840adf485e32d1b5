/*
 * test_image.c - phone photos made fit for each network (image.c, issue 13).
 *
 * Fixtures are drawn with libvips in the test (and, for the bomb, written
 * byte by byte): no image file is committed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include <zlib.h>

#include "ritual/config.h"
#include "ritual/image.h"
#include "ritual/util.h"

static const struct media_rules instagram = {
	.network = "instagram", .types = MEDIA_BIT(MEDIA_JPEG),
	.max_bytes = 8388608, .min_ratio = 0.8, .max_ratio = 1.91,
};
static const struct media_rules linkedin = {
	.network = "linkedin",
	.types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG) | MEDIA_BIT(MEDIA_GIF),
	.max_pixels = 36152320, .max_frames = 250,
};

static int setup(void **state)
{
	struct err err;
	(void)state;
	return image_init("test_image", &err);
}

/* A w x h picture with grain, as bytes of the given saver. */
static unsigned char *draw(int w, int h, int bands, const char *fmt,
			   size_t *len, int orientation)
{
	VipsImage *noise, *img;
	assert_int_equal(vips_gaussnoise(&noise, w, h, "sigma", 30.0, "mean",
					 128.0, NULL), 0);
	VipsImage *b[4] = {noise, noise, noise, noise};
	if (bands > 1) {
		VipsImage *j;
		assert_int_equal(vips_bandjoin(b, &j, bands, NULL), 0);
		g_object_unref(noise);
		noise = j;
	}
	assert_int_equal(vips_cast_uchar(noise, &img, NULL), 0);
	g_object_unref(noise);
	if (bands == 3 || bands == 4)
		img->Type = VIPS_INTERPRETATION_sRGB;
	if (orientation > 1)
		vips_image_set_int(img, VIPS_META_ORIENTATION, orientation);
	void *buf = NULL;
	size_t n = 0;
	assert_int_equal(vips_image_write_to_buffer(img, fmt, &buf, &n, NULL), 0);
	g_object_unref(img);
	unsigned char *out = xmalloc(n);
	memcpy(out, buf, n);
	g_free(buf);
	*len = n;
	return out;
}

static struct image_variant render(const unsigned char *d, size_t len,
				   const struct media_rules *r, enum image_fit fit)
{
	struct image *img;
	struct image_source src;
	struct image_variant v;
	struct err err;
	if (image_open(d, len, &img, &src, &err) != 0)
		fail_msg("image_open: %s", err.msg);
	struct image_params p = {.rules = r, .fit = fit,
				 .background = {255, 255, 255}};
	if (image_render(img, &p, &v, &err) != 0)
		fail_msg("image_render: %s", err.msg);
	image_close(img);
	return v;
}

static void test_portrait_with_orientation_is_turned_and_cropped(void **state)
{
	(void)state;
	size_t len;
	/* Stored 1200x900, EXIF orientation 6: shown 900x1200 (3:4). */
	unsigned char *d = draw(1200, 900, 3, ".jpg", &len, 6);
	struct image *img;
	struct image_source src;
	struct err err;
	assert_int_equal(image_open(d, len, &img, &src, &err), 0);
	assert_int_equal(src.orientation, 6);
	long w, h;
	image_size(img, &w, &h);
	assert_int_equal(w, 900);
	assert_int_equal(h, 1200);
	image_close(img);

	struct image_variant v = render(d, len, &instagram, IMAGE_FIT_CROP);
	assert_int_equal(v.width, 900);
	assert_int_equal(v.height, 1125);          /* 4:5 */
	assert_non_null(strstr(v.notes, "EXIF orientation 6"));
	assert_non_null(strstr(v.notes, "cropped 900x1200 to 900x1125"));
	/* No orientation (or any EXIF) left to turn it a second time. */
	assert_null(memmem(v.data, v.len, "Exif", 4));
	image_variant_free(&v);

	v = render(d, len, &instagram, IMAGE_FIT_PAD);
	assert_int_equal(v.width, 960);            /* ceil(1200 * 0.8) */
	assert_int_equal(v.height, 1200);
	assert_non_null(strstr(v.notes, "padded"));
	image_variant_free(&v);
	free(d);
}

static void test_panorama_and_longest_side(void **state)
{
	(void)state;
	size_t len;
	unsigned char *d = draw(6000, 1000, 3, ".jpg", &len, 1);
	struct image_variant v = render(d, len, &instagram, IMAGE_FIT_CROP);
	assert_int_equal(v.width, 1910);
	assert_int_equal(v.height, 1000);
	image_variant_free(&v);
	v = render(d, len, &linkedin, IMAGE_FIT_CROP);
	assert_int_equal(v.width, 2048);           /* longest side */
	assert_true(v.height == 341 || v.height == 342);
	image_variant_free(&v);
	free(d);
}

static void test_transparency_flattened_onto_background(void **state)
{
	(void)state;
	/* A fully transparent RGBA PNG: every pixel must come out as the
	 * background, not black. */
	VipsImage *black, *alpha, *rgba;
	assert_int_equal(vips_black(&black, 400, 400, "bands", 4, NULL), 0);
	assert_int_equal(vips_cast_uchar(black, &alpha, NULL), 0);
	g_object_unref(black);
	alpha->Type = VIPS_INTERPRETATION_sRGB;
	rgba = alpha;
	void *buf;
	size_t n;
	assert_int_equal(vips_pngsave_buffer(rgba, &buf, &n, NULL), 0);
	g_object_unref(rgba);

	struct image *img;
	struct image_source src;
	struct err err;
	assert_int_equal(image_open(buf, n, &img, &src, &err), 0);
	assert_true(src.alpha);
	struct image_params p = {.rules = &instagram, .fit = IMAGE_FIT_CROP,
				 .background = {255, 255, 255}};
	struct image_variant v;
	assert_int_equal(image_render(img, &p, &v, &err), 0);
	assert_string_equal(v.mime, "image/jpeg");
	VipsImage *back = vips_image_new_from_buffer(v.data, v.len, "", NULL);
	double avg;
	assert_int_equal(vips_avg(back, &avg, NULL), 0);
	assert_true(avg > 250.0);
	g_object_unref(back);
	image_variant_free(&v);

	p.background[0] = p.background[1] = p.background[2] = 0;
	assert_int_equal(image_render(img, &p, &v, &err), 0);
	back = vips_image_new_from_buffer(v.data, v.len, "", NULL);
	assert_int_equal(vips_avg(back, &avg, NULL), 0);
	assert_true(avg < 5.0);
	g_object_unref(back);
	image_variant_free(&v);
	image_close(img);
	g_free(buf);
}

static void test_byte_limit_met(void **state)
{
	(void)state;
	size_t len;
	unsigned char *d = draw(2000, 2000, 3, ".png", &len, 1);
	struct media_rules small = instagram;
	small.max_bytes = 150000;
	struct image_variant v = render(d, len, &small, IMAGE_FIT_CROP);
	assert_true(v.len <= small.max_bytes);
	image_variant_free(&v);
	free(d);
}

static void test_cut_jpeg_refused_after_its_header(void **state)
{
	(void)state;
	size_t len;
	unsigned char *d = draw(800, 600, 3, ".jpg", &len, 1);
	struct image *img = NULL;
	struct image_source src;
	struct err err;
	/* The header is whole; the picture data stops half way. */
	assert_int_equal(image_open(d, len / 2, &img, &src, &err), -1);
	assert_null(img);
	assert_non_null(strstr(err.msg, "cut short"));
	assert_non_null(strstr(err.msg, "export the image again"));
	free(d);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void test_bomb_refused_from_its_header(void **state)
{
	(void)state;
	/* A PNG that says 20000x20000 RGBA (1.6 GB decoded) and holds a few
	 * bytes: refused from the header, before any decoding. */
	unsigned char png[64] = "\x89PNG\r\n\x1a\n";
	size_t o = 8;
	put_be32(png + o, 13);
	memcpy(png + o + 4, "IHDR", 4);
	put_be32(png + o + 8, 20000);
	put_be32(png + o + 12, 20000);
	png[o + 16] = 8;
	png[o + 17] = 6;
	png[o + 18] = png[o + 19] = png[o + 20] = 0;
	put_be32(png + o + 21, (uint32_t)crc32(0, png + o + 4, 17));
	o += 25;
	put_be32(png + o, 0);
	memcpy(png + o + 4, "IEND", 4);
	put_be32(png + o + 8, 0xAE426082);
	o += 12;
	struct image *img = NULL;
	struct image_source src;
	struct err err;
	assert_int_equal(image_open(png, o, &img, &src, &err), -1);
	assert_non_null(strstr(err.msg, "20000x20000"));
	assert_non_null(strstr(err.msg, "more than ritual decodes"));
}

static void put_le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, unsigned long v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void test_tiff_bomb_refused_from_libvips_header(void **state)
{
	(void)state;
	/* A TIFF (a format media.c does not read: libvips' header alone
	 * decides) that says 20000x20000 grey and holds 16 bytes. */
	static const struct {
		unsigned tag, type;
		unsigned long value;
	} ifd[] = {
		{256, 4, 20000}, {257, 4, 20000}, {258, 3, 8}, {259, 3, 1},
		{262, 3, 1}, {273, 4, 0 /* below */}, {277, 3, 1},
		{278, 4, 20000}, {279, 4, 400000000UL},
	};
	const size_t ne = sizeof(ifd) / sizeof(ifd[0]);
	unsigned char tif[256] = "II*";
	size_t o = 8, data = 8 + 2 + ne * 12 + 4;
	put_le32(tif + 4, 8);
	put_le16(tif + o, (unsigned)ne);
	o += 2;
	for (size_t i = 0; i < ne; i++, o += 12) {
		put_le16(tif + o, ifd[i].tag);
		put_le16(tif + o + 2, ifd[i].type);
		put_le32(tif + o + 4, 1);
		if (ifd[i].type == 3)
			put_le16(tif + o + 8, (unsigned)ifd[i].value);
		else
			put_le32(tif + o + 8, ifd[i].tag == 273 ? data : ifd[i].value);
	}
	put_le32(tif + o, 0);
	size_t len = data + 16;
	struct image *img = NULL;
	struct image_source src;
	struct err err;
	assert_int_equal(image_open(tif, len, &img, &src, &err), -1);
	assert_null(img);
	if (!strstr(err.msg, "TIFF image says it is 20000x20000") ||
	    !strstr(err.msg, "more than ritual decodes"))
		fail_msg("%s", err.msg);
}

static void test_animation(void **state)
{
	(void)state;
	VipsImage *noise, *u;
	assert_int_equal(vips_gaussnoise(&noise, 64, 64 * 3, NULL), 0);
	assert_int_equal(vips_cast_uchar(noise, &u, NULL), 0);
	g_object_unref(noise);
	vips_image_set_int(u, VIPS_META_PAGE_HEIGHT, 64);
	void *buf;
	size_t n;
	assert_int_equal(vips_gifsave_buffer(u, &buf, &n, NULL), 0);
	g_object_unref(u);
	struct image *img;
	struct image_source src;
	struct err err;
	assert_int_equal(image_open(buf, n, &img, &src, &err), 0);
	assert_int_equal(src.frames, 3);
	struct image_params p = {.rules = &instagram};
	struct image_variant v;
	assert_int_equal(image_render(img, &p, &v, &err), -1);
	assert_non_null(strstr(err.msg, "instagram cannot show an animation"));
	p.rules = &linkedin;
	assert_int_equal(image_render(img, &p, &v, &err), 0);
	assert_string_equal(v.mime, "image/gif");
	image_variant_free(&v);
	image_close(img);
	g_free(buf);
}

static void test_not_an_image(void **state)
{
	(void)state;
	struct image *img;
	struct image_source src;
	struct err err;
	const char *pdf = "%PDF-1.7\n1 0 obj\n";
	assert_int_equal(image_open((const unsigned char *)pdf, strlen(pdf), &img,
				    &src, &err), -1);
	assert_non_null(strstr(err.msg, "not an image"));
	assert_non_null(strstr(err.msg, "PDF"));
}

static void test_colour(void **state)
{
	(void)state;
	unsigned char c[3];
	assert_int_equal(config_colour_parse("#ff8000", c), 0);
	assert_int_equal(c[0], 255);
	assert_int_equal(c[1], 128);
	assert_int_equal(c[2], 0);
	assert_int_equal(config_colour_parse("white", c), 0);
	assert_int_equal(config_colour_parse("#ff80", c), -1);
	assert_int_equal(config_colour_parse("red", c), -1);
}

static void test_one_distance_for_every_suggestion(void **state)
{
	(void)state;
	assert_int_equal(str_distance("Tittle", 6, "Title", 5), 1);
	assert_int_equal(str_distance("imoprt", 6, "import", 6), 1); /* a swap */
	assert_int_equal(str_distance("LIST", 4, "list", 4), 0);
	const char *cmds[] = {"add", "import", "list", "show", "cancel", "week"};
	assert_string_equal(str_closest("imoprt", cmds, 6), "import");
	assert_string_equal(str_closest("wek", cmds, 6), "week");
	assert_null(str_closest("xyz", cmds, 6));
	const char *files[] = {"IMG_0042.jpg", "IMG_0043.heic", "notes.txt"};
	assert_string_equal(str_closest("IMG_0042.jpeg", files, 3), "IMG_0042.jpg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_portrait_with_orientation_is_turned_and_cropped),
		cmocka_unit_test(test_panorama_and_longest_side),
		cmocka_unit_test(test_transparency_flattened_onto_background),
		cmocka_unit_test(test_byte_limit_met),
		cmocka_unit_test(test_cut_jpeg_refused_after_its_header),
		cmocka_unit_test(test_bomb_refused_from_its_header),
		cmocka_unit_test(test_tiff_bomb_refused_from_libvips_header),
		cmocka_unit_test(test_animation),
		cmocka_unit_test(test_not_an_image),
		cmocka_unit_test(test_colour),
		cmocka_unit_test(test_one_distance_for_every_suggestion),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
