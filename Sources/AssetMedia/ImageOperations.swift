import CLibVips
import CVips

/// The in-memory operations derivatives are made with. Each returns a new
/// image and leaves the receiver as it was, so several derivatives can be
/// made from one decode.
extension Image {
    /// Resized to exactly `width` × `height`.
    public func resized(width: Int, height: Int) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_resize_to(pointer, Int32(clamping: width), Int32(clamping: height)), "resize")
    }

    /// Scaled down so the long side is at most `longSide`; never enlarged.
    public func fitted(within longSide: Int) throws(MediaError) -> Image {
        let long = max(width, height)
        guard long > longSide else { return self }
        let scale = Double(longSide) / Double(long)
        return try resized(width: max(1, Int((Double(width) * scale).rounded())),
                           height: max(1, Int((Double(height) * scale).rounded())))
    }

    /// Turned clockwise by a multiple of 90 degrees.
    public func rotated(by degrees: Int) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_rotate(pointer, Int32(clamping: degrees)), "rotate")
    }

    /// Every `x`-th pixel of every `y`-th row, unblended.
    public func subsampled(x: Int, y: Int) throws(MediaError) -> Image {
        if x <= 1 && y <= 1 { return self }
        return try Image.wrap(ap_vips_subsample(pointer, Int32(clamping: max(1, x)), Int32(clamping: max(1, y))), "subsample")
    }

    /// Each pixel repeated into an `x` × `y` block (nearest neighbour).
    public func zoomed(x: Int, y: Int) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_zoom(pointer, Int32(clamping: x), Int32(clamping: y)), "zoom")
    }

    /// In 8-bit sRGB (grey, CMYK, 16-bit and Lab images are converted; alpha kept).
    public func inSRGB() throws(MediaError) -> Image {
        if interpretation == "srgb", vips_image_get_format(pointer) == VIPS_FORMAT_UCHAR { return self }
        return try Image.wrap(ap_vips_colourspace(pointer, VIPS_INTERPRETATION_sRGB), "convert to sRGB")
    }

    /// The alpha band blended onto `background` (8-bit RGB); the receiver when there is no alpha.
    public func flattened(onto background: RGBColor) throws(MediaError) -> Image {
        guard hasAlpha else { return self }
        return try Image.wrap(ap_vips_flatten(pointer, Double(background.red), Double(background.green), Double(background.blue)), "flatten")
    }

    /// Computed now, into memory: later operations read pixels instead of
    /// recomputing them, and the computation is stoppable tile by tile.
    public func inMemory() throws(MediaError) -> Image {
        try Image.wrap(vips_image_copy_memory(pointer), "compute into memory")
    }

    /// The pixels, band-interleaved, row by row: 8-bit images only.
    public func pixelBytes() throws(MediaError) -> [UInt8] {
        guard vips_image_get_format(pointer) == VIPS_FORMAT_UCHAR else {
            throw MediaError(.library, "pixelBytes needs an 8-bit image")
        }
        var length = 0
        guard let memory = vips_image_write_to_memory(pointer, &length) else {
            if let stopped = MediaError.stoppedByCancellation() { throw stopped }
            throw MediaError(.library, "cannot read pixels: \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        defer { g_free(memory) }
        return Array(UnsafeRawBufferPointer(start: memory, count: length))
    }

    static func wrap(_ pointer: UnsafeMutablePointer<VipsImage>?, _ operation: String) throws(MediaError) -> Image {
        guard let pointer else {
            if let stopped = MediaError.stoppedByCancellation() { throw stopped }
            throw MediaError(.library, "\(operation) failed: \(VipsRuntime.takeError() ?? "unknown libvips error")")
        }
        return Image(taking: pointer)
    }
}

/// An 8-bit sRGB colour.
public struct RGBColor: Sendable, Equatable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses "#rrggbb" or "rrggbb".
    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? hex.dropFirst() : Substring(hex)
        // ASCII hex digits only: UInt32(radix:) would also take a sign.
        guard digits.count == 6, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let value = UInt32(digits, radix: 16) else { return nil }
        self.init(red: UInt8(value >> 16), green: UInt8((value >> 8) & 0xFF), blue: UInt8(value & 0xFF))
    }

    /// "#rrggbb", lowercase.
    public var hex: String {
        "#" + [red, green, blue].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
