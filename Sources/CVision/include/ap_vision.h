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

/// A neural network (ONNX, through OpenCV's dnn module), run on the CPU.
/// A network serves one thread at a time.
typedef struct ap_network ap_network;

/// Loads an ONNX model; NULL with `error` filled when it cannot be read or
/// OpenCV cannot run it.
ap_network *ap_network_open(const char *onnx_path, char *error, size_t error_size);
void ap_network_close(ap_network *network);

/// Runs the network on one input of shape 1 x dim0 x dim1 x dim2 (the
/// layout the model expects, e.g. NHWC), float32, and copies at most
/// `capacity` values of its first output. Returns how many values the output
/// has, or -1 with `error` filled.
int ap_network_run(ap_network *network, const float *input, int dim0, int dim1, int dim2,
                   float *output, int capacity, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif
