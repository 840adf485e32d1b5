/*
 * image.c - phone photos made fit for each network, with libvips.
 *
 * Owns decoding (through libvips' loaders for JPEG, PNG, GIF, WebP, TIFF
 * and, where libvips was built with libheif, HEIC), the limits that keep a
 * decompression bomb from being decoded, and every transformation of a
 * variant (orientation, flattening, crop or pad, shrink, JPEG encoding
 * without metadata). The rules themselves belong to media/queue; this file
 * only meets them. No files, no network, no database.
 */
#include "ritual/image.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#ifndef RITUAL_VIPS_SONAME
#define RITUAL_VIPS_SONAME "libvips.so.42"
#endif

/*
 * libvips is opened with dlopen when the first image is, not linked: it
 * and its hundred dependencies (codecs, fonts, X11, ICU, HDF5) cost about
 * 45 ms of loading and page faults at every start of `ritual`, and most
 * commands (list, show, status, cancel, add of a text post) never touch an
 * image. Every function this file calls is listed here once; each is
 * called through a pointer of its own declared type (so the compiler still
 * checks every call against libvips' headers), resolved by lib_open.
 */
#define VIPS_FUNCS(X) \
	X(g_free) \
	X(g_log) \
	X(g_log_set_handler) \
	X(g_object_ref) \
	X(g_object_unref) \
	X(vips_area_unref) \
	X(vips_array_double_newv) \
	X(vips_autorot) \
	X(vips_block_untrusted_set) \
	X(vips_cache_set_max) \
	X(vips_cache_set_max_mem) \
	X(vips_cast_uchar) \
	X(vips_colourspace) \
	X(vips_concurrency_set) \
	X(vips_embed) \
	X(vips_error) \
	X(vips_error_buffer) \
	X(vips_error_clear) \
	X(vips_extract_area) \
	X(vips_extract_band) \
	X(vips_flatten) \
	X(vips_foreign_find_load_buffer) \
	X(vips_format_sizeof_unsafe) \
	X(vips_gifsave_buffer) \
	X(vips_icc_transform) \
	X(vips_image_copy_memory) \
	X(vips_image_get_bands) \
	X(vips_image_get_format) \
	X(vips_image_get_height) \
	X(vips_image_get_int) \
	X(vips_image_get_interpretation) \
	X(vips_image_get_n_pages) \
	X(vips_image_get_typeof) \
	X(vips_image_get_width) \
	X(vips_image_hasalpha) \
	X(vips_image_new_from_buffer) \
	X(vips_init) \
	X(vips_jpegsave_buffer) \
	X(vips_resize) \
	X(vips_shutdown) \
	X(vips_type_find) \
	X(vips_version)

static struct {
#define X(f) __typeof__(f) *f;
	VIPS_FUNCS(X)
#undef X
} lib;

/* One symbol into its typed pointer (memcpy: ISO C has no cast between
 * object and function pointers; POSIX guarantees they have one size). */
static int lib_sym(void *h, const char *name, void *dst, size_t size,
		   struct err *err)
{
	void *p = dlsym(h, name);
	if (!p || size != sizeof p)
		return err_set(err, "cannot start libvips: %s has no %s",
			       RITUAL_VIPS_SONAME, name);
	memcpy(dst, &p, size);
	return 0;
}

/* Load libvips (and through it GLib) once. The handle is kept for the
 * process's life: libvips cannot be unloaded once started. */
static int lib_open(struct err *err)
{
	void *h = dlopen(RITUAL_VIPS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return err_set(err, "cannot load libvips for images: %s; "
			       "install the package libvips42", dlerror());
#define X(f) \
	if (lib_sym(h, #f, &lib.f, sizeof lib.f, err) < 0) \
		return -1;
	VIPS_FUNCS(X)
#undef X
	return 0;
}

/* From here on each name calls through the pointer lib_open filled (some,
 * like g_object_ref, are macros in the headers: undefined first). */
#undef g_free
#define g_free lib.g_free
#undef g_log
#define g_log lib.g_log
#undef g_log_set_handler
#define g_log_set_handler lib.g_log_set_handler
#undef g_object_ref
#define g_object_ref lib.g_object_ref
#undef g_object_unref
#define g_object_unref lib.g_object_unref
#undef vips_area_unref
#define vips_area_unref lib.vips_area_unref
#undef vips_array_double_newv
#define vips_array_double_newv lib.vips_array_double_newv
#undef vips_autorot
#define vips_autorot lib.vips_autorot
#undef vips_block_untrusted_set
#define vips_block_untrusted_set lib.vips_block_untrusted_set
#undef vips_cache_set_max
#define vips_cache_set_max lib.vips_cache_set_max
#undef vips_cache_set_max_mem
#define vips_cache_set_max_mem lib.vips_cache_set_max_mem
#undef vips_cast_uchar
#define vips_cast_uchar lib.vips_cast_uchar
#undef vips_colourspace
#define vips_colourspace lib.vips_colourspace
#undef vips_concurrency_set
#define vips_concurrency_set lib.vips_concurrency_set
#undef vips_embed
#define vips_embed lib.vips_embed
#undef vips_error
#define vips_error lib.vips_error
#undef vips_error_buffer
#define vips_error_buffer lib.vips_error_buffer
#undef vips_error_clear
#define vips_error_clear lib.vips_error_clear
#undef vips_extract_area
#define vips_extract_area lib.vips_extract_area
#undef vips_extract_band
#define vips_extract_band lib.vips_extract_band
#undef vips_flatten
#define vips_flatten lib.vips_flatten
#undef vips_foreign_find_load_buffer
#define vips_foreign_find_load_buffer lib.vips_foreign_find_load_buffer
#undef vips_format_sizeof_unsafe
#define vips_format_sizeof_unsafe lib.vips_format_sizeof_unsafe
#undef vips_gifsave_buffer
#define vips_gifsave_buffer lib.vips_gifsave_buffer
#undef vips_icc_transform
#define vips_icc_transform lib.vips_icc_transform
#undef vips_image_copy_memory
#define vips_image_copy_memory lib.vips_image_copy_memory
#undef vips_image_get_bands
#define vips_image_get_bands lib.vips_image_get_bands
#undef vips_image_get_format
#define vips_image_get_format lib.vips_image_get_format
#undef vips_image_get_height
#define vips_image_get_height lib.vips_image_get_height
#undef vips_image_get_int
#define vips_image_get_int lib.vips_image_get_int
#undef vips_image_get_interpretation
#define vips_image_get_interpretation lib.vips_image_get_interpretation
#undef vips_image_get_n_pages
#define vips_image_get_n_pages lib.vips_image_get_n_pages
#undef vips_image_get_typeof
#define vips_image_get_typeof lib.vips_image_get_typeof
#undef vips_image_get_width
#define vips_image_get_width lib.vips_image_get_width
#undef vips_image_hasalpha
#define vips_image_hasalpha lib.vips_image_hasalpha
#undef vips_image_new_from_buffer
#define vips_image_new_from_buffer lib.vips_image_new_from_buffer
#undef vips_init
#define vips_init lib.vips_init
#undef vips_jpegsave_buffer
#define vips_jpegsave_buffer lib.vips_jpegsave_buffer
#undef vips_resize
#define vips_resize lib.vips_resize
#undef vips_shutdown
#define vips_shutdown lib.vips_shutdown
#undef vips_type_find
#define vips_type_find lib.vips_type_find
#undef vips_version
#define vips_version lib.vips_version

struct image {
	VipsImage *upright;     /* decoded, EXIF orientation applied, 8-bit
				 * sRGB (alpha kept), in memory */
	VipsImage *frames_all;  /* an animation: every frame, decoded once */
	const unsigned char *data;
	size_t len;
	struct image_source src;
	long frames;
};

static int initialised;
static int shut;   /* libvips cannot start again after vips_shutdown */

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg,
		  gpointer ud)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)ud;
}

int image_init(const char *argv0, struct err *err)
{
	if (initialised)
		return 0;
	if (shut)
		return err_set(err, "libvips was stopped and cannot start again");
	if (lib_open(err) < 0)
		return -1;
	if (VIPS_INIT(argv0 ? argv0 : "ritual") != 0)
		return err_set(err, "cannot start libvips: %s", vips_error_buffer());
	/* One worker: the machine is shared and images are small. No cache:
	 * every operation runs once. Only the loaders libvips marks as
	 * trusted (fuzzed, commonly used) may run. */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_block_untrusted_set(TRUE);
	/* Loader warnings ("premature end of JPEG file") become our own
	 * errors (fail_on=truncated); not printed on the owner's terminal. */
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet, NULL);
	initialised = 1;
	return 0;
}

void image_shutdown(void)
{
	if (!initialised)
		return;
	vips_shutdown();
	initialised = 0;
	shut = 1;
}

int image_heif_supported(void)
{
	struct err err;
	if (image_init(NULL, &err) < 0)
		return 0;
	return vips_type_find("VipsOperation", "heifload_buffer") != 0;
}

/* libvips' last error as one line (its buffer may hold several). */
static void vips_msg(char *out, size_t n)
{
	const char *e = vips_error_buffer();
	size_t o = 0;
	for (; e && *e && o + 1 < n; e++) {
		char ch = *e == '\n' ? ';' : *e;
		if (ch == ';' && e[1] == '\0')
			break;
		out[o++] = ch;
	}
	out[o] = '\0';
	vips_error_clear();
}

/* vips_foreign_find_load_buffer names the loader's class. probed: media.c
 * reads this format's header too (media_probe), stricter than some
 * loaders; the others rely on libvips' header alone. */
static const struct {
	const char *loader, *type, *mime;
	int probed;
} loaders[] = {
	{"VipsForeignLoadJpegBuffer", "JPEG", "image/jpeg", 1},
	{"VipsForeignLoadPngBuffer", "PNG", "image/png", 1},
	{"VipsForeignLoadNsgifBuffer", "GIF", "image/gif", 1},
	{"VipsForeignLoadWebpBuffer", "WebP", "image/webp", 1},
	{"VipsForeignLoadSpngBuffer", "PNG", "image/png", 1},
	{"VipsForeignLoadGifBuffer", "GIF", "image/gif", 1},
	{"VipsForeignLoadHeifBuffer", "HEIC", "image/heic", 0},
	{"VipsForeignLoadTiffBuffer", "TIFF", "image/tiff", 0},
};

/* Header-only open (libvips decodes lazily). */
static VipsImage *load_header(const unsigned char *d, size_t len, int all)
{
	if (all)
		return vips_image_new_from_buffer(d, len, "", "access",
						  VIPS_ACCESS_RANDOM, "fail_on",
						  VIPS_FAIL_ON_TRUNCATED, "n", -1,
						  NULL);
	return vips_image_new_from_buffer(d, len, "", "access", VIPS_ACCESS_RANDOM,
					  "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}

/* Whether a w x h image of pel bytes a pixel is more than we decode. */
static int too_big(long w, long h, double pel)
{
	return w <= 0 || h <= 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE ||
	       (double)w * (double)h > (double)IMAGE_MAX_PIXELS ||
	       (double)w * (double)h * pel > (double)IMAGE_MAX_MEMORY;
}

static int bomb(struct err *err, const char *type, long w, long h)
{
	return err_set(err, "the %s image says it is %ldx%ld pixels, more than "
		       "ritual decodes (%ld megapixels, %ld pixels a side); "
		       "export it smaller (e.g. 4000 pixels on the long side)",
		       type, w, h, IMAGE_MAX_PIXELS / 1000000, IMAGE_MAX_SIDE);
}


/* *im to 8-bit sRGB (alpha kept) in memory, replacing it. -1 with
 * libvips' error set. */
static int to_srgb8(VipsImage **im)
{
	VipsImage *cur = *im, *t = NULL;
	g_object_ref(cur);
	if (vips_image_get_typeof(cur, VIPS_META_ICC_NAME)) {
		if (vips_icc_transform(cur, &t, "srgb", "embedded", TRUE, NULL) == 0) {
			g_object_unref(cur);
			cur = t;
		} else {
			vips_error_clear();
		}
	}
	if (vips_image_get_interpretation(cur) != VIPS_INTERPRETATION_sRGB) {
		if (vips_colourspace(cur, &t, VIPS_INTERPRETATION_sRGB, NULL) != 0)
			goto fail;
		g_object_unref(cur);
		cur = t;
	}
	if (vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
		if (vips_cast_uchar(cur, &t, NULL) != 0)
			goto fail;
		g_object_unref(cur);
		cur = t;
	}
	t = vips_image_copy_memory(cur);
	g_object_unref(cur);
	if (!t)
		return -1;
	g_object_unref(*im);
	*im = t;
	return 0;
fail:
	g_object_unref(cur);
	return -1;
}

int image_open(const unsigned char *data, size_t len, struct image **out,
	       struct image_source *src, struct err *err)
{
	struct media_info mi;
	char vm[300];
	*out = NULL;
	memset(src, 0, sizeof(*src));
	/* libvips starts on the first image (~50 ms), not in every command. */
	if (image_init(NULL, err) < 0)
		return -1;
	if (!data || len == 0)
		return media_probe(data, 0, &mi, err);

	const char *nick = vips_foreign_find_load_buffer(data, len);
	vips_error_clear();
	size_t li;
	for (li = 0; nick && li < RT_ARRAY_LEN(loaders); li++)
		if (strcmp(nick, loaders[li].loader) == 0)
			break;
	if (!nick || li == RT_ARRAY_LEN(loaders)) {
		/* media's header readers say best what the bytes are. */
		if (media_probe(data, len, &mi, err) < 0)
			return -1;
		return err_set(err, "this %s image cannot be read; save or export "
			       "it again as JPEG", media_type_name(mi.type));
	}
	/* Our own header readers are stricter than some loaders about a
	 * header cut short, and their messages say where. */
	if (loaders[li].probed && media_probe(data, len, &mi, err) < 0)
		return -1;
	if (loaders[li].probed && too_big(mi.width, mi.height, 1.0))
		return bomb(err, loaders[li].type, mi.width, mi.height);

	VipsImage *hdr = load_header(data, len, 0);
	if (!hdr) {
		vips_msg(vm, sizeof(vm));
		return err_set(err, "the %s file is damaged (%s); save or export "
			       "the image again", loaders[li].type, vm);
	}
	long w = vips_image_get_width(hdr), h = vips_image_get_height(hdr);
	int pages = vips_image_get_n_pages(hdr);
	int orient = 1;
	if (vips_image_get_typeof(hdr, VIPS_META_ORIENTATION) &&
	    vips_image_get_int(hdr, VIPS_META_ORIENTATION, &orient) != 0)
		orient = 1;
	if (orient < 1 || orient > 8)
		orient = 1;
	snprintf(src->type, sizeof(src->type), "%s", loaders[li].type);
	snprintf(src->mime, sizeof(src->mime), "%s", loaders[li].mime);
	src->width = w;
	src->height = h;
	src->frames = pages > 0 ? pages : 1;
	src->orientation = orient;
	src->alpha = vips_image_hasalpha(hdr);

	/* The bomb check: from the header, before a pixel is decoded. */
	double pel = (double)VIPS_IMAGE_SIZEOF_PEL(hdr);
	if (too_big(w, h, pel)) {
		g_object_unref(hdr);
		return bomb(err, src->type, w, h);
	}
	if (src->frames > 1 &&
	    (double)w * (double)h * pel * src->frames > (double)IMAGE_MAX_MEMORY) {
		g_object_unref(hdr);
		return err_set(err, "the %s animation has %ld frames of %ldx%ld "
			       "pixels, more than ritual decodes; make it shorter "
			       "or smaller", src->type, src->frames, w, h);
	}

	/* Decode every pixel now: a file cut short or damaged in its data is
	 * refused here (fail_on=truncated), not by the network later. An
	 * animation is decoded once, every frame (a broken animation is
	 * broken); its first frame is a view of that memory. */
	VipsImage *mem = NULL, *allmem = NULL;
	if (src->frames > 1) {
		g_object_unref(hdr);
		VipsImage *all = load_header(data, len, 1);
		if (all) {
			allmem = vips_image_copy_memory(all);
			g_object_unref(all);
		}
		if (!allmem) {
			vips_msg(vm, sizeof(vm));
			return err_set(err, "the %s animation is damaged (%s); save "
				       "or export it again", src->type, vm);
		}
		if (vips_extract_area(allmem, &mem, 0, 0, (int)w, (int)h, NULL) != 0)
			mem = NULL;
	} else {
		mem = vips_image_copy_memory(hdr);
		g_object_unref(hdr);
	}
	if (!mem) {
		vips_msg(vm, sizeof(vm));
		if (allmem)
			g_object_unref(allmem);
		return err_set(err, "the %s file is damaged or cut short (%s); "
			       "save or export the image again", src->type, vm);
	}
	VipsImage *up = NULL;
	if (vips_autorot(mem, &up, NULL) != 0) {
		vips_msg(vm, sizeof(vm));
		g_object_unref(mem);
		if (allmem)
			g_object_unref(allmem);
		return err_set(err, "cannot turn the %s image upright (%s)",
			       src->type, vm);
	}
	g_object_unref(mem);
	/* Colours once for every network: an embedded profile (Display P3
	 * phones) to sRGB, then any interpretation (grey, CMYK, 16-bit) to
	 * 8-bit sRGB; kept in memory so each variant starts from it. */
	if (src->frames == 1 && to_srgb8(&up) < 0) {
		vips_msg(vm, sizeof(vm));
		g_object_unref(up);
		return err_set(err, "cannot convert the colours of the %s image "
			       "(%s); export it again as JPEG", src->type, vm);
	}
	struct image *img = xcalloc(1, sizeof(*img));
	img->upright = up;
	img->frames_all = allmem;
	img->data = data;
	img->len = len;
	img->src = *src;
	img->frames = src->frames;
	*out = img;
	return 0;
}

void image_close(struct image *img)
{
	if (!img)
		return;
	if (img->upright)
		g_object_unref(img->upright);
	if (img->frames_all)
		g_object_unref(img->frames_all);
	free(img);
}

void image_size(const struct image *img, long *width, long *height)
{
	*width = vips_image_get_width(img->upright);
	*height = vips_image_get_height(img->upright);
}

void image_variant_free(struct image_variant *v)
{
	if (!v)
		return;
	free(v->data);
	free(v->notes);
	memset(v, 0, sizeof(*v));
}

/* Replace *img by the result of an operation (which owns nothing of it). */
static int step(VipsImage **img, VipsImage *next)
{
	if (!next)
		return -1;
	g_object_unref(*img);
	*img = next;
	return 0;
}

static const char *orientation_words(int o)
{
	switch (o) {
	case 2: return "mirrored";
	case 3: return "rotated 180°";
	case 4: return "flipped";
	case 5: return "rotated 90° and mirrored";
	case 6: return "rotated 90° clockwise";
	case 7: return "rotated 270° and mirrored";
	case 8: return "rotated 90° anticlockwise";
	default: return "";
	}
}

static int keep_animation(const struct image *img, const struct image_params *p,
			  struct image_variant *out, struct err *err)
{
	const struct media_rules *r = p->rules;
	struct media_info mi;
	if (media_probe(img->data, img->len, &mi, err) < 0)
		return -1;
	if (media_check(&mi, r, err) < 0)
		return -1;
	/* Re-encode to drop comment and XMP blocks; frames and timing stay. */
	void *buf = NULL;
	size_t blen = 0;
	if (!img->frames_all || vips_gifsave_buffer(img->frames_all, &buf, &blen,
						    "strip", TRUE, NULL) != 0) {
		char vm[200];
		vips_msg(vm, sizeof(vm));
		return err_set(err, "%s: cannot rewrite the animation (%s); export "
			       "it again as GIF", r->network, vm);
	}
	struct media_info m2;
	if (media_probe(buf, blen, &m2, err) < 0 || media_check(&m2, r, err) < 0) {
		g_free(buf);
		return -1;
	}
	out->data = xmalloc(blen);
	memcpy(out->data, buf, blen);
	out->len = blen;
	g_free(buf);
	snprintf(out->mime, sizeof(out->mime), "image/gif");
	out->width = m2.width;
	out->height = m2.height;
	out->notes = xasprintf("animated GIF kept (%ld frames); metadata removed; "
			       "%zu bytes", img->frames, blen);
	return 0;
}

/* Scale *img (w x h) by about scale to whole-pixel dimensions whose ratio
 * stays inside r's range (rounding may not push it out). */
static int shrink_to(VipsImage **img, const struct media_rules *r, long w,
		     long h, double scale)
{
	long tw = lround((double)w * scale), th = lround((double)h * scale);
	if (tw < 1)
		tw = 1;
	if (th < 1)
		th = 1;
	if (r->min_ratio > 0 && (double)tw / (double)th < r->min_ratio)
		th = (long)floor((double)tw / r->min_ratio);
	if (r->max_ratio > 0 && (double)tw / (double)th > r->max_ratio)
		tw = (long)floor((double)th * r->max_ratio);
	VipsImage *t = NULL;
	if (vips_resize(*img, &t, (double)tw / (double)w, "vscale",
			(double)th / (double)h, NULL) != 0)
		return -1;
	return step(img, t);
}

/* A JPEG that needs nothing: no APP1 (EXIF, XMP), APP13 (IPTC), comment
 * or other application block that could carry personal data. */
static int jpeg_is_clean(const unsigned char *d, size_t len)
{
	size_t pos = 2;
	while (pos + 4 <= len && d[pos] == 0xFF) {
		unsigned m = d[pos + 1];
		if (m == 0xDA)             /* start of scan: headers done */
			return 1;
		size_t seg = (size_t)d[pos + 2] << 8 | d[pos + 3];
		if (m == 0xFE || (m >= 0xE1 && m <= 0xEF && m != 0xE2 && m != 0xEE))
			return 0;
		pos += 2 + seg;
	}
	return 0;
}

int image_render(const struct image *img, const struct image_params *p,
		 struct image_variant *out, struct err *err)
{
	const struct media_rules *r = p->rules;
	char vm[300];
	struct buf notes = {0};
	memset(out, 0, sizeof(*out));

	if (img->frames > 1) {
		if (strcmp(img->src.type, "GIF") == 0 &&
		    (r->types & MEDIA_BIT(MEDIA_GIF)))
			return keep_animation(img, p, out, err);
		return err_set(err, "%s cannot show an animation (this %s has %ld "
			       "frames); export one frame as a JPEG photo, or leave "
			       "%s out with a To: line", r->network, img->src.type,
			       img->frames, r->network);
	}
	if (!(r->types & MEDIA_BIT(MEDIA_JPEG)) && r->types)
		return err_set(err, "%s does not take JPEG images", r->network);

	/* Already fit and carrying no metadata: sent exactly as it is (no
	 * second JPEG compression). */
	struct media_info orig;
	struct err ignored;
	if (strcmp(img->src.type, "JPEG") == 0 && img->src.orientation == 1 &&
	    jpeg_is_clean(img->data, img->len) &&
	    img->src.width <= IMAGE_LONGEST_SIDE &&
	    img->src.height <= IMAGE_LONGEST_SIDE &&
	    media_probe(img->data, img->len, &orig, &ignored) == 0 &&
	    media_check(&orig, r, &ignored) == 0) {
		out->data = xmalloc(img->len);
		memcpy(out->data, img->data, img->len);
		out->len = img->len;
		snprintf(out->mime, sizeof(out->mime), "image/jpeg");
		out->width = orig.width;
		out->height = orig.height;
		out->notes = xasprintf("sent as it is (fits %s, no metadata); %zu "
				       "bytes", r->network, img->len);
		return 0;
	}

	VipsImage *im = img->upright, *t = NULL;
	g_object_ref(im);
	if (img->src.orientation > 1)
		buf_printf(&notes, "%s (EXIF orientation %d); ",
			   orientation_words(img->src.orientation),
			   img->src.orientation);
	if (strcmp(img->src.type, "JPEG") != 0)
		buf_printf(&notes, "converted %s to JPEG; ", img->src.type);

	/* The colours are 8-bit sRGB already (image_open). */
	VipsArrayDouble *bg = vips_array_double_newv(3, (double)p->background[0],
						     (double)p->background[1],
						     (double)p->background[2]);
	if (vips_image_hasalpha(im)) {
		int rc = vips_flatten(im, &t, "background", bg, NULL);
		if (rc || step(&im, t) < 0) {
			vips_area_unref(VIPS_AREA(bg));
			goto vips_fail;
		}
		buf_printf(&notes, "transparency flattened onto #%02x%02x%02x; ",
			   p->background[0], p->background[1], p->background[2]);
	}
	if (vips_image_get_bands(im) > 3 &&
	    step(&im, vips_extract_band(im, &t, 0, "n", 3, NULL) ? NULL : t) < 0) {
		vips_area_unref(VIPS_AREA(bg));
		goto vips_fail;
	}

	/* The ratio first, at full resolution (a centred crop or padding),
	 * then the size (longest side, pixel limit). */
	long rw = vips_image_get_width(im), rh = vips_image_get_height(im);
	double ratio = (double)rw / (double)rh;
	long nw = rw, nh = rh;
	int too_tall = r->min_ratio > 0 && ratio < r->min_ratio;
	int too_wide = r->max_ratio > 0 && ratio > r->max_ratio;
	if (too_tall || too_wide) {
		double target = too_tall ? r->min_ratio : r->max_ratio;
		char rt[16];
		media_ratio_name(target, rt, sizeof(rt));
		int rc;
		if (p->fit == IMAGE_FIT_PAD) {
			if (too_tall)
				nw = (long)ceil((double)rh * target);
			else
				nh = (long)ceil((double)rw / target);
			rc = vips_embed(im, &t, (int)((nw - rw) / 2),
					(int)((nh - rh) / 2), (int)nw, (int)nh,
					"extend", VIPS_EXTEND_BACKGROUND,
					"background", bg, NULL);
			if (!rc)
				buf_printf(&notes, "padded %ldx%ld to %ldx%ld (%s); ",
					   rw, rh, nw, nh, rt);
		} else {
			if (too_tall)
				nh = (long)floor((double)rw / target);
			else
				nw = (long)floor((double)rh * target);
			if (nw < 1)
				nw = 1;
			if (nh < 1)
				nh = 1;
			rc = vips_extract_area(im, &t, (int)((rw - nw) / 2),
					       (int)((rh - nh) / 2), (int)nw,
					       (int)nh, NULL);
			if (!rc)
				buf_printf(&notes, "cropped %ldx%ld to %ldx%ld, "
					   "centred (%s); ", rw, rh, nw, nh, rt);
		}
		if (rc || step(&im, t) < 0) {
			vips_area_unref(VIPS_AREA(bg));
			goto vips_fail;
		}
	}
	vips_area_unref(VIPS_AREA(bg));

	double scale = 1.0;
	long longest = nw > nh ? nw : nh;
	if (longest > IMAGE_LONGEST_SIDE)
		scale = (double)IMAGE_LONGEST_SIDE / (double)longest;
	if (r->max_pixels > 0 &&
	    (double)nw * nh * scale * scale >= (double)r->max_pixels)
		scale = sqrt((double)(r->max_pixels - 1) / ((double)nw * nh)) * 0.999;
	if (scale < 1.0 && shrink_to(&im, r, nw, nh, scale) < 0)
		goto vips_fail;
	if (scale < 1.0)
		buf_printf(&notes, "shrunk %ldx%ld to %dx%d; ", nw, nh,
			   vips_image_get_width(im), vips_image_get_height(im));

	/* Encode; lower the quality, then the size, until the bytes fit. */
	static const int qualities[] = {85, 75, 65};
	void *jb = NULL;
	size_t jl = 0;
	int q = 85;
	for (int round = 0; round < 12; round++) {
		q = qualities[round < 3 ? round : 2];
		if (vips_jpegsave_buffer(im, &jb, &jl, "Q", q, "strip", TRUE,
					 "optimize_coding", TRUE, NULL) != 0)
			goto vips_fail;
		if (!r->max_bytes || jl <= r->max_bytes)
			break;
		g_free(jb);
		jb = NULL;
		if (round >= 2) {
			double s = sqrt((double)r->max_bytes / (double)jl) * 0.9;
			if (shrink_to(&im, r, vips_image_get_width(im),
				      vips_image_get_height(im), s) < 0)
				goto vips_fail;
			buf_printf(&notes, "shrunk to %dx%d to fit %s's %zu bytes; ",
				   vips_image_get_width(im), vips_image_get_height(im),
				   r->network, r->max_bytes);
		}
	}
	if (!jb) {
		g_object_unref(im);
		buf_free(&notes);
		return err_set(err, "%s: cannot make a JPEG of this image under %zu "
			       "bytes; export it smaller", r->network, r->max_bytes);
	}
	out->width = vips_image_get_width(im);
	out->height = vips_image_get_height(im);
	g_object_unref(im);
	out->data = xmalloc(jl);
	memcpy(out->data, jb, jl);
	out->len = jl;
	g_free(jb);
	snprintf(out->mime, sizeof(out->mime), "image/jpeg");
	buf_printf(&notes, "JPEG quality %d, metadata removed; %zu bytes", q, jl);
	out->notes = buf_steal(&notes);

	/* The variant must pass the very check the network makes. */
	struct media_info mi;
	if (media_probe(out->data, out->len, &mi, err) < 0 ||
	    media_check(&mi, r, err) < 0) {
		image_variant_free(out);
		return -1;
	}
	return 0;

vips_fail:
	vips_msg(vm, sizeof(vm));
	g_object_unref(im);
	buf_free(&notes);
	return err_set(err, "%s: cannot convert the %s image (%s); export it "
		       "again as JPEG", r->network, img->src.type, vm);
}
