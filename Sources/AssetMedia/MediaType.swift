/// What a file is, judged from its first bytes (magic numbers), never from its name.
public struct MediaType: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case image, video, audio, other
    }

    public let kind: Kind
    public let mime: String

    public init(kind: Kind, mime: String) {
        self.kind = kind
        self.mime = mime
    }

    /// How many leading bytes `sniff` wants to see.
    public static let sniffLength = 4096

    /// Identifies the bytes at the start of a file.
    public static func sniff(_ head: [UInt8]) -> MediaType {
        let bytes = ByteMatcher(head)
        if bytes.has([0xFF, 0xD8, 0xFF]) { return .init(kind: .image, mime: "image/jpeg") }
        if bytes.has([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .init(kind: .image, mime: "image/png") }
        if bytes.has("GIF87a") || bytes.has("GIF89a") { return .init(kind: .image, mime: "image/gif") }
        if bytes.has("RIFF") {
            switch bytes.ascii(8, 4) {
            case "WEBP": return .init(kind: .image, mime: "image/webp")
            case "AVI ": return .init(kind: .video, mime: "video/x-msvideo")
            case "WAVE": return .init(kind: .audio, mime: "audio/wav")
            default: break
            }
        }
        if bytes.has([0x49, 0x49, 0x2A, 0x00]) || bytes.has([0x4D, 0x4D, 0x00, 0x2A])
            || bytes.has([0x49, 0x49, 0x2B, 0x00]) || bytes.has([0x4D, 0x4D, 0x00, 0x2B]) {
            return .init(kind: .image, mime: "image/tiff")
        }
        if bytes.ascii(4, 4) == "ftyp", let type = isoMediaType(bytes) { return type }
        // Older QuickTime files start straight with an atom, without ftyp.
        if let atom = bytes.ascii(4, 4), ["moov", "mdat", "wide", "free", "skip", "pnot"].contains(atom) {
            return .init(kind: .video, mime: "video/quicktime")
        }
        if bytes.has([0xFF, 0x0A]) || bytes.has([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return .init(kind: .image, mime: "image/jxl") }
        if bytes.has("BM"), head.count >= 26 { return .init(kind: .image, mime: "image/bmp") }
        if bytes.has("8BPS") { return .init(kind: .image, mime: "image/vnd.adobe.photoshop") }
        if bytes.has([0x1A, 0x45, 0xDF, 0xA3]) {
            return bytes.contains("webm") ? .init(kind: .video, mime: "video/webm") : .init(kind: .video, mime: "video/x-matroska")
        }
        if head.count >= 377, head[0] == 0x47, head[188] == 0x47, head[376] == 0x47 { return .init(kind: .video, mime: "video/mp2t") }
        if bytes.has("OggS") {
            return bytes.contains("theora") ? .init(kind: .video, mime: "video/ogg") : .init(kind: .audio, mime: "audio/ogg")
        }
        if bytes.has("FLV") { return .init(kind: .video, mime: "video/x-flv") }
        if bytes.has([0x00, 0x00, 0x01, 0xBA]) { return .init(kind: .video, mime: "video/mpeg") }
        if bytes.has("fLaC") { return .init(kind: .audio, mime: "audio/flac") }
        if bytes.has("ID3") || (head.count >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 && head[1] & 0x06 != 0) {
            return .init(kind: .audio, mime: "audio/mpeg")
        }
        // Playlists name other files and URLs to play. They are refused later
        // (unsupported_format) without opening what they reference.
        if bytes.has("#EXTM3U") || bytes.has([0xEF, 0xBB, 0xBF] + Array("#EXTM3U".utf8)) {
            return .init(kind: .video, mime: "application/vnd.apple.mpegurl")
        }
        if bytes.has("ffconcat version") { return .init(kind: .video, mime: "application/x-ffconcat") }
        if bytes.has("%PDF-") { return .init(kind: .other, mime: "application/pdf") }
        if bytes.has([0x50, 0x4B, 0x03, 0x04]) || bytes.has([0x50, 0x4B, 0x05, 0x06]) { return .init(kind: .other, mime: "application/zip") }
        if bytes.has([0x1F, 0x8B]) { return .init(kind: .other, mime: "application/gzip") }
        if let text = String(validating: head.prefix(while: { $0 != 0 }), as: UTF8.self), !head.contains(0) {
            let start = text.drop { $0.isWhitespace }.prefix(512).lowercased()
            if start.hasPrefix("<svg") || (start.hasPrefix("<?xml") && text.contains("<svg")) {
                return .init(kind: .image, mime: "image/svg+xml")
            }
            return .init(kind: .other, mime: "text/plain")
        }
        return .init(kind: .other, mime: "application/octet-stream")
    }

    /// ISO base media files: the major brand, then the compatible brands, say which.
    private static func isoMediaType(_ bytes: ByteMatcher) -> MediaType? {
        let size = Int(BigEndianReader(bytes.head).uint32(at: 0) ?? 0)
        var brands = [bytes.ascii(8, 4) ?? ""]
        var offset = 16
        while offset + 4 <= min(size, bytes.head.count) {
            brands.append(bytes.ascii(offset, 4) ?? "")
            offset += 4
        }
        if brands.contains(where: { ["avif", "avis"].contains($0) }) { return .init(kind: .image, mime: "image/avif") }
        if brands.contains(where: { ["heic", "heix", "heim", "heis", "hevc", "hevx"].contains($0) }) { return .init(kind: .image, mime: "image/heic") }
        if brands.contains(where: { ["mif1", "msf1"].contains($0) }) { return .init(kind: .image, mime: "image/heif") }
        switch brands[0] {
        case "qt  ": return .init(kind: .video, mime: "video/quicktime")
        case "M4A ", "M4B ", "F4A ", "F4B ": return .init(kind: .audio, mime: "audio/mp4")
        case "3gp4", "3gp5", "3gp6", "3g2a", "3ge6": return .init(kind: .video, mime: "video/3gpp")
        default: return .init(kind: .video, mime: "video/mp4")
        }
    }

    /// The MIME types a file extension promises, for spotting names that lie.
    public static func mimeTypes(forExtension ext: String) -> Set<String>? {
        switch ext {
        case "jpg", "jpeg", "jpe", "jfif": return ["image/jpeg"]
        case "png": return ["image/png"]
        case "gif": return ["image/gif"]
        case "webp": return ["image/webp"]
        case "tif", "tiff": return ["image/tiff"]
        case "heic", "heif", "hif": return ["image/heic", "image/heif"]
        case "avif": return ["image/avif"]
        case "jxl": return ["image/jxl"]
        case "bmp": return ["image/bmp"]
        case "psd": return ["image/vnd.adobe.photoshop"]
        case "svg": return ["image/svg+xml"]
        case "mp4", "m4v": return ["video/mp4"]
        case "mov", "qt": return ["video/quicktime", "video/mp4"]
        case "webm": return ["video/webm", "video/x-matroska"]
        case "mkv": return ["video/x-matroska", "video/webm"]
        case "avi": return ["video/x-msvideo"]
        case "ts", "mts", "m2ts": return ["video/mp2t"]
        case "m3u8", "m3u": return ["application/vnd.apple.mpegurl"]
        case "ogv": return ["video/ogg"]
        case "m4a": return ["audio/mp4"]
        case "mp3": return ["audio/mpeg"]
        case "wav": return ["audio/wav"]
        case "flac": return ["audio/flac"]
        case "ogg", "oga", "opus": return ["audio/ogg", "video/ogg"]
        case "pdf": return ["application/pdf"]
        case "zip": return ["application/zip"]
        case "gz": return ["application/gzip"]
        case "txt", "md", "csv": return ["text/plain"]
        default: return nil
        }
    }
}

private struct ByteMatcher {
    let head: [UInt8]

    init(_ head: [UInt8]) { self.head = head }

    func has(_ prefix: [UInt8]) -> Bool { head.starts(with: prefix) }
    func has(_ prefix: String) -> Bool { head.starts(with: Array(prefix.utf8)) }

    func ascii(_ offset: Int, _ count: Int) -> String? {
        guard offset + count <= head.count else { return nil }
        return String(decoding: head[offset..<offset + count], as: UTF8.self)
    }

    func contains(_ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard head.count >= pattern.count else { return false }
        return (0...(head.count - pattern.count)).contains { head[$0..<$0 + pattern.count].elementsEqual(pattern) }
    }
}
