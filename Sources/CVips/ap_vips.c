#include "ap_vips.h"

int ap_vips_start(const char *program_name, int block_untrusted) {
    if (VIPS_INIT(program_name) != 0) {
        return -1;
    }
    vips_block_untrusted_set(block_untrusted ? TRUE : FALSE);
    return 0;
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
    VipsImage *lazy = NULL;
    int status = vips_thumbnail_source(source, &lazy, max_size,
                                       "height", max_size,
                                       "size", VIPS_SIZE_DOWN,
                                       "no_rotate", no_rotate ? TRUE : FALSE,
                                       "fail_on", (VipsFailOn) fail_on,
                                       NULL);
    g_object_unref(source);
    if (status != 0) {
        return NULL;
    }
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
