#include "ap_media.h"

#include "ap_cancel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

struct ap_media {
    AVFormatContext *format;
    struct timespec deadline;
    int64_t file_size;
    // The opening thread's cancel flag, if any: set, it stops reads as the deadline does.
    ap_cancel *cancel;
};

static int ap_deadline_passed(void *opaque) {
    const ap_media *media = opaque;
    if (ap_cancel_is_set(media->cancel)) return 1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > media->deadline.tv_sec
        || (now.tv_sec == media->deadline.tv_sec && now.tv_nsec >= media->deadline.tv_nsec);
}

static void ap_write_message(char *message, size_t size, const char *prefix, int error) {
    char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(error, reason, sizeof(reason));
    snprintf(message, size, "%s: %s", prefix, reason);
}

static ap_media_status ap_status_for(int error, const ap_media *media) {
    if (media && ap_deadline_passed((void *) media)) return AP_MEDIA_TIMEOUT;
    if (error == AVERROR_EXIT) return AP_MEDIA_TIMEOUT;
    if (error == AVERROR(ENOENT) || error == AVERROR(EACCES) || error == AVERROR(EISDIR)
        || error == AVERROR(ELOOP) || error == AVERROR(EIO) || error == AVERROR(EPERM)) return AP_MEDIA_UNREADABLE;
    if (error == AVERROR(ENOMEM)) return AP_MEDIA_FAILED;
    return AP_MEDIA_CORRUPT;
}

ap_media *ap_media_open(const char *path, const char *format_whitelist, double timeout_seconds,
                        ap_media_status *status, char *message, size_t message_size) {
    av_log_set_level(AV_LOG_QUIET);
    ap_media *media = calloc(1, sizeof(ap_media));
    if (!media) { *status = AP_MEDIA_FAILED; snprintf(message, message_size, "out of memory"); return NULL; }
    clock_gettime(CLOCK_MONOTONIC, &media->deadline);
    media->deadline.tv_sec += (time_t) timeout_seconds;
    media->deadline.tv_nsec += (long) ((timeout_seconds - (double) (time_t) timeout_seconds) * 1e9);
    if (media->deadline.tv_nsec >= 1000000000L) { media->deadline.tv_sec += 1; media->deadline.tv_nsec -= 1000000000L; }

    media->cancel = ap_cancel_current();
    ap_cancel_ref(media->cancel);

    media->format = avformat_alloc_context();
    if (!media->format) { ap_cancel_unref(media->cancel); free(media); *status = AP_MEDIA_FAILED; snprintf(message, message_size, "out of memory"); return NULL; }
    media->format->interrupt_callback.callback = ap_deadline_passed;
    media->format->interrupt_callback.opaque = media;

    AVDictionary *options = NULL;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    av_dict_set(&options, "format_whitelist", format_whitelist, 0);
    av_dict_set(&options, "probesize", "5000000", 0);        // bytes
    av_dict_set(&options, "analyzeduration", "5000000", 0);  // microseconds
    // "file:" so that a name with a colon is never read as another protocol.
    size_t length = strlen(path) + 6;
    char *url = malloc(length);
    if (!url) { av_dict_free(&options); avformat_free_context(media->format); ap_cancel_unref(media->cancel); free(media); *status = AP_MEDIA_FAILED; return NULL; }
    snprintf(url, length, "file:%s", path);
    int error = avformat_open_input(&media->format, url, NULL, &options);
    free(url);
    av_dict_free(&options);
    if (error < 0) {
        // A probe that found a demuxer outside the whitelist (an HLS or concat
        // playlist, ...) fails with EINVAL. INVALIDDATA (no demuxer, or a
        // header it cannot read, such as a missing moov atom) is corrupt: the
        // caller only opens files whose bytes already look like media.
        *status = error == AVERROR(EINVAL) ? AP_MEDIA_UNSUPPORTED : ap_status_for(error, media);
        ap_write_message(message, message_size, *status == AP_MEDIA_UNSUPPORTED ? "not an accepted media container" : "cannot open", error);
        // avformat_open_input frees the context on failure.
        ap_cancel_unref(media->cancel);
        free(media);
        return NULL;
    }
    error = avformat_find_stream_info(media->format, NULL);
    if (error < 0) {
        *status = ap_status_for(error, media);
        ap_write_message(message, message_size, "cannot read the stream information", error);
        ap_media_close(media);
        return NULL;
    }
    media->file_size = media->format->pb ? avio_size(media->format->pb) : -1;
    *status = AP_MEDIA_OK;
    return media;
}

static int ap_rotation(const AVStream *stream) {
    const uint8_t *matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix) return 0;
    // av_display_rotation_get gives degrees counter-clockwise; upright needs the opposite turn.
    double degrees = -av_display_rotation_get((const int32_t *) matrix);
    if (degrees != degrees) return 0; // NaN: a degenerate matrix
    int rounded = (int) (degrees < 0 ? degrees - 0.5 : degrees + 0.5);
    rounded = ((rounded % 360) + 360) % 360;
    return (rounded + 45) / 90 * 90 % 360;
}

/// Containers without a trustworthy index (AVI cut before its idx1, WebM,
/// ...) still announce their full length in the header after being cut.
/// Reading the packets of the last half second shows where the data really
/// ends; if that is well short of what the header announces, the file is
/// truncated. Demuxing only (no decoding), from the last keyframe on: cheap.
/// Two announcements are checked: the container's duration against the end
/// of all streams together (streams may differ in length), and the main
/// stream's own duration or frame count against the end of that stream.
static ap_media_status ap_check_ending(ap_media *media, const ap_media_info *info, char *message, size_t message_size) {
    AVFormatContext *format = media->format;
    if (info->duration <= 0 || info->duration_estimated) return AP_MEDIA_OK;
    int index = av_find_best_stream(format, info->has_video ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (index < 0) return AP_MEDIA_OK;
    AVStream *stream = format->streams[index];
    double format_start = format->start_time != AV_NOPTS_VALUE ? format->start_time / (double) AV_TIME_BASE : 0;
    double stream_start = stream->start_time != AV_NOPTS_VALUE ? stream->start_time * av_q2d(stream->time_base) : format_start;

    double stream_claim = stream->duration != AV_NOPTS_VALUE && stream->duration > 0 ? stream->duration * av_q2d(stream->time_base) : 0;
    if (stream->nb_frames > 0 && info->fps_num > 0 && info->fps_den > 0 && info->has_video) {
        double counted = stream->nb_frames * (double) info->fps_den / info->fps_num;
        if (counted > stream_claim) stream_claim = counted;
    }

    double from = info->duration - 0.5 > 0 ? info->duration - 0.5 : 0;
    int64_t target = (int64_t) ((stream_start + from) / av_q2d(stream->time_base));
    if (av_seek_frame(format, index, target, AVSEEK_FLAG_BACKWARD) < 0
        && av_seek_frame(format, index, stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0, AVSEEK_FLAG_BACKWARD) < 0) {
        return AP_MEDIA_OK; // cannot position: no evidence either way
    }
    AVPacket *packet = av_packet_alloc();
    if (!packet) return AP_MEDIA_OK;
    double end_of_all = -1, end_of_stream = -1;
    for (int packets = 0; packets < 100000 && av_read_frame(format, packet) >= 0; packets++) {
        const AVStream *owner = format->streams[packet->stream_index];
        int64_t stamp = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
        if (stamp != AV_NOPTS_VALUE) {
            double packet_end = (stamp + (packet->duration > 0 ? packet->duration : 0)) * av_q2d(owner->time_base);
            if (packet_end - format_start > end_of_all) end_of_all = packet_end - format_start;
            if (packet->stream_index == index && packet_end - stream_start > end_of_stream) end_of_stream = packet_end - stream_start;
        }
        av_packet_unref(packet);
    }
    av_packet_free(&packet);
    if (ap_deadline_passed(media)) {
        snprintf(message, message_size, "gave up reading the end of the file after the time limit");
        return AP_MEDIA_TIMEOUT;
    }
    double claim = info->duration, end = end_of_all;
    if (stream_claim > 0 && end_of_stream >= 0 && stream_claim - end_of_stream > claim - end_of_all) {
        claim = stream_claim;
        end = end_of_stream;
    }
    double tolerance = claim * 0.05 > 0.1 ? claim * 0.05 : 0.1;
    if (end >= 0 && end + tolerance < claim) {
        snprintf(message, message_size, "the file is truncated: its data ends at %.3f s of the %.3f s its header announces",
                 end, claim);
        return AP_MEDIA_CORRUPT;
    }
    return AP_MEDIA_OK;
}

ap_media_status ap_media_describe(ap_media *media, ap_media_info *info, char *message, size_t message_size) {
    memset(info, 0, sizeof(*info));
    AVFormatContext *format = media->format;
    snprintf(info->container, sizeof(info->container), "%s", format->iformat->name);
    info->bit_rate = format->bit_rate;
    info->duration = -1;
    if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
        info->duration = format->duration / (double) AV_TIME_BASE;
    } else {
        // No container duration: the longest stream's.
        for (unsigned i = 0; i < format->nb_streams; i++) {
            const AVStream *stream = format->streams[i];
            if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
                double seconds = stream->duration * av_q2d(stream->time_base);
                if (seconds > info->duration) info->duration = seconds;
            }
        }
    }
    info->duration_estimated = format->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;

    int video = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    // Cover art is a video stream of one picture, not a video.
    if (video >= 0 && (format->streams[video]->disposition & AV_DISPOSITION_ATTACHED_PIC)) video = -1;
    if (video >= 0) {
        const AVStream *stream = format->streams[video];
        const AVCodecParameters *codec = stream->codecpar;
        info->has_video = 1;
        snprintf(info->video_codec, sizeof(info->video_codec), "%s", avcodec_get_name(codec->codec_id));
        info->width = codec->width;
        info->height = codec->height;
        info->rotation = ap_rotation(stream);
        AVRational rate = stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
        info->fps_num = rate.num;
        info->fps_den = rate.den;
        info->frame_count = stream->nb_frames;
    }
    int audio = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (audio >= 0) {
        const AVCodecParameters *codec = format->streams[audio]->codecpar;
        info->has_audio = 1;
        snprintf(info->audio_codec, sizeof(info->audio_codec), "%s", avcodec_get_name(codec->codec_id));
        info->channels = codec->ch_layout.nb_channels;
        info->sample_rate = codec->sample_rate;
    }

    // The index says where every sample lives; one past the end of the file
    // means the file was cut short after its header was written.
    if (media->file_size > 0) {
        for (unsigned i = 0; i < format->nb_streams; i++) {
            AVStream *stream = format->streams[i];
            int entries = avformat_index_get_entries_count(stream);
            if (entries <= 0) continue;
            const AVIndexEntry *last = avformat_index_get_entry(stream, entries - 1);
            if (last && last->pos + last->size > media->file_size) {
                snprintf(message, message_size, "the file is truncated: stream %u's last sample ends at byte %lld of %lld",
                         i, (long long) (last->pos + last->size), (long long) media->file_size);
                return AP_MEDIA_CORRUPT;
            }
        }
    }
    return ap_check_ending(media, info, message, message_size);
}

/// Feeds the stream's packets from the current position to the decoder
/// until it gives a picture: 0 with `frame` filled, or a negative AVERROR.
/// A damaged packet is skipped; bounded, so an undecodable stream ends.
static int ap_decode_first_frame(AVFormatContext *format, AVCodecContext *context, int index,
                                 AVPacket *packet, AVFrame *frame) {
    int draining = 0;
    for (int packets = 0; packets < 2000; ) {
        if (!draining) {
            int error = av_read_frame(format, packet);
            if (error < 0) {
                avcodec_send_packet(context, NULL); // end of data: let the decoder give what it holds
                draining = 1;
            } else if (packet->stream_index != index) {
                av_packet_unref(packet);
                continue;
            } else {
                packets++;
                int sent = avcodec_send_packet(context, packet);
                av_packet_unref(packet);
                if (sent < 0 && sent != AVERROR(EAGAIN) && sent != AVERROR_INVALIDDATA) return sent;
            }
        }
        int received = avcodec_receive_frame(context, frame);
        if (received == 0) return 0;
        if (received != AVERROR(EAGAIN)) return received;
        if (draining) return AVERROR_EOF;
    }
    return AVERROR_INVALIDDATA;
}

ap_media_status ap_media_decode_frame(ap_media *media, double seconds, int max_side,
                                      uint8_t **pixels, int *width, int *height,
                                      char *message, size_t message_size) {
    AVFormatContext *format = media->format;
    *pixels = NULL;
    const AVCodec *decoder = NULL;
    int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (index < 0 || !decoder) {
        snprintf(message, message_size, "no decodable video stream");
        return index < 0 ? AP_MEDIA_UNSUPPORTED : AP_MEDIA_CORRUPT;
    }
    AVStream *stream = format->streams[index];
    AVCodecContext *context = avcodec_alloc_context3(decoder);
    AVPacket *packet = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    struct SwsContext *scaler = NULL;
    ap_media_status status = AP_MEDIA_FAILED;
    int error = 0;
    if (!context || !packet || !frame) { snprintf(message, message_size, "out of memory"); goto done; }
    if ((error = avcodec_parameters_to_context(context, stream->codecpar)) < 0
        || (context->thread_count = 1, error = avcodec_open2(context, decoder, NULL)) < 0) {
        status = ap_status_for(error, media);
        ap_write_message(message, message_size, "cannot open the video decoder", error);
        goto done;
    }
    // Always seek: describing the file may have read up to its end.
    int64_t start = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
    int64_t target = start + av_rescale_q((int64_t) (seconds * AV_TIME_BASE), AV_TIME_BASE_Q, stream->time_base);
    if (av_seek_frame(format, index, target, AVSEEK_FLAG_BACKWARD) < 0
        && av_seek_frame(format, index, start, AVSEEK_FLAG_BACKWARD) < 0) {
        // Some demuxers (MPEG-TS near its start) refuse timestamp seeks: rewind the bytes.
        avio_seek(format->pb, 0, SEEK_SET);
        avformat_flush(format);
    }
    error = ap_decode_first_frame(format, context, index, packet, frame);
    if (error < 0 && !ap_deadline_passed(media)) {
        // The seek may have landed past the only keyframe (MPEG-TS seeks by
        // timestamp, not to keyframes): try once more from the very start.
        avcodec_flush_buffers(context);
        if (av_seek_frame(format, -1, 0, AVSEEK_FLAG_BYTE) < 0) {
            av_seek_frame(format, index, start, AVSEEK_FLAG_BACKWARD);
        }
        error = ap_decode_first_frame(format, context, index, packet, frame);
    }
    if (error < 0) {
        status = ap_status_for(error == AVERROR_EOF ? AVERROR_INVALIDDATA : error, media);
        ap_write_message(message, message_size, "no video frame could be decoded", error);
        goto done;
    }
    int source_width = frame->width, source_height = frame->height;
    double scale = 1.0;
    int longest = source_width > source_height ? source_width : source_height;
    if (max_side > 0 && longest > max_side) scale = (double) max_side / longest;
    *width = (int) (source_width * scale + 0.5); if (*width < 1) *width = 1;
    *height = (int) (source_height * scale + 0.5); if (*height < 1) *height = 1;
    scaler = sws_getContext(source_width, source_height, frame->format, *width, *height, AV_PIX_FMT_RGB24,
                            SWS_AREA, NULL, NULL, NULL);
    *pixels = malloc((size_t) *width * (size_t) *height * 3);
    if (!scaler || !*pixels) {
        snprintf(message, message_size, "cannot convert the frame to RGB");
        free(*pixels); *pixels = NULL;
        goto done;
    }
    uint8_t *planes[4] = { *pixels, NULL, NULL, NULL };
    int strides[4] = { *width * 3, 0, 0, 0 };
    sws_scale(scaler, (const uint8_t * const *) frame->data, frame->linesize, 0, source_height, planes, strides);
    status = AP_MEDIA_OK;
done:
    sws_freeContext(scaler);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&context);
    return status;
}

void ap_media_close(ap_media *media) {
    if (!media) return;
    avformat_close_input(&media->format);
    ap_cancel_unref(media->cancel);
    free(media);
}
