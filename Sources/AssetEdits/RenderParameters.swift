import AssetMedia
import Foundation

/// What a render request asks for: the edit vocabulary of
/// `GET /v1/assets/{id}/render` and of saved edits, parsed, checked and put
/// in one canonical form. Every field is optional; an absent one takes the
/// default documented beside it, which the renderer applies.
///
/// The vocabulary follows imgix and imgproxy where they agree (`w`, `h`,
/// `dpr`, `fit`, `rect`, `q`, `fm`, `txt-*`, `mark-*`).
public struct RenderParameters: Sendable, Equatable {
    /// Output width and height in CSS pixels, 1–8192 each; `dpr` multiplies them.
    public var width: Int?
    public var height: Int?
    /// Device pixel ratio, 0.5–4 (default 1).
    public var devicePixelRatio: Double?
    /// How the picture meets a box of `w` × `h` (default `contain`).
    public var fit: Fit?
    /// A crop of the source before anything else, in upright source pixels.
    public var rect: CropRect?
    /// Which part `cover` keeps (default `center`).
    public var gravity: Gravity?
    /// Clockwise quarter turns after the crop: 0, 90, 180 or 270.
    public var rotation: Int?
    public var flip: Flip?
    /// Gaussian blur sigma, 0.3–100.
    public var blur: Double?
    /// Pixelate: block size in output pixels, 2–256.
    public var pixelate: Int?
    /// Background for `pad` and for flattening transparency (default white).
    public var background: HexColor?
    /// Output format (default: JPEG, or PNG when the source has transparency).
    public var format: OutputFormat?
    /// Quality 1–100 for JPEG, WebP and AVIF (default 80).
    public var quality: Int?
    /// Text overlay, up to 500 characters.
    public var text: String?
    /// Pango font family and style, e.g. `sans bold` (default `sans`).
    public var textFont: String?
    /// Text height in output pixels, 4–512 (default 32).
    public var textSize: Int?
    /// Text colour with optional alpha, e.g. `ffffffcc` (default `000000`).
    public var textColor: HexColor?
    /// Where the text goes (default `bottom-right`).
    public var textAlign: Placement?
    /// Distance from the edges in output pixels, 0–1000 (default 10).
    public var textPad: Int?
    /// Image overlay: the id of an image asset.
    public var mark: String?
    /// Overlay width in output pixels, 1–8192 (default: its own width, at most the output's).
    public var markWidth: Int?
    /// Where the overlay goes (default `bottom-right`).
    public var markAlign: Placement?
    /// Overlay opacity in percent, 0–100 (default 100).
    public var markAlpha: Int?
    /// Distance from the edges in output pixels, 0–1000 (default 10).
    public var markPad: Int?

    public init() {}

    public enum Fit: String, Sendable, CaseIterable {
        /// Within the box, aspect kept (one side may be smaller).
        case contain
        /// Fills the box, aspect kept; the overflow is cropped by `gravity`.
        case cover
        /// Exactly the box; the aspect changes.
        case fill
        /// Within the box, then padded to it with `bg`.
        case pad
    }

    public enum Gravity: String, Sendable, CaseIterable {
        case center, north, south, east, west, northeast, northwest, southeast, southwest
        /// The part with the most detail (libvips smartcrop).
        case entropy
        /// The part most likely to draw the eye: skin tones, saturation, edges (libvips smartcrop).
        case attention
    }

    public enum Flip: String, Sendable, CaseIterable {
        case horizontal = "h", vertical = "v", both = "hv"
    }

    public enum OutputFormat: String, Sendable, CaseIterable {
        case jpeg, png, webp, avif
    }

    /// A corner, an edge's middle, or the centre.
    public enum Placement: String, Sendable, CaseIterable {
        case topLeft = "top-left", top, topRight = "top-right"
        case left, center, right
        case bottomLeft = "bottom-left", bottom, bottomRight = "bottom-right"
    }

    public struct CropRect: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    /// A colour of the vocabulary (`bg`, `txt-color`): 8-bit sRGB with alpha.
    public typealias HexColor = RGBAColor

    /// What `fm` asks for; by default JPEG, or PNG to keep a source's transparency.
    public func outputFormat(sourceHasAlpha: Bool) -> EncodedFormat {
        switch format {
        case .jpeg?: .jpeg
        case .png?: .png
        case .webp?: .webp
        case .avif?: .avif
        case nil: sourceHasAlpha ? .png : .jpeg
        }
    }
}

extension RGBAColor {
    /// `RRGGBB` or `RRGGBBAA`, with or without `#`; `RGB` and `RGBA` are
    /// accepted and expanded. Nil for anything else.
    init?(hex text: String) {
        var digits = Substring(text)
        if digits.hasPrefix("#") { digits.removeFirst() }
        guard [3, 4, 6, 8].contains(digits.utf8.count), HexDigits.isHex(digits) else { return nil }
        var expanded = digits.utf8.count <= 4 ? String(digits.flatMap { [$0, $0] }) : String(digits)
        if expanded.utf8.count == 6 { expanded += "ff" }
        guard let bytes = HexDigits.bytes(expanded), bytes.count == 4 else { return nil }
        self.init(red: bytes[0], green: bytes[1], blue: bytes[2], alpha: bytes[3])
    }

    /// Lowercase hex: six digits when opaque, eight otherwise.
    public var canonical: String {
        let rgb = String(format: "%02x%02x%02x", red, green, blue)
        return alpha == 255 ? rgb : rgb + String(format: "%02x", alpha)
    }
}
