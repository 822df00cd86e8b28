#include "ap_vips.h"

#include "ap_cancel.h"

#include <vips/vector.h>

// libvips reports damage it tolerates (and, before failing, damage it does
// not) as GLib warnings on stderr. A batch over thousands of files must not
// spray those; a failure's reason is read from the error buffer instead.
static void ap_vips_discard_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void) domain; (void) level; (void) message; (void) data;
}

int ap_vips_start(const char *program_name, int block_untrusted) {
    if (VIPS_INIT(program_name) != 0) {
        return -1;
    }
    vips_block_untrusted_set(block_untrusted ? TRUE : FALSE);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, ap_vips_discard_log, NULL);
    return 0;
}

void ap_vips_set_vector_enabled(int enabled) {
    vips_vector_set_enabled(enabled ? TRUE : FALSE);
}

int ap_vips_vector_enabled(void) {
    return vips_vector_isenabled() ? 1 : 0;
}

// Runs on libvips's worker threads as a computation progresses: a set flag
// kills the image being computed, which ends the computation with an error.
static void ap_vips_on_eval(VipsImage *image, VipsProgress *progress, void *data) {
    (void) progress;
    if (ap_cancel_is_set((ap_cancel *) data)) vips_image_set_kill(image, TRUE);
}

static void ap_vips_release_cancel(void *data, GClosure *closure) {
    (void) closure;
    ap_cancel_unref((ap_cancel *) data);
}

void ap_vips_watch(VipsImage *image) {
    ap_cancel *cancel = ap_cancel_current();
    if (image == NULL || cancel == NULL) return;
    ap_cancel_ref(cancel); // released with the signal handler, when the image goes
    vips_image_set_progress(image, TRUE);
    g_signal_connect_data(image, "preeval", G_CALLBACK(ap_vips_on_eval), cancel, NULL, 0);
    g_signal_connect_data(image, "eval", G_CALLBACK(ap_vips_on_eval), cancel, ap_vips_release_cancel, 0);
}

VipsImage *ap_vips_open_header_fd(int fd) {
    VipsSource *source = vips_source_new_from_descriptor(fd);
    if (source == NULL) {
        return NULL;
    }
    VipsImage *image = vips_image_new_from_source(source, "", NULL);
    g_object_unref(source); // the image keeps its own reference
    return image;
}

VipsImage *ap_vips_decode_shrunk_fd(int fd, int max_size, int no_rotate, int fail_on) {
    VipsSource *source = vips_source_new_from_descriptor(fd);
    if (source == NULL) {
        return NULL;
    }
    // thumbnail_source's own "fail_on" does not reach the loader in libvips
    // 8.14; the loader's option string does.
    const char *level = vips_enum_nick(VIPS_TYPE_FAIL_ON, fail_on);
    char options[64];
    g_snprintf(options, sizeof(options), "fail_on=%s", level ? level : "error");
    VipsImage *lazy = NULL;
    int status = vips_thumbnail_source(source, &lazy, max_size,
                                       "height", max_size,
                                       "size", VIPS_SIZE_DOWN,
                                       "no_rotate", no_rotate ? TRUE : FALSE,
                                       "option_string", options,
                                       NULL);
    g_object_unref(source);
    if (status != 0) {
        return NULL;
    }
    ap_vips_watch(lazy);
    // Force the decode now, so a damaged file fails here and every later
    // derivative reads pixels from memory instead of the file again.
    VipsImage *decoded = vips_image_copy_memory(lazy);
    g_object_unref(lazy);
    return decoded;
}

const char *ap_vips_loader_for_fd(int fd) {
    VipsSource *source = vips_source_new_from_descriptor(fd);
    if (source == NULL) {
        return NULL;
    }
    const char *loader = vips_foreign_find_load_source(source);
    g_object_unref(source);
    return loader;
}

VipsImage *ap_vips_resize_to(VipsImage *in, int width, int height) {
    VipsImage *out = NULL;
    double hscale = (double) width / vips_image_get_width(in);
    double vscale = (double) height / vips_image_get_height(in);
    if (vips_resize(in, &out, hscale, "vscale", vscale, NULL) != 0) {
        return NULL;
    }
    return out;
}

VipsImage *ap_vips_zoom(VipsImage *in, int xfactor, int yfactor) {
    VipsImage *out = NULL;
    return vips_zoom(in, &out, xfactor, yfactor, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_colourspace(VipsImage *in, VipsInterpretation space) {
    VipsImage *out = NULL;
    return vips_colourspace(in, &out, space, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_flatten(VipsImage *in, double red, double green, double blue) {
    VipsImage *out = NULL;
    VipsArrayDouble *background = vips_array_double_newv(3, red, green, blue);
    int status = vips_flatten(in, &out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return status == 0 ? out : NULL;
}

// libvips 8.14's webpsave writes EXIF and XMP even with "strip" set, so
// every encoder gets a copy of the image whose metadata table is empty:
// nothing the source carried (EXIF, GPS, XMP, IPTC, ICC, comments) can leak
// into a published rendition, whatever the saver does with "strip".
static VipsImage *ap_vips_without_metadata(VipsImage *in) {
    VipsImage *out = NULL;
    if (vips_copy(in, &out, NULL) != 0) {
        return NULL;
    }
    gchar **fields = vips_image_get_fields(out);
    for (int i = 0; fields[i] != NULL; i++) {
        vips_image_remove(out, fields[i]); // built-in fields are not in the table: a no-op
    }
    g_strfreev(fields);
    return out;
}

void *ap_vips_webpsave(VipsImage *in, int quality, int effort, size_t *length) {
    void *buffer = NULL;
    VipsImage *bare = ap_vips_without_metadata(in);
    if (bare == NULL) {
        return NULL;
    }
    int status = vips_webpsave_buffer(bare, &buffer, length, "Q", quality, "effort", effort, "strip", TRUE, NULL);
    g_object_unref(bare);
    return status == 0 ? buffer : NULL;
}

void *ap_vips_webpsave_lossless(VipsImage *in, int effort, size_t *length) {
    void *buffer = NULL;
    VipsImage *bare = ap_vips_without_metadata(in);
    if (bare == NULL) {
        return NULL;
    }
    int status = vips_webpsave_buffer(bare, &buffer, length, "lossless", TRUE, "effort", effort, "strip", TRUE, NULL);
    g_object_unref(bare);
    return status == 0 ? buffer : NULL;
}

// What ap_vips_decode_shrunk_fd makes of a file, made of an image already in
// memory (an edit's render, handed to the pipeline): the same thumbnail
// operation on the same metadata-free pixels a lossless save of it holds.
VipsImage *ap_vips_shrink_image(VipsImage *in, int max_size) {
    VipsImage *bare = ap_vips_without_metadata(in);
    if (bare == NULL) {
        return NULL;
    }
    VipsImage *lazy = NULL;
    int status = vips_thumbnail_image(bare, &lazy, max_size, "height", max_size, "size", VIPS_SIZE_DOWN,
                                      "no_rotate", TRUE, NULL);
    g_object_unref(bare);
    if (status != 0) {
        return NULL;
    }
    ap_vips_watch(lazy);
    VipsImage *shrunk = vips_image_copy_memory(lazy);
    g_object_unref(lazy);
    return shrunk;
}

void *ap_vips_jpegsave(VipsImage *in, int quality, size_t *length) {
    void *buffer = NULL;
    VipsImage *bare = ap_vips_without_metadata(in);
    if (bare == NULL) {
        return NULL;
    }
    int status = vips_jpegsave_buffer(bare, &buffer, length, "Q", quality, "optimize_coding", TRUE, "strip", TRUE, NULL);
    g_object_unref(bare);
    return status == 0 ? buffer : NULL;
}

void *ap_vips_pngsave(VipsImage *in, int compression, size_t *length) {
    void *buffer = NULL;
    VipsImage *bare = ap_vips_without_metadata(in);
    if (bare == NULL) {
        return NULL;
    }
    int status = vips_pngsave_buffer(bare, &buffer, length, "compression", compression, "strip", TRUE, NULL);
    g_object_unref(bare);
    return status == 0 ? buffer : NULL;
}

void *ap_vips_avifsave(VipsImage *in, int quality, int effort, size_t *length) {
    void *buffer = NULL;
    VipsImage *bare = ap_vips_without_metadata(in);
    if (bare == NULL) {
        return NULL;
    }
    int status = vips_heifsave_buffer(bare, &buffer, length, "Q", quality, "effort", effort,
                             "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "strip", TRUE, NULL);
    g_object_unref(bare);
    return status == 0 ? buffer : NULL;
}

VipsImage *ap_vips_subsample(VipsImage *in, int xfactor, int yfactor) {
    VipsImage *out = NULL;
    return vips_subsample(in, &out, xfactor, yfactor, NULL) == 0 ? out : NULL;
}

int ap_vips_operation_is_blocked(const char *name) {
    GType type = vips_type_find("VipsOperation", name);
    if (type == 0) {
        return 0;
    }
    VipsOperationClass *class = VIPS_OPERATION_CLASS(g_type_class_ref(type));
    int blocked = (class->flags & VIPS_OPERATION_BLOCKED) != 0;
    g_type_class_unref(class);
    return blocked;
}

VipsImage *ap_vips_image_from_rgb(const void *pixels, int width, int height) {
    VipsImage *copied = vips_image_new_from_memory_copy(pixels, (size_t) width * height * 3, width, height, 3, VIPS_FORMAT_UCHAR);
    if (copied == NULL) {
        return NULL;
    }
    VipsImage *out = NULL;
    int status = vips_copy(copied, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(copied);
    return status == 0 ? out : NULL;
}

VipsImage *ap_vips_rotate(VipsImage *in, int degrees) {
    VipsAngle angle;
    switch (((degrees % 360) + 360) % 360) {
    case 90: angle = VIPS_ANGLE_D90; break;
    case 180: angle = VIPS_ANGLE_D180; break;
    case 270: angle = VIPS_ANGLE_D270; break;
    default: angle = VIPS_ANGLE_D0; break;
    }
    VipsImage *out = NULL;
    return vips_rot(in, &out, angle, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_extract_area(VipsImage *in, int left, int top, int width, int height) {
    VipsImage *out = NULL;
    return vips_extract_area(in, &out, left, top, width, height, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_smartcrop(VipsImage *in, int width, int height, VipsInteresting interesting) {
    VipsImage *out = NULL;
    return vips_smartcrop(in, &out, width, height, "interesting", interesting, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_flip(VipsImage *in, int horizontal) {
    VipsImage *out = NULL;
    VipsDirection direction = horizontal ? VIPS_DIRECTION_HORIZONTAL : VIPS_DIRECTION_VERTICAL;
    return vips_flip(in, &out, direction, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_gaussblur(VipsImage *in, double sigma) {
    VipsImage *out = NULL;
    return vips_gaussblur(in, &out, sigma, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_embed(VipsImage *in, int x, int y, int width, int height, const double *background, int bands) {
    VipsArrayDouble *fill = vips_array_double_new(background, bands);
    VipsImage *out = NULL;
    int status = vips_embed(in, &out, x, y, width, height, "extend", VIPS_EXTEND_BACKGROUND, "background", fill, NULL);
    vips_area_unref(VIPS_AREA(fill));
    return status == 0 ? out : NULL;
}

VipsImage *ap_vips_text(const char *text, const char *font, int width) {
    VipsImage *out = NULL;
    // dpi 72: a font size in points is then a size in pixels.
    int status = width > 0
        ? vips_text(&out, text, "font", font, "dpi", 72, "width", width, NULL)
        : vips_text(&out, text, "font", font, "dpi", 72, NULL);
    return status == 0 ? out : NULL;
}

VipsImage *ap_vips_colorize_mask(VipsImage *mask, double red, double green, double blue, double alpha) {
    // colour = mask * 0 + (r, g, b); alpha = mask * alpha / 255.
    double zero[3] = {0, 0, 0};
    double colour[3] = {red, green, blue};
    VipsImage *rgb = NULL, *rgb8 = NULL, *scaled = NULL, *alpha8 = NULL, *joined = NULL, *out = NULL;
    int status = vips_linear(mask, &rgb, zero, colour, 3, NULL)
        || vips_cast(rgb, &rgb8, VIPS_FORMAT_UCHAR, NULL)
        || vips_linear1(mask, &scaled, alpha / 255.0, 0.0, NULL)
        || vips_cast(scaled, &alpha8, VIPS_FORMAT_UCHAR, NULL)
        || vips_bandjoin2(rgb8, alpha8, &joined, NULL)
        || vips_copy(joined, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    VIPS_UNREF(rgb);
    VIPS_UNREF(rgb8);
    VIPS_UNREF(scaled);
    VIPS_UNREF(alpha8);
    VIPS_UNREF(joined);
    if (status != 0) {
        VIPS_UNREF(out);
        return NULL;
    }
    return out;
}

VipsImage *ap_vips_scale_alpha(VipsImage *in, double factor) {
    VipsImage *with_alpha = NULL;
    if (vips_image_hasalpha(in)) {
        g_object_ref(in);
        with_alpha = in;
    } else if (vips_addalpha(in, &with_alpha, NULL) != 0) {
        return NULL;
    }
    int bands = vips_image_get_bands(with_alpha);
    double *scale = g_new(double, bands), *offset = g_new0(double, bands);
    for (int band = 0; band < bands; band++) {
        scale[band] = band == bands - 1 ? factor : 1.0;
    }
    VipsImage *scaled = NULL, *out = NULL;
    int status = vips_linear(with_alpha, &scaled, scale, offset, bands, NULL)
        || vips_cast(scaled, &out, vips_image_get_format(with_alpha), NULL);
    g_free(scale);
    g_free(offset);
    VIPS_UNREF(with_alpha);
    VIPS_UNREF(scaled);
    return status == 0 ? out : NULL;
}

VipsImage *ap_vips_composite_over(VipsImage *base, VipsImage *overlay, int x, int y) {
    VipsImage *out = NULL;
    return vips_composite2(base, overlay, &out, VIPS_BLEND_MODE_OVER, "x", x, "y", y, NULL) == 0 ? out : NULL;
}

VipsImage *ap_vips_drop_alpha(VipsImage *in) {
    VipsImage *out = NULL;
    if (!vips_image_hasalpha(in)) {
        g_object_ref(in);
        return in;
    }
    return vips_extract_band(in, &out, 0, "n", vips_image_get_bands(in) - 1, NULL) == 0 ? out : NULL;
}
