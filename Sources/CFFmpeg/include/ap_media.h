#ifndef AP_MEDIA_H
#define AP_MEDIA_H

// A small, typed surface over libavformat/libavcodec/libswscale for Swift:
// open a media file defensively, describe its streams, decode one frame.
//
// Hostile input: files are opened with protocol_whitelist=file and a
// format_whitelist of real containers (no hls, concat or other demuxer that
// opens further files or URLs), bounded probesize/analyzeduration, and an
// interrupt callback that aborts any blocking call past a deadline.

#include <stddef.h>
#include <stdint.h>

typedef struct ap_media ap_media;

/// How opening or decoding failed, for the caller to map onto its reasons.
typedef enum {
    AP_MEDIA_OK = 0,
    /// Not a container this build accepts (or not one at all).
    AP_MEDIA_UNSUPPORTED = 1,
    /// A known container whose data is damaged, truncated or undecodable.
    AP_MEDIA_CORRUPT = 2,
    /// The file cannot be read.
    AP_MEDIA_UNREADABLE = 3,
    /// The deadline passed.
    AP_MEDIA_TIMEOUT = 4,
    /// Memory or another library failure.
    AP_MEDIA_FAILED = 5,
} ap_media_status;

typedef struct {
    char container[64];
    /// Seconds; negative when unknown.
    double duration;
    /// 1 when FFmpeg only estimated the duration from the bit rate.
    int duration_estimated;
    int64_t bit_rate;

    int has_video;
    char video_codec[32];
    /// Stored (coded) size; the display matrix may rotate it.
    int width, height;
    /// Degrees clockwise to turn the stored picture upright: 0, 90, 180 or 270.
    int rotation;
    int fps_num, fps_den;
    /// 0 when the container does not say.
    int64_t frame_count;

    int has_audio;
    char audio_codec[32];
    int channels;
    int sample_rate;
} ap_media_info;

/// Opens `path` (bytes passed to open(2) unchanged) and reads its stream
/// information. `timeout_seconds` bounds this call and every later one on the
/// handle. On failure returns NULL, sets *status and writes a message.
ap_media *ap_media_open(const char *path, const char *format_whitelist, double timeout_seconds,
                        ap_media_status *status, char *message, size_t message_size);

/// Describes the streams. Also checks that the index of every stream ends
/// inside the file: a file cut short is AP_MEDIA_CORRUPT even when its
/// header survived.
ap_media_status ap_media_describe(ap_media *media, ap_media_info *info, char *message, size_t message_size);

/// Decodes the first video frame at or after the keyframe before `seconds`,
/// scaled (area filter, aspect kept) so neither side exceeds `max_side`, as
/// packed 8-bit RGB. `*pixels` is malloc'd: free() it.
ap_media_status ap_media_decode_frame(ap_media *media, double seconds, int max_side,
                                      uint8_t **pixels, int *width, int *height,
                                      char *message, size_t message_size);

void ap_media_close(ap_media *media);

#endif
