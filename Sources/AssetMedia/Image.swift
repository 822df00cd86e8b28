import CLibVips
import CVips

/// A libvips image, owned: the reference is released when this value goes.
///
/// A `VipsImage` is immutable once made and libvips allows reading one from
/// several threads, hence `@unchecked Sendable`.
public final class Image: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<VipsImage>

    /// Takes over `pointer`'s reference. The image's computations stop
    /// when the thread's current `Cancellation` is cancelled.
    init(taking pointer: UnsafeMutablePointer<VipsImage>) {
        self.pointer = pointer
        ap_vips_watch(pointer)
    }

    deinit {
        g_object_unref(pointer)
    }

    /// Opens the image in `file` header-only: dimensions and metadata, no pixels.
    public static func openHeader(_ file: OpenedFile) throws(MediaError) -> Image {
        try VipsRuntime.start()
        guard let loader = ap_vips_loader_for_fd(file.descriptor) else {
            _ = VipsRuntime.takeError()
            throw MediaError(.unsupported, "no enabled image decoder accepts \(file.displayPath)")
        }
        if ap_vips_operation_is_blocked(loader) != 0 {
            throw MediaError(.unsupported, "the libvips loader for \(file.displayPath) (\(String(cString: loader))) is untrusted and blocked")
        }
        guard let image = ap_vips_open_header_fd(file.descriptor) else {
            throw MediaError(.corrupt, "cannot read the image header of \(file.displayPath): \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        return Image(taking: image)
    }

    /// How strictly decoding treats damage in the file.
    public enum DamagePolicy: String, Sendable, CaseIterable {
        /// Accept what decodes; a truncated file gives a partly grey image.
        case none
        /// Refuse truncated files.
        case truncated
        /// Refuse truncated files and decoder errors (the default).
        case error
        /// Refuse on any decoder warning, even ones common in camera files.
        case warning

        var vipsLevel: Int32 {
            switch self {
            case .none: return Int32(VIPS_FAIL_ON_NONE.rawValue)
            case .truncated: return Int32(VIPS_FAIL_ON_TRUNCATED.rawValue)
            case .error: return Int32(VIPS_FAIL_ON_ERROR.rawValue)
            case .warning: return Int32(VIPS_FAIL_ON_WARNING.rawValue)
            }
        }
    }

    /// Decodes the image in `file` once into memory, shrinking on load so
    /// that neither side exceeds `maxSize` (never upscaling), upright by its
    /// orientation unless `autorotate` is false. Animated and multi-page
    /// images give their first frame or page.
    public static func decode(_ file: OpenedFile, maxSize: Int, autorotate: Bool = true, damage: DamagePolicy = .error) throws(MediaError) -> Image {
        try VipsRuntime.start()
        DecodeCounter.current?.add()
        guard let image = ap_vips_decode_shrunk_fd(file.descriptor, Int32(clamping: maxSize), autorotate ? 0 : 1, damage.vipsLevel) else {
            if let stopped = MediaError.stoppedByCancellation() { throw stopped }
            throw MediaError(.corrupt, "cannot decode \(file.displayPath): \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        return Image(taking: image)
    }

    /// What `decode(_:maxSize:)` makes of a file holding these pixels
    /// losslessly, without decoding anything: the same shrink to `maxSize`,
    /// in memory, metadata dropped (an edit's render handed to the pipeline).
    public func shrunk(maxSize: Int) throws(MediaError) -> Image {
        guard let image = ap_vips_shrink_image(pointer, Int32(clamping: maxSize)) else {
            if let stopped = MediaError.stoppedByCancellation() { throw stopped }
            throw MediaError(.library, "cannot shrink the image: \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        return Image(taking: image)
    }

    /// Stored width in pixels (before any orientation is applied).
    public var width: Int { Int(vips_image_get_width(pointer)) }
    /// Stored height in pixels; for animated images, one frame's height times the frame count.
    public var height: Int { Int(vips_image_get_height(pointer)) }
    public var bands: Int { Int(vips_image_get_bands(pointer)) }
    public var hasAlpha: Bool { vips_image_hasalpha(pointer) != 0 }
    /// Frames of an animation or pages of a document; 1 for a still image.
    public var pageCount: Int { max(1, Int(vips_image_get_n_pages(pointer))) }
    /// The height of one page or frame.
    public var pageHeight: Int { Int(vips_image_get_page_height(pointer)) }
    /// EXIF orientation 1–8 as libvips read it; 1 when absent.
    public var orientation: Int {
        let value = Int(vips_image_get_orientation(pointer))
        return (1...8).contains(value) ? value : 1
    }

    /// Bits per sample: the file's declared depth when the loader reports it
    /// (a 1-bit PNG decodes to 8-bit bands), else the band format's width.
    public var bitDepth: Int {
        if let declared = int(named: "bits-per-sample"), declared > 0 {
            return declared
        }
        switch vips_image_get_format(pointer) {
        case VIPS_FORMAT_UCHAR, VIPS_FORMAT_CHAR: return 8
        case VIPS_FORMAT_USHORT, VIPS_FORMAT_SHORT: return 16
        case VIPS_FORMAT_UINT, VIPS_FORMAT_INT, VIPS_FORMAT_FLOAT, VIPS_FORMAT_COMPLEX: return 32
        default: return 64
        }
    }

    /// libvips's name for how the bands are meant ("srgb", "cmyk", "b-w", "rgb16", ...).
    public var interpretation: String {
        let value = vips_image_get_interpretation(pointer)
        guard let nick = vips_enum_nick(vips_interpretation_get_type(), Int32(value.rawValue)) else {
            return "multiband"
        }
        return String(cString: nick)
    }

    /// The loader that read this image, e.g. "jpegload_source".
    public var loader: String? { string(named: "vips-loader") }

    /// A copy of the named metadata blob ("exif-data", "icc-profile-data", "xmp-data", "iptc-data").
    public func blob(named name: String) -> [UInt8]? {
        guard vips_image_get_typeof(pointer, name) != 0 else { return nil }
        var data: UnsafeRawPointer?
        var length = 0
        guard vips_image_get_blob(pointer, name, &data, &length) == 0, let data, length > 0 else {
            _ = VipsRuntime.takeError()
            return nil
        }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    public func int(named name: String) -> Int? {
        guard vips_image_get_typeof(pointer, name) != 0 else { return nil }
        var value: Int32 = 0
        guard vips_image_get_int(pointer, name, &value) == 0 else {
            _ = VipsRuntime.takeError()
            return nil
        }
        return Int(value)
    }

    public func string(named name: String) -> String? {
        guard vips_image_get_typeof(pointer, name) != 0 else { return nil }
        var value: UnsafePointer<CChar>?
        guard vips_image_get_string(pointer, name, &value) == 0, let value else {
            _ = VipsRuntime.takeError()
            return nil
        }
        return String(cString: value)
    }
}
