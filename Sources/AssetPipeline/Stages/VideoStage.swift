import AssetMedia

/// Video and audio: probed in-process with libavformat (container, duration,
/// codecs, size as displayed, frame rate), then validated: a video needs a
/// video stream and at least `min_duration` seconds. A file with only audio
/// is an `audio` asset, not a failed video.
public struct VideoStage: PipelineStage {
    public static let name = "video"
    public static let summary = "video and audio: probed in-process with libavformat"

    public struct Settings: StageSettings {
        /// Seconds; shorter videos end `too_short`. Exactly this long passes.
        public var minDuration: Double
        /// Seconds allowed for opening, probing and decoding the poster of one file.
        public var timeout: Double

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            minDuration = try section.number("min_duration", range: 0...3600, unit: "a number of seconds", default: 0.5)
            timeout = try section.number("timeout", range: 0.1...3600, unit: "a number of seconds", default: 30)
        }
    }

    let settings: Settings

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
    }

    static let playlistTypes: Set<String> = ["application/vnd.apple.mpegurl", "application/x-ffconcat"]

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard context.record.kind == .video || context.record.kind == .audio else { return }
        if let mime = context.record.mime, Self.playlistTypes.contains(mime) {
            // Refused before FFmpeg sees it; FFmpeg's container whitelist would refuse it too.
            throw AssetError(.unsupportedFormat, "a playlist (\(mime)) names other files or URLs to play; playlists are not accepted, upload the media itself")
        }
        let media: MediaFile
        let streams: MediaStreams
        do {
            // Through our descriptor: the very file that was sniffed and hashed,
            // even if its name changed since.
            media = try MediaFile(SourceFile(path: "/proc/self/fd/\(context.file.descriptor)"),
                                  displayPath: context.source.displayPath, timeout: settings.timeout)
            streams = try media.describe()
        } catch {
            throw AssetError(error)
        }

        if let video = streams.video {
            context.record.kind = .video
            context.record.width = video.width
            context.record.height = video.height
            context.record.video = VideoInfo(streams, video)
            context.media = media
            context.streams = streams
            guard let duration = streams.duration else {
                throw AssetError(.corrupt, "the video's duration cannot be determined from its container or streams")
            }
            // Milliseconds, as ffprobe and people compare them: 0.5 s exactly passes.
            if (duration * 1000).rounded() < (settings.minDuration * 1000).rounded() {
                throw AssetError(.tooShort, String(format: "the video lasts %.3f s; videos must last at least %.3f s (video.min_duration)", duration, settings.minDuration))
            }
        } else if let audio = streams.audio {
            context.record.kind = .audio
            if let mime = context.record.mime, mime.hasPrefix("video/") {
                context.record.mime = "audio/" + mime.dropFirst("video/".count)
            }
            context.record.audio = AudioInfo(streams, audio)
        } else {
            throw AssetError(.unsupportedFormat, "the \(streams.container) file has neither a video nor an audio stream")
        }
    }
}

extension AssetError {
    /// The reason a media-library failure means for an asset.
    init(_ error: MediaError) {
        switch error.kind {
        case .unreadable: self.init(.inaccessible, error.message)
        case .notRegularFile: self.init(.notRegularFile, error.message)
        case .corrupt: self.init(.corrupt, error.message)
        case .unsupported: self.init(.unsupportedFormat, error.message)
        case .timeout: self.init(.timeout, error.message)
        case .library: self.init(.internalError, error.message)
        }
    }
}
