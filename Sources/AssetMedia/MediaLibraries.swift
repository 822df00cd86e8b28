import CLibAV
import CLibVips

/// The native libraries assetpipe runs on, for `--version` and bug reports.
public enum MediaLibraries {
    public static var versions: [(name: String, version: String)] {
        [
            ("libvips", VipsRuntime.version),
            ("libavformat", dottedVersion(avformat_version())),
            ("libavcodec", dottedVersion(avcodec_version())),
            ("libswscale", dottedVersion(swscale_version())),
        ]
    }

    /// FFmpeg packs versions as major << 16 | minor << 8 | micro.
    private static func dottedVersion(_ packed: UInt32) -> String {
        "\(packed >> 16).\((packed >> 8) & 0xFF).\(packed & 0xFF)"
    }
}
