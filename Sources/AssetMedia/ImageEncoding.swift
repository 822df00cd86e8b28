import CLibVips
import CVips

/// The file formats renditions are written in, with their settings.
public enum EncodedFormat: String, Sendable, CaseIterable, Codable {
    case webp, jpeg, png, avif

    public var fileExtension: String {
        switch self {
        case .webp: return "webp"
        case .jpeg: return "jpg"
        case .png: return "png"
        case .avif: return "avif"
        }
    }

    public var mimeType: String {
        switch self {
        case .webp: return "image/webp"
        case .jpeg: return "image/jpeg"
        case .png: return "image/png"
        case .avif: return "image/avif"
        }
    }

    /// Whether the format can carry an alpha band.
    public var carriesAlpha: Bool { self != .jpeg }
}

extension Image {
    /// Encodes to `format` in memory, without any metadata. `quality` is
    /// 1–100 for the lossy formats and ignored for PNG.
    public func encoded(as format: EncodedFormat, quality: Int) throws(MediaError) -> [UInt8] {
        var length = 0
        let buffer: UnsafeMutableRawPointer?
        switch format {
        // Effort 4 is libvips's default: the same setting vipsthumbnail uses.
        case .webp: buffer = ap_vips_webpsave(pointer, Int32(clamping: quality), 4, &length)
        case .jpeg: buffer = ap_vips_jpegsave(pointer, Int32(clamping: quality), &length)
        case .png: buffer = ap_vips_pngsave(pointer, 6, &length)
        case .avif: buffer = ap_vips_avifsave(pointer, Int32(clamping: quality), 4, &length)
        }
        guard let buffer else {
            if let stopped = MediaError.stoppedByCancellation() { throw stopped }
            throw MediaError(.library, "cannot encode \(format.rawValue): \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        defer { g_free(buffer) }
        let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: length))
        return format == .webp ? WebPMetadata.removingMetadata(bytes) : bytes
    }

    /// Lossless WebP without metadata: every pixel kept, as PNG keeps them.
    public func encodedLosslessWebP() throws(MediaError) -> [UInt8] {
        var length = 0
        guard let buffer = ap_vips_webpsave_lossless(pointer, 4, &length) else {
            if let stopped = MediaError.stoppedByCancellation() { throw stopped }
            throw MediaError(.library, "cannot encode lossless webp: \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        defer { g_free(buffer) }
        return WebPMetadata.removingMetadata(Array(UnsafeRawBufferPointer(start: buffer, count: length)))
    }
}
