#include "ap_vision.h"

#include <cstdio>
#include <exception>
#include <new>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/objdetect.hpp>

struct ap_face_detector {
    cv::CascadeClassifier classifier;
};

static void set_error(char *error, size_t size, const char *what) {
    if (error && size > 0) std::snprintf(error, size, "%s", what);
}

// assetpipe runs one asset per core (--jobs); OpenCV's own worker threads
// inside each call would only compete with the other assets for the cores.
static void one_thread_per_call() {
    static const bool once = (cv::setNumThreads(1), true);
    (void)once;
}

extern "C" ap_face_detector *ap_faces_open(const char *cascade_path, char *error, size_t error_size) {
    try {
        one_thread_per_call();
        ap_face_detector *detector = new (std::nothrow) ap_face_detector();
        if (!detector) {
            set_error(error, error_size, "out of memory");
            return nullptr;
        }
        if (!detector->classifier.load(cascade_path) || detector->classifier.empty()) {
            delete detector;
            set_error(error, error_size, "not an OpenCV cascade file, or it cannot be read");
            return nullptr;
        }
        return detector;
    } catch (const std::exception &exception) {
        // OpenCV's own text names its source file and function; the reader needs the verdict first.
        if (error && error_size > 0) std::snprintf(error, error_size, "not an OpenCV cascade file (%s)", exception.what());
        return nullptr;
    }
}

extern "C" void ap_faces_close(ap_face_detector *detector) {
    delete detector;
}

extern "C" int ap_faces_detect(ap_face_detector *detector, const unsigned char *rgb, int width, int height, size_t stride,
                               ap_face_parameters parameters, ap_face_box *boxes, int capacity, char *error, size_t error_size) {
    if (!detector || !rgb || width <= 0 || height <= 0 || stride < (size_t)width * 3 || capacity < 0) {
        set_error(error, error_size, "bad arguments");
        return -1;
    }
    try {
        // Wraps the caller's pixels; OpenCV only reads them.
        const cv::Mat image(height, width, CV_8UC3, const_cast<unsigned char *>(rgb), stride);
        cv::Mat grey;
        cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
        cv::equalizeHist(grey, grey);
        std::vector<cv::Rect> found;
        const cv::Size smallest(parameters.min_size, parameters.min_size);
        detector->classifier.detectMultiScale(grey, found, parameters.scale_factor, parameters.min_neighbors, 0, smallest);
        const int count = (int)found.size();
        for (int index = 0; index < count && index < capacity; index++) {
            boxes[index] = ap_face_box{found[index].x, found[index].y, found[index].width, found[index].height};
        }
        return count;
    } catch (const std::exception &exception) {
        set_error(error, error_size, exception.what());
        return -1;
    }
}

struct ap_network {
    cv::dnn::Net net;
};

extern "C" ap_network *ap_network_open(const char *onnx_path, char *error, size_t error_size) {
    try {
        one_thread_per_call();
        ap_network *network = new (std::nothrow) ap_network();
        if (!network) {
            set_error(error, error_size, "out of memory");
            return nullptr;
        }
        network->net = cv::dnn::readNetFromONNX(onnx_path);
        if (network->net.empty()) {
            delete network;
            set_error(error, error_size, "OpenCV read no network from the file");
            return nullptr;
        }
        network->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        network->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        return network;
    } catch (const std::exception &exception) {
        if (error && error_size > 0) std::snprintf(error, error_size, "not an ONNX model OpenCV can run (%s)", exception.what());
        return nullptr;
    }
}

extern "C" void ap_network_close(ap_network *network) {
    delete network;
}

extern "C" int ap_network_run(ap_network *network, const float *input, int dim0, int dim1, int dim2,
                              float *output, int capacity, char *error, size_t error_size) {
    if (!network || !input || dim0 <= 0 || dim1 <= 0 || dim2 <= 0 || capacity < 0 || (capacity > 0 && !output)) {
        set_error(error, error_size, "bad arguments");
        return -1;
    }
    try {
        const int shape[] = {1, dim0, dim1, dim2};
        // Wraps the caller's values; setInput copies them.
        const cv::Mat blob(4, shape, CV_32F, const_cast<float *>(input));
        network->net.setInput(blob);
        cv::Mat result = network->net.forward();
        if (result.type() != CV_32F || !result.isContinuous()) result.convertTo(result, CV_32F);
        const int count = (int)result.total();
        const float *values = result.ptr<float>();
        for (int index = 0; index < count && index < capacity; index++) output[index] = values[index];
        return count;
    } catch (const std::exception &exception) {
        set_error(error, error_size, exception.what());
        return -1;
    }
}
