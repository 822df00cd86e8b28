import AssetMedia

/// A video's poster: one frame, decoded with libavcodec from the keyframe
/// at or before 10 % of the duration (at most 5 s in), scaled to the size the
/// derivative stages need and turned upright by the display matrix. It
/// becomes the decoded image, so thumbnails, palette and pixelated preview
/// are made exactly as for a photo. A video with no decodable frame is `corrupt`.
public struct PosterFrameStage: PipelineStage {
    public static let name = "poster"
    public static let prerequisites = ["video"]
    public static let summary = "videos: one frame, upright, which the derivative stages then use like a photo"
    let maxSize: Int

    public init(settings: NoSettings, pipeline: PipelineSettings) {
        maxSize = pipeline.decodeSize
    }

    static let position = 0.1
    static let latestSeconds = 5.0

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard let media = context.media, let video = context.streams?.video else { return }
        let seconds = min((context.streams?.duration ?? 0) * Self.position, Self.latestSeconds)
        do {
            context.decoded = try media.frame(at: seconds, maxSide: maxSize, rotation: video.rotation)
        } catch {
            throw AssetError(error.kind == .library ? MediaError(.corrupt, error.message) : error)
        }
    }
}
