#ifndef AP_VISION_H
#define AP_VISION_H

// A small C surface over OpenCV (Debian's 4.6) for Swift: face detection
// with a cascade classifier. No C++ type or exception crosses it: every
// entry point catches what OpenCV throws and reports it as text.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ap_face_detector ap_face_detector;

/// Loads a cascade (OpenCV's XML format). NULL with `error` filled when the
/// file is missing or not a cascade. A detector serves one thread at a time.
ap_face_detector *ap_faces_open(const char *cascade_path, char *error, size_t error_size);
void ap_faces_close(ap_face_detector *detector);

typedef struct {
    int x, y, width, height;
} ap_face_box;

typedef struct {
    double scale_factor;
    int min_neighbors;
    /// Smallest face, in pixels of the given image (both sides).
    int min_size;
} ap_face_parameters;

/// Finds faces in 8-bit RGB pixels (rows `stride` bytes apart): grey
/// (cv::COLOR_RGB2GRAY), histogram-equalised, then detectMultiScale. Writes
/// at most `capacity` boxes in OpenCV's order and returns how many were
/// found (which may be more), or -1 with `error` filled.
int ap_faces_detect(ap_face_detector *detector, const unsigned char *rgb, int width, int height, size_t stride,
                    ap_face_parameters parameters, ap_face_box *boxes, int capacity, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif
