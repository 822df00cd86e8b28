import AssetEdits
import AssetPipeline
import AssetUploads
import Foundation

/// How `assetpipe serve` behaves; every field has a flag and an
/// `ASSETPIPE_*` variable in the command.
public struct ServerSettings: Sendable {
    /// Where the render cache lives and how big it may grow.
    public var cacheDirectory: String
    public var cacheMaxBytes = 1 << 30
    /// `Cache-Control` of rendered images and renditions. A render URL shows
    /// the asset's current version, so it is not immutable; the ETag
    /// (version and parameters) makes revalidation a 304.
    public var cacheControl = "public, max-age=3600"
    /// How long the render route trusts an asset record it read: a new
    /// version shows in renders at most this late.
    public var recordLifetime: Duration = .seconds(1)
    /// When set, render URLs need a valid `s`, and records, renditions and
    /// jobs need `s` or the token.
    public var signer: URLSigner?
    /// When set, writes (`POST`) need `Authorization: Bearer TOKEN`; without
    /// tokens, writes are refused unless `insecure`.
    public var tokens: APITokens?
    /// Takes writes without a token (`--insecure`): for a trusted network only.
    public var insecure = false
    /// Folders whose files HTTP clients may have catalogued; none by default.
    public var originRoots = OriginRoots.none
    /// Host names (lowercased, no port) the server answers for; nil: any.
    public var allowedHosts: Set<String>?
    /// Renders at once, and how long a request waits for a turn before a 503.
    public var renderConcurrency = ProcessInfo.processInfo.activeProcessorCount
    public var renderQueueWait: Duration = .seconds(5)
    /// A render taking longer is stopped and answered with 503.
    public var renderTimeout: Duration = .seconds(30)
    public var limits = RenderLimits()
    /// Render from a stored rendition (the default pipeline's 1024 px
    /// `preview`) instead of the original when it has all the pixels the
    /// output needs: a small render then skips decoding a large original.
    public var renderFromRenditions = true
    /// Reads originals that are objects (`s3://`) for renders; without one,
    /// rendering such an asset from its original is refused.
    public var originFetcher: (any OriginFetcher)?
    /// Where `POST /v1/uploads` puts files; nil: uploads are refused.
    public var uploads: UploadArea?
    /// The source whose location is the upload area, shown in answers.
    public var uploadSource: String?
    /// Largest upload, in bytes: 5 GB (S3's largest single PUT) by default.
    public var uploadLimit: Int64 = 5_000_000_000

    public init(cacheDirectory: String) {
        self.cacheDirectory = cacheDirectory
    }
}
