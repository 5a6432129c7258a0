// C ABI over dlib's HOG frontal face detector and 68-point shape predictor, for P/Invoke from EdramFer.Vision.
// Built by build.sh against the system dlib (Debian libdlib-dev). No C++ exception crosses the ABI: every entry
// point catches and reports the message through (err, err_len).
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/image_transforms/interpolation.h>
#include <dlib/serialize.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

void set_error(char* err, int err_len, const char* message) {
    if (err == nullptr || err_len <= 0) return;
    std::strncpy(err, message, static_cast<size_t>(err_len) - 1);
    err[err_len - 1] = '\0';
}

// Copies a row-major 8-bit grey buffer (rows `stride` bytes apart) into a dlib image.
void to_dlib(const uint8_t* grey, int width, int height, int stride, dlib::array2d<unsigned char>& img) {
    img.set_size(height, width);
    for (int y = 0; y < height; ++y) {
        const uint8_t* row = grey + static_cast<size_t>(y) * stride;
        for (int x = 0; x < width; ++x) img[y][x] = row[x];
    }
}

bool valid_image(const uint8_t* grey, int width, int height, int stride, char* err, int err_len) {
    if (grey == nullptr || width < 1 || height < 1 || stride < width) {
        set_error(err, err_len, "invalid image: null buffer, size below 1x1 or stride below width");
        return false;
    }
    return true;
}

}  // namespace

// Exported despite -fvisibility=hidden (which keeps dlib's own symbols private).
#define EDRAM_EXPORT __attribute__((visibility("default")))

extern "C" {

// ABI revision; the managed side refuses a shim with another one.
EDRAM_EXPORT int edram_dlib_abi_version() { return 1; }

// A new HOG frontal face detector (dlib::get_frontal_face_detector()); null on failure. Not thread-safe: one per thread.
EDRAM_EXPORT void* edram_dlib_detector_create(char* err, int err_len) {
    try {
        return new dlib::frontal_face_detector(dlib::get_frontal_face_detector());
    } catch (const std::exception& e) {
        set_error(err, err_len, e.what());
        return nullptr;
    }
}

EDRAM_EXPORT void edram_dlib_detector_free(void* detector) { delete static_cast<dlib::frontal_face_detector*>(detector); }

// Detects faces in a grey image, upsampling it `upsample` times (pyramid_up, x2 each) first. Writes up to `max_faces`
// rows of 5 floats (x, y, width, height, score) in the input image's pixels into `out`. Returns the number of faces
// found (may exceed max_faces) or -1 on error. Score is the HOG-SVM margin; detections below `adjust_threshold` are dropped.
EDRAM_EXPORT int edram_dlib_detect(void* detector, const uint8_t* grey, int width, int height, int stride, int upsample,
                      double adjust_threshold, float* out, int max_faces, char* err, int err_len) {
    if (detector == nullptr || !valid_image(grey, width, height, stride, err, err_len)) {
        if (detector == nullptr) set_error(err, err_len, "null detector");
        return -1;
    }
    try {
        dlib::array2d<unsigned char> img;
        to_dlib(grey, width, height, stride, img);
        double scale = 1.0;
        for (int i = 0; i < upsample; ++i) {
            dlib::pyramid_up(img);
            scale *= 2.0;
        }
        std::vector<dlib::rect_detection> dets;
        (*static_cast<dlib::frontal_face_detector*>(detector))(img, dets, adjust_threshold);
        const int n = static_cast<int>(dets.size());
        for (int i = 0; i < n && i < max_faces; ++i) {
            const dlib::rectangle& r = dets[i].rect;
            out[i * 5 + 0] = static_cast<float>(r.left() / scale);
            out[i * 5 + 1] = static_cast<float>(r.top() / scale);
            out[i * 5 + 2] = static_cast<float>(r.width() / scale);
            out[i * 5 + 3] = static_cast<float>(r.height() / scale);
            out[i * 5 + 4] = static_cast<float>(dets[i].detection_confidence);
        }
        return n;
    } catch (const std::exception& e) {
        set_error(err, err_len, e.what());
        return -1;
    }
}

// Loads a shape predictor (.dat, e.g. shape_predictor_68_face_landmarks.dat); null on failure with the reason in err.
EDRAM_EXPORT void* edram_dlib_predictor_create(const char* path, char* err, int err_len) {
    try {
        auto* predictor = new dlib::shape_predictor();
        try {
            dlib::deserialize(path) >> *predictor;
        } catch (...) {
            delete predictor;
            throw;
        }
        return predictor;
    } catch (const std::exception& e) {
        set_error(err, err_len, e.what());
        return nullptr;
    }
}

EDRAM_EXPORT void edram_dlib_predictor_free(void* predictor) { delete static_cast<dlib::shape_predictor*>(predictor); }

EDRAM_EXPORT int edram_dlib_predictor_parts(void* predictor) {
    return predictor == nullptr ? 0 : static_cast<int>(static_cast<dlib::shape_predictor*>(predictor)->num_parts());
}

// Landmarks of the face in box (x, y, width, height) of a grey image: writes num_parts (x, y) pairs into `out`
// (room for max_points pairs). Returns the number of points or -1 on error.
EDRAM_EXPORT int edram_dlib_landmarks(void* predictor, const uint8_t* grey, int width, int height, int stride,
                         int x, int y, int box_width, int box_height, float* out, int max_points, char* err, int err_len) {
    if (predictor == nullptr || !valid_image(grey, width, height, stride, err, err_len)) {
        if (predictor == nullptr) set_error(err, err_len, "null predictor");
        return -1;
    }
    try {
        auto& sp = *static_cast<dlib::shape_predictor*>(predictor);
        const int parts = static_cast<int>(sp.num_parts());
        if (parts > max_points) {
            set_error(err, err_len, ("output holds fewer points than the predictor's " + std::to_string(parts)).c_str());
            return -1;
        }
        dlib::array2d<unsigned char> img;
        to_dlib(grey, width, height, stride, img);
        const dlib::rectangle box(x, y, x + box_width - 1, y + box_height - 1);
        const dlib::full_object_detection shape = sp(img, box);
        for (int i = 0; i < parts; ++i) {
            out[i * 2 + 0] = static_cast<float>(shape.part(i).x());
            out[i * 2 + 1] = static_cast<float>(shape.part(i).y());
        }
        return parts;
    } catch (const std::exception& e) {
        set_error(err, err_len, e.what());
        return -1;
    }
}

}  // extern "C"
