#ifndef AP_VIPS_H
#define AP_VIPS_H

// Typed, non-variadic entry points into libvips for Swift, which cannot call
// C variadic functions. Each returns NULL (or non-zero) on failure; the
// caller then reads the reason with vips_error_buffer_copy().
//
// Images are opened from a file descriptor the caller owns (libvips dups it),
// never from a path: libvips would parse "[...]" in a file name as load
// options, and a non-UTF-8 name must reach open(2) byte for byte.

#include <vips/vips.h>

/// Starts libvips once per process; blocks the loaders libvips marks
/// untrusted (ImageMagick, PDF, SVG, ...), which are not fuzzed for hostile input.
int ap_vips_start(const char *program_name, int block_untrusted);

// Turns libvips's run-time SIMD code generation (Orc) on or off.
void ap_vips_set_vector_enabled(int enabled);
int ap_vips_vector_enabled(void);

/// Makes `image`'s computations stop once the calling thread's current
/// cancel flag (ap_cancel.h) is set; nothing when the thread has none.
void ap_vips_watch(VipsImage *image);

/// Opens an image header-only: pixels are decoded only if later asked for.
VipsImage *ap_vips_open_header_fd(int fd);

/// Decodes the image in `fd` once, shrinking on load so both sides fit
/// `max_size`, never upscaling; rotated upright unless `no_rotate`.
/// `fail_on` is a VipsFailOn level (VIPS_FAIL_ON_ERROR turns a damaged file
/// into an error). The result lives in memory: derivatives are made from it.
VipsImage *ap_vips_decode_shrunk_fd(int fd, int max_size, int no_rotate, int fail_on);
// The same shrink of an image in memory, its metadata dropped; NULL on error.
VipsImage *ap_vips_shrink_image(VipsImage *in, int max_size);

/// Whether the named operation is blocked (an untrusted loader, with
/// untrusted loaders blocked): it would refuse to run.
int ap_vips_operation_is_blocked(const char *name);

/// Name of the loader libvips would pick for the bytes in `fd` ("jpegload_source", ...), or NULL.
const char *ap_vips_loader_for_fd(int fd);

/// Resizes to exactly `width` × `height` (Lanczos 3; box-shrinks first on large reductions).
VipsImage *ap_vips_resize_to(VipsImage *in, int width, int height);

/// A new sRGB image from packed 8-bit RGB pixels, copied: the caller may free
/// its buffer as soon as this returns.
VipsImage *ap_vips_image_from_rgb(const void *pixels, int width, int height);

/// Turns by a multiple of 90 degrees clockwise.
VipsImage *ap_vips_rotate(VipsImage *in, int degrees);

/// Keeps every `xfactor`-th pixel of every `yfactor`-th row: a sample with
/// no blending, so region colours stay exact.
VipsImage *ap_vips_subsample(VipsImage *in, int xfactor, int yfactor);

/// Enlarges by whole factors, repeating pixels: the blocks of a mosaic.
VipsImage *ap_vips_zoom(VipsImage *in, int xfactor, int yfactor);

/// Converts to another colour space ("interpretation").
VipsImage *ap_vips_colourspace(VipsImage *in, VipsInterpretation space);

/// Blends the alpha band away onto an RGB background (0–255 per channel).
VipsImage *ap_vips_flatten(VipsImage *in, double red, double green, double blue);

/// The `width` × `height` area at `left`, `top`.
VipsImage *ap_vips_extract_area(VipsImage *in, int left, int top, int width, int height);

/// A `width` × `height` crop chosen by libvips's smartcrop: `interesting` is
/// VIPS_INTERESTING_ENTROPY or VIPS_INTERESTING_ATTENTION.
VipsImage *ap_vips_smartcrop(VipsImage *in, int width, int height, VipsInteresting interesting);

/// Mirrored: left-right when `horizontal`, else top-bottom.
VipsImage *ap_vips_flip(VipsImage *in, int horizontal);

/// Gaussian blur of standard deviation `sigma`.
VipsImage *ap_vips_gaussblur(VipsImage *in, double sigma);

/// Placed at `x`, `y` in a `width` × `height` canvas filled with `background`
/// (one value per band of `in`).
VipsImage *ap_vips_embed(VipsImage *in, int x, int y, int width, int height, const double *background, int bands);

/// `text` rendered by Pango in `font` (a description such as "sans bold 24",
/// its size in pixels), at most `width` pixels wide (0: no wrapping): a
/// one-band 8-bit coverage mask. libvips 8.14's vips_text shares a font map
/// between threads unsafely: callers must not run two at once.
VipsImage *ap_vips_text(const char *text, const char *font, int width);

/// An sRGB+alpha image of `mask`'s size in one colour, whose alpha is the
/// mask scaled by `alpha` / 255.
VipsImage *ap_vips_colorize_mask(VipsImage *mask, double red, double green, double blue, double alpha);

/// The alpha band (added, opaque, when missing) multiplied by `factor` (0–1).
VipsImage *ap_vips_scale_alpha(VipsImage *in, double factor);

/// `overlay` drawn over `base` with its top-left at `x`, `y` (Porter-Duff
/// over, alpha respected); the result has an alpha band.
VipsImage *ap_vips_composite_over(VipsImage *base, VipsImage *overlay, int x, int y);

/// Drops the alpha band, if any, without blending (for an opaque result).
VipsImage *ap_vips_drop_alpha(VipsImage *in);

/// Encoders to memory, all dropping every metadata block (EXIF, XMP, IPTC,
/// ICC): renditions are published. Return a g_malloc'd buffer, or NULL.
void *ap_vips_webpsave(VipsImage *in, int quality, int effort, size_t *length);
// Lossless WebP, no metadata: an edited original kept in its source's format.
void *ap_vips_webpsave_lossless(VipsImage *in, int effort, size_t *length);
void *ap_vips_jpegsave(VipsImage *in, int quality, size_t *length);
void *ap_vips_pngsave(VipsImage *in, int compression, size_t *length);
void *ap_vips_avifsave(VipsImage *in, int quality, int effort, size_t *length);

#endif
