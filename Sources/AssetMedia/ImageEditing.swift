import CLibVips
import CVips
import Synchronization

/// The operations edits are made of: crops, flips, blurs, canvases, text and
/// overlays. Like the others, each returns a new image.
extension Image {
    /// The `width` × `height` area whose top-left corner is at `x`, `y`.
    public func cropped(x: Int, y: Int, width: Int, height: Int) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_extract_area(pointer, Int32(clamping: x), Int32(clamping: y), Int32(clamping: width), Int32(clamping: height)), "crop")
    }

    /// What libvips's smartcrop finds worth keeping in a crop of this size.
    public enum Interest: Sendable {
        /// The area with the most detail.
        case entropy
        /// Skin tones, saturated colour and edges.
        case attention
    }

    /// A `width` × `height` crop placed where `interest` says.
    public func smartCropped(width: Int, height: Int, interest: Interest) throws(MediaError) -> Image {
        let interesting = interest == .entropy ? VIPS_INTERESTING_ENTROPY : VIPS_INTERESTING_ATTENTION
        return try Image.wrap(ap_vips_smartcrop(pointer, Int32(clamping: width), Int32(clamping: height), interesting), "smartcrop")
    }

    /// Mirrored left-right (`horizontal`) or top-bottom.
    public func flipped(horizontal: Bool) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_flip(pointer, horizontal ? 1 : 0), "flip")
    }

    public func blurred(sigma: Double) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_gaussblur(pointer, sigma), "blur")
    }

    /// Placed at `x`, `y` on a `width` × `height` canvas of `background`
    /// (with its alpha when the image has an alpha band).
    public func placed(onCanvas width: Int, _ height: Int, x: Int, y: Int, background: RGBAColor) throws(MediaError) -> Image {
        var fill = [Double(background.red), Double(background.green), Double(background.blue)]
        if bands == 1 || bands == 2 { fill = [Double(background.red)] }
        if hasAlpha { fill.append(Double(background.alpha)) }
        return try Image.wrap(ap_vips_embed(pointer, Int32(clamping: x), Int32(clamping: y), Int32(clamping: width), Int32(clamping: height), fill, Int32(clamping: fill.count)),
                              "embed")
    }

    /// `overlay` drawn over this image with its top-left at `x`, `y`,
    /// respecting its alpha; the result has an alpha band.
    public func composited(with overlay: Image, x: Int, y: Int) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_composite_over(pointer, overlay.pointer, Int32(clamping: x), Int32(clamping: y)), "composite")
    }

    /// With its alpha (opaque when there was none) multiplied by `opacity`, 0–1.
    public func withOpacity(_ opacity: Double) throws(MediaError) -> Image {
        try Image.wrap(ap_vips_scale_alpha(pointer, opacity), "scale alpha")
    }

    /// Without its alpha band (not blended: for images known to be opaque).
    public func withoutAlpha() throws(MediaError) -> Image {
        try Image.wrap(ap_vips_drop_alpha(pointer), "drop alpha")
    }

    /// `text` in `color`, set by Pango in `font` at `size` pixels, wrapped at
    /// `maxWidth` pixels: an sRGB image with alpha, transparent around the glyphs.
    /// The text is plain: `<`, `&` and quotes are shown, never read as
    /// Pango markup (whose `<span font=...>` would escape the size limit).
    public static func text(_ text: String, font: String, size: Int, color: RGBAColor, maxWidth: Int) throws(MediaError) -> Image {
        try VipsRuntime.start()
        // Pango's font description: family and style, then the size.
        let description = "\(font) \(size)"
        let plain = escapedMarkup(text)
        let mask = try textLock.withLock { _ throws(MediaError) in
            try Image.wrap(ap_vips_text(plain, description, Int32(clamping: maxWidth)), "render text")
        }
        return try Image.wrap(ap_vips_colorize_mask(mask.pointer, Double(color.red), Double(color.green), Double(color.blue),
                                                    Double(color.alpha)), "colour text")
    }

    /// `text` with Pango markup's five special characters as entities.
    static func escapedMarkup(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// libvips 8.14.1's vips_text shares one Pango font map between threads
    /// without a lock (fixed in 8.15): text is rendered one at a time.
    private static let textLock = Mutex(())
}

/// An 8-bit sRGB colour with alpha (255 opaque).
public struct RGBAColor: Sendable, Equatable, Hashable {
    public var red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    public var rgb: RGBColor { RGBColor(red: red, green: green, blue: blue) }
}
