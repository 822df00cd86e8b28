import CFFmpeg
import CVips
import Foundation

/// A video or audio file opened with libavformat, defensively: only the
/// containers in `acceptedContainers` (no playlist or concat demuxer that
/// would open other files or URLs), only the `file` protocol, bounded
/// probing, and a deadline that aborts any blocking call.
public final class MediaFile: @unchecked Sendable {
    private let handle: OpaquePointer
    public let displayPath: String

    /// libavformat demuxer names accepted. hls, concat, and every other
    /// demuxer that references further files are absent on purpose.
    public static let acceptedContainers = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,ogg,flv,mpeg,mp3,wav,flac,aac"

    /// Opens `source` and reads its stream information within `timeout`
    /// seconds; messages name the file as `displayPath`.
    public init(_ source: SourceFile, displayPath: String, timeout: Double) throws(MediaError) {
        self.displayPath = displayPath
        var status = AP_MEDIA_OK
        var message = [CChar](repeating: 0, count: 512)
        let path = source.pathBytes.map { CChar(bitPattern: $0) } + [0]
        guard let opened = ap_media_open(path, Self.acceptedContainers, timeout, &status, &message, message.count) else {
            throw Self.error(status, message, displayPath)
        }
        handle = opened
    }

    deinit {
        ap_media_close(handle)
    }

    /// The container, duration and streams, checked for truncation.
    public func describe() throws(MediaError) -> MediaStreams {
        var info = ap_media_info()
        var message = [CChar](repeating: 0, count: 512)
        let status = ap_media_describe(handle, &info, &message, message.count)
        guard status == AP_MEDIA_OK else { throw Self.error(status, message, displayPath) }
        var streams = MediaStreams(
            container: Self.text(info.container),
            duration: info.duration >= 0 ? info.duration : nil,
            durationEstimated: info.duration_estimated != 0,
            bitRate: info.bit_rate > 0 ? Int(info.bit_rate) : nil)
        if info.has_video != 0 {
            streams.video = VideoTrack(
                codec: Self.text(info.video_codec), storedWidth: Int(info.width), storedHeight: Int(info.height),
                rotation: Int(info.rotation),
                fps: info.fps_num > 0 && info.fps_den > 0 ? Double(info.fps_num) / Double(info.fps_den) : nil,
                frameCount: info.frame_count > 0 ? Int(info.frame_count) : nil)
        }
        if info.has_audio != 0 {
            streams.audio = AudioTrack(
                codec: Self.text(info.audio_codec),
                channels: info.channels > 0 ? Int(info.channels) : nil,
                sampleRate: info.sample_rate > 0 ? Int(info.sample_rate) : nil)
        }
        return streams
    }

    /// Decodes one frame near `seconds` (the keyframe at or before it), scaled
    /// to fit `maxSide` and turned upright by `rotation`, as a libvips image
    /// (the pixels are copied into it).
    public func frame(at seconds: Double, maxSide: Int, rotation: Int) throws(MediaError) -> Image {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = ap_media_decode_frame(handle, seconds, Int32(clamping: maxSide), &pixels, &width, &height, &message, message.count)
        guard status == AP_MEDIA_OK, let pixels else { throw Self.error(status, message, displayPath) }
        defer { free(pixels) }
        try VipsRuntime.start()
        guard let image = ap_vips_image_from_rgb(pixels, width, height) else {
            throw MediaError(.library, "cannot hand the frame to libvips: \(VipsRuntime.takeError() ?? "unknown error")")
        }
        let upright = Image(taking: image)
        return rotation == 0 ? upright : try upright.rotated(by: rotation)
    }

    private static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func error(_ status: ap_media_status, _ message: [CChar], _ path: String) -> MediaError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case AP_MEDIA_UNSUPPORTED: return MediaError(.unsupported, "\(text) (\(path))")
        case AP_MEDIA_CORRUPT: return MediaError(.corrupt, "\(text) (\(path))")
        case AP_MEDIA_UNREADABLE: return MediaError(.unreadable, "\(text) (\(path))")
        case AP_MEDIA_TIMEOUT: return MediaError(.timeout, "gave up after the time limit: \(text) (\(path))")
        default: return MediaError(.library, "\(text) (\(path))")
        }
    }
}

/// What a media file holds.
public struct MediaStreams: Sendable, Equatable {
    /// libavformat's demuxer name, as ffprobe prints it ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", ...).
    public var container: String
    /// Seconds: the container's, else the longest stream's.
    public var duration: Double?
    /// True when FFmpeg only estimated the duration from the bit rate.
    public var durationEstimated: Bool
    /// Bits per second.
    public var bitRate: Int?
    public var video: VideoTrack?
    public var audio: AudioTrack?
}

public struct VideoTrack: Sendable, Equatable {
    public var codec: String
    public var storedWidth: Int
    public var storedHeight: Int
    /// Degrees clockwise that turn the stored picture upright (from the display matrix).
    public var rotation: Int
    public var fps: Double?
    public var frameCount: Int?

    /// Width as displayed, after rotation.
    public var width: Int { rotation % 180 == 0 ? storedWidth : storedHeight }
    public var height: Int { rotation % 180 == 0 ? storedHeight : storedWidth }
}

public struct AudioTrack: Sendable, Equatable, Codable {
    public var codec: String
    public var channels: Int?
    public var sampleRate: Int?

    enum CodingKeys: String, CodingKey {
        case codec, channels
        case sampleRate = "sample_rate"
    }
}
