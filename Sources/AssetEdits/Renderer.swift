import AssetMedia
import Foundation

/// Bounds on what one render may cost.
public struct RenderLimits: Sendable {
    /// Largest output side, in pixels, after `dpr`.
    public var maxOutputSide = 8192
    /// Largest output area, in pixels, after `dpr` (and padding).
    public var maxOutputPixels = 40_000_000
    /// Largest source the renderer decodes (the pipeline's `limits.max_pixels`).
    public var maxSourcePixels = 100_000_000
    /// Most work one render may take, in `RenderCost` units: about 6 s of
    /// one core at worst. A 4096 px WebP of a 24 MP photo costs about half
    /// of it; a full-size PNG of it is refused (JPEG or WebP it is not).
    public var maxWork = 6_000_000_000
    /// Largest text mask, in pixels: Pango renders it whole before any of
    /// it is composited, whatever part of it lands on the output.
    public var maxTextPixels = 16_000_000

    public init() {}
}

/// An encoded result, ready to send.
/// A render's pixels before encoding, and whether its source had alpha
/// (which decides the default format and whether the output keeps alpha).
public struct RenderedPicture: Sendable {
    /// Lazy: computed by whatever reads it first (an encoder, `inMemory()`).
    public var image: Image
    public var sourceHasAlpha: Bool
}

public struct RenderedImage: Sendable {
    public var bytes: [UInt8]
    public var format: EncodedFormat
    public var width: Int
    public var height: Int

    public var contentType: String { Self.contentType(of: format) }

    public static func contentType(of format: EncodedFormat) -> String { format.mimeType }
}

/// Why a render did not happen.
public enum RenderError: Error, Sendable, CustomStringConvertible {
    /// A parameter is valid alone but not for this source or these limits (HTTP 400).
    case parameter(EditParameterError)
    /// The source (or the mark) is not an image libvips decodes, or is damaged (HTTP 422).
    case unrenderable(String)
    /// The source has more pixels than the limit (HTTP 422).
    case tooLarge(String)
    /// The render would cost more than `RenderLimits.maxWork` (HTTP 422).
    case tooCostly(String)
    /// The render was stopped by its `Cancellation` (its time limit): HTTP 503.
    case stopped

    public var description: String {
        switch self {
        case .parameter(let error): error.description
        case .unrenderable(let message), .tooLarge(let message), .tooCostly(let message): message
        case .stopped: "the render was stopped before it finished"
        }
    }
}

/// Renders edits of an image with libvips, in a fixed order: crop (`rect`,
/// in upright source pixels), orient (`rot`, `flip`), resize (`w`, `h`,
/// `dpr`, `fit`, `gravity`, `bg`), filters (`blur`, `px`), overlays (`txt`,
/// `mark`), encode (`fm`, `q`). The source is decoded once, shrunk on load
/// to no more than the output needs, and turned upright by its EXIF
/// orientation; the output is sRGB and carries no metadata.
public struct Renderer: Sendable {
    public var limits: RenderLimits

    public init(limits: RenderLimits = RenderLimits()) {
        self.limits = limits
    }

    /// Renders `source` with `parameters`; `mark` is the file of the overlay
    /// asset `parameters.mark` names, resolved by the caller.
    ///
    /// `uprightSize`: the upright size of the image the parameters refer to,
    /// when the caller knows it (the catalog records it), which spares
    /// reading the header; nil reads it from `source`. When `source` is a
    /// smaller upright copy of that image (a stored rendition), sizes and
    /// `rect` are planned against the image and the copy only supplies the
    /// pixels: the output is the same size as from the image itself.
    ///
    /// Run it inside `Cancellation.run` to be able to stop it: it then
    /// throws `.stopped` soon after the cancellation. WebP and AVIF encoders
    /// cannot be stopped once started, so with a `deadline` they start only
    /// when their estimated time fits before it (else `.stopped` at once).
    public func render(_ source: OpenedFile, _ parameters: RenderParameters, mark: OpenedFile? = nil,
                       uprightSize known: (width: Int, height: Int)? = nil,
                       deadline: ContinuousClock.Instant? = nil) throws(RenderError) -> RenderedImage {
        let picture = try renderPicture(source, parameters, mark: mark, uprightSize: known)
        do {
            return try encode(picture, parameters, deadline: deadline)
        } catch where error.kind == .timeout {
            throw .stopped
        } catch {
            throw .unrenderable("cannot render \(source.displayPath): \(error.message)")
        }
    }

    /// The render's pixels, in memory, before any encoder: what a saved edit
    /// hands to the pipeline (see `finished(_:as:_:)` for what a format keeps).
    public func renderPicture(_ source: OpenedFile, _ parameters: RenderParameters, mark: OpenedFile? = nil,
                              uprightSize known: (width: Int, height: Int)? = nil) throws(RenderError) -> RenderedPicture {
        let upright: (width: Int, height: Int)
        // For the cost of the default format; a caller that knows the size
        // from the record has checked the cost with the record's alpha.
        var sourceHasAlpha = false
        if let known {
            guard known.width >= 1, known.height >= 1, Self.area(known.width, known.height) <= limits.maxSourcePixels else {
                throw .tooLarge("the source is \(known.width) × \(known.height), over the limit of \(limits.maxSourcePixels) pixels")
            }
            upright = known
        } else {
            (upright, sourceHasAlpha) = try Self.uprightSize(of: source, limits: limits)
        }
        let plan = try plan(for: upright, parameters)
        try checkCost(of: plan, parameters, sourceHasAlpha: sourceHasAlpha)
        do {
            var image = try Image.decode(source, maxSize: plan.decodeLongSide).inSRGB()
            let sourceHasAlpha = image.hasAlpha
            image = try crop(image, to: plan.region, ofUpright: plan.upright)
            image = try orient(image, parameters)
            image = try resize(image, plan, parameters)
            image = try filter(image, parameters, dpr: plan.dpr)
            if let text = parameters.text {
                image = try overlayText(text, on: image, parameters, dpr: plan.dpr)
            }
            if let mark {
                image = try overlayMark(mark, on: image, parameters, dpr: plan.dpr)
            }
            return RenderedPicture(image: image, sourceHasAlpha: sourceHasAlpha)
        } catch where error.kind == .timeout {
            throw .stopped
        } catch {
            throw .unrenderable("cannot render \(source.displayPath): \(error.message)")
        }
    }

    // MARK: - Planning: sizes before any pixel is decoded

    struct Plan {
        var upright: (width: Int, height: Int)
        var region: RenderParameters.CropRect
        /// The region's size once turned by `rot`.
        var oriented: (width: Int, height: Int)
        /// The resized picture's size (before `cover` crops or `pad` pads it).
        var resized: (width: Int, height: Int)
        /// The output's size.
        var output: (width: Int, height: Int)
        var dpr: Double
        /// The long side to decode at: enough for the output, never more than the source.
        var decodeLongSide: Int
    }

    /// Refuses a plan that costs more than the limits allow. Without `fm`,
    /// a source with alpha is costed as PNG, any other as JPEG.
    func checkCost(of plan: Plan, _ parameters: RenderParameters, sourceHasAlpha: Bool) throws(RenderError) {
        if let text = parameters.text {
            let area = RenderCost.textMaskArea(scalars: text.unicodeScalars.count, size: textSize(parameters, plan))
            guard area <= limits.maxTextPixels else {
                throw .tooCostly("the text would need a mask of about \(area) pixels; the limit is \(limits.maxTextPixels): "
                                 + "use fewer characters or a smaller txt-size (or dpr)")
            }
        }
        let cost = cost(of: plan, parameters, sourceHasAlpha: sourceHasAlpha)
        guard cost.total <= limits.maxWork else {
            throw .tooCostly("this render would cost about \(cost.total / 1_000_000) M work units, mostly \(cost.dominant); "
                             + "the limit is \(limits.maxWork / 1_000_000) M: ask for fewer pixels, a smaller blur or a cheaper format")
        }
    }

    /// What a render of `parameters` from an upright source of this size
    /// would cost, when `render` would take it on; the error `render` would
    /// refuse it with otherwise (a parameter out of range, over the limits).
    public func check(from upright: (width: Int, height: Int), _ parameters: RenderParameters,
                      sourceHasAlpha: Bool = false) throws(RenderError) -> RenderCost {
        let plan = try plan(for: upright, parameters)
        try checkCost(of: plan, parameters, sourceHasAlpha: sourceHasAlpha)
        return cost(of: plan, parameters, sourceHasAlpha: sourceHasAlpha)
    }

    /// The long side, in pixels of an upright source of this size, that a
    /// render with `parameters` decodes: a source at least this large gives
    /// the same output as the original.
    public func longSideNeeded(from upright: (width: Int, height: Int), _ parameters: RenderParameters) throws(RenderError) -> Int {
        try plan(for: upright, parameters).decodeLongSide
    }

    static func uprightSize(of source: OpenedFile, limits: RenderLimits) throws(RenderError)
        -> (size: (width: Int, height: Int), hasAlpha: Bool) {
        let header: Image
        do {
            header = try Image.openHeader(source)
        } catch {
            throw .unrenderable("\(source.displayPath) is not an image this server renders: \(error.message)")
        }
        let width = header.width, height = header.pageCount > 1 ? header.pageHeight : header.height
        guard Self.area(width, height) <= limits.maxSourcePixels else {
            throw .tooLarge("the source is \(width) × \(height), over the limit of \(limits.maxSourcePixels) pixels")
        }
        // Orientations 5–8 turn the picture a quarter.
        return (header.orientation >= 5 ? (height, width) : (width, height), header.hasAlpha)
    }

    func plan(for upright: (width: Int, height: Int), _ parameters: RenderParameters) throws(RenderError) -> Plan {
        let region = parameters.rect ?? RenderParameters.CropRect(x: 0, y: 0, width: upright.width, height: upright.height)
        // Subtracted, not added: `x + width` of a request can overflow.
        guard region.x >= 0, region.y >= 0, region.width >= 1, region.height >= 1,
              region.x <= upright.width - region.width, region.y <= upright.height - region.height else {
            throw .parameter(EditParameterError(
                code: .invalidValue, message: "the crop \(region.x),\(region.y),\(region.width),\(region.height) reaches past "
                    + "the \(upright.width) × \(upright.height) upright source", param: "rect"))
        }
        let quarter = (parameters.rotation ?? 0) % 180 != 0
        let oriented = quarter ? (width: region.height, height: region.width) : (width: region.width, height: region.height)
        let dpr = parameters.devicePixelRatio ?? 1
        let boxWidth = parameters.width.map { Self.rounded(Double($0) * dpr) }
        let boxHeight = parameters.height.map { Self.rounded(Double($0) * dpr) }
        let scaleX = boxWidth.map { Double($0) / Double(oriented.width) }
        let scaleY = boxHeight.map { Double($0) / Double(oriented.height) }
        let fit = parameters.fit ?? .contain

        var resized: (width: Int, height: Int)
        var output: (width: Int, height: Int)
        switch (boxWidth, boxHeight, scaleX, scaleY) {
        case (let boxWidth?, let boxHeight?, _, _) where fit == .fill:
            resized = (boxWidth, boxHeight)
            output = resized
        case (let boxWidth?, let boxHeight?, let sx?, let sy?) where fit == .cover:
            let scale = max(sx, sy)
            resized = (max(boxWidth, Self.rounded(Double(oriented.width) * scale)),
                       max(boxHeight, Self.rounded(Double(oriented.height) * scale)))
            output = (boxWidth, boxHeight)
        case (_, _, nil, nil):
            resized = oriented
            output = oriented
        default:
            // contain and pad; and any fit given only one side, which then decides.
            let scale = min(scaleX ?? .infinity, scaleY ?? .infinity)
            resized = (min(boxWidth ?? .max, Self.rounded(Double(oriented.width) * scale)),
                       min(boxHeight ?? .max, Self.rounded(Double(oriented.height) * scale)))
            output = fit == .pad ? (boxWidth ?? resized.width, boxHeight ?? resized.height) : resized
        }
        for (side, param) in [(output.width, parameters.width != nil ? "w" : "dpr"), (output.height, parameters.height != nil ? "h" : "dpr"),
                              (resized.width, "w"), (resized.height, "h")] where side > limits.maxOutputSide {
            throw .parameter(EditParameterError(code: .invalidValue, message: "the output would be \(side) pixels on a side; "
                                                + "the limit is \(limits.maxOutputSide) (after dpr)", param: param))
        }
        if Self.area(output.width, output.height) > limits.maxOutputPixels {
            throw .parameter(EditParameterError(code: .invalidValue, message: "the output would be \(output.width) × \(output.height); "
                                                + "the limit is \(limits.maxOutputPixels) pixels", param: parameters.devicePixelRatio != nil ? "dpr" : "w"))
        }
        // Decode at the size the region needs to come out at `resized`.
        let scale = max(Double(resized.width) / Double(oriented.width), Double(resized.height) / Double(oriented.height))
        let longSide = Double(max(upright.width, upright.height))
        let decodeLongSide = Self.rounded(longSide * min(1, scale), .up)
        return Plan(upright: upright, region: region, oriented: oriented, resized: resized, output: output, dpr: dpr,
                    decodeLongSide: max(1, decodeLongSide))
    }

    /// A size in pixels: at least one, and at most 2^40, so that a size
    /// too large for any limit stays a number the limits can refuse
    /// instead of a conversion that traps.
    static func rounded(_ value: Double, _ rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Int {
        let bounded = value.isNaN ? 1 : min(max(value.rounded(rule), 1), Double(Self.largestSize))
        return Int(bounded)
    }

    static let largestSize = 1 << 40

    /// `width × height`, or `Int.max` where the product does not fit.
    static func area(_ width: Int, _ height: Int) -> Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? .max : product
    }

    /// A distance in CSS pixels in output pixels; zero stays zero.
    static func scaled(_ value: Int, by dpr: Double) -> Int {
        value == 0 ? 0 : rounded(Double(value) * dpr)
    }

    // MARK: - The stages, in order

    private func crop(_ image: Image, to region: RenderParameters.CropRect, ofUpright upright: (width: Int, height: Int)) throws(MediaError) -> Image {
        guard region.width != upright.width || region.height != upright.height else { return image }
        // The decode was shrunk: the region scales with it.
        let factor = Double(image.width) / Double(upright.width)
        let x = min(image.width - 1, Int((Double(region.x) * factor).rounded(.down)))
        let y = min(image.height - 1, Int((Double(region.y) * factor).rounded(.down)))
        let width = max(1, min(image.width - x, Int((Double(region.width) * factor).rounded())))
        let height = max(1, min(image.height - y, Int((Double(region.height) * factor).rounded())))
        return try image.cropped(x: x, y: y, width: width, height: height)
    }

    private func orient(_ image: Image, _ parameters: RenderParameters) throws(MediaError) -> Image {
        var result = image
        if let rotation = parameters.rotation { result = try result.rotated(by: rotation) }
        switch parameters.flip {
        case .horizontal?: result = try result.flipped(horizontal: true)
        case .vertical?: result = try result.flipped(horizontal: false)
        case .both?: result = try result.flipped(horizontal: true).flipped(horizontal: false)
        case nil: break
        }
        return result
    }

    private func resize(_ image: Image, _ plan: Plan, _ parameters: RenderParameters) throws(MediaError) -> Image {
        var result = image
        if result.width != plan.resized.width || result.height != plan.resized.height {
            result = try result.resized(width: plan.resized.width, height: plan.resized.height)
        }
        let fit = parameters.fit ?? .contain
        if fit == .cover, result.width > plan.output.width || result.height > plan.output.height {
            result = try coverCrop(result, to: plan.output, gravity: parameters.gravity ?? .center)
        }
        if fit == .pad, result.width < plan.output.width || result.height < plan.output.height {
            let background = parameters.background ?? RenderParameters.HexColor(red: 255, green: 255, blue: 255)
            result = try result.placed(onCanvas: plan.output.width, plan.output.height,
                                       x: (plan.output.width - result.width) / 2, y: (plan.output.height - result.height) / 2,
                                       background: background)
        }
        return result
    }

    private func coverCrop(_ image: Image, to size: (width: Int, height: Int), gravity: RenderParameters.Gravity) throws(MediaError) -> Image {
        let spareX = image.width - size.width, spareY = image.height - size.height
        let x: Int, y: Int
        switch gravity {
        // A smart crop reads its whole input in one region, where libvips does
        // not look at the kill flag: computed first, tile by tile, it stays stoppable.
        case .entropy: return try image.inMemory().smartCropped(width: size.width, height: size.height, interest: .entropy)
        case .attention: return try image.inMemory().smartCropped(width: size.width, height: size.height, interest: .attention)
        case .center: (x, y) = (spareX / 2, spareY / 2)
        case .north: (x, y) = (spareX / 2, 0)
        case .south: (x, y) = (spareX / 2, spareY)
        case .east: (x, y) = (spareX, spareY / 2)
        case .west: (x, y) = (0, spareY / 2)
        case .northeast: (x, y) = (spareX, 0)
        case .northwest: (x, y) = (0, 0)
        case .southeast: (x, y) = (spareX, spareY)
        case .southwest: (x, y) = (0, spareY)
        }
        return try image.cropped(x: x, y: y, width: size.width, height: size.height)
    }

    private func filter(_ image: Image, _ parameters: RenderParameters, dpr: Double) throws(MediaError) -> Image {
        var result = image
        if let sigma = parameters.blur { result = try result.blurred(sigma: sigma * dpr) }
        if let block = parameters.pixelate {
            // Pixelation's shrink asks for the whole blurred picture in one
            // region, which libvips computes without looking at its kill
            // flag; computed first, tile by tile, the blur stays stoppable.
            if parameters.blur != nil { result = try result.inMemory() }
            let size = max(1, Self.rounded(Double(block) * dpr))
            let width = result.width, height = result.height
            // Each block the average of the pixels beneath it, then blown up and trimmed to size.
            result = try result.resized(width: max(1, (width + size - 1) / size), height: max(1, (height + size - 1) / size))
                .zoomed(x: size, y: size)
                .cropped(x: 0, y: 0, width: width, height: height)
        }
        return result
    }

    private func overlayText(_ text: String, on image: Image, _ parameters: RenderParameters, dpr: Double) throws(MediaError) -> Image {
        let pad = Self.scaled(parameters.textPad ?? 10, by: dpr)
        let size = Self.rounded(Double(parameters.textSize ?? 32) * dpr)
        let color = parameters.textColor ?? RenderParameters.HexColor(red: 0, green: 0, blue: 0)
        let glyphs = try Image.text(text, font: parameters.textFont ?? "sans", size: size, color: color,
                                    maxWidth: max(1, image.width - 2 * pad))
        let (x, y) = Self.position(of: (glyphs.width, glyphs.height), in: (image.width, image.height),
                                   at: parameters.textAlign ?? .bottomRight, pad: pad)
        return try image.composited(with: glyphs, x: x, y: y)
    }

    private func overlayMark(_ file: OpenedFile, on image: Image, _ parameters: RenderParameters, dpr: Double) throws(MediaError) -> Image {
        let pad = Self.scaled(parameters.markPad ?? 10, by: dpr)
        var mark = try Image.decode(file, maxSize: max(image.width, image.height)).inSRGB()
        let width = min(parameters.markWidth.map { Self.rounded(Double($0) * dpr) } ?? mark.width, image.width)
        if width != mark.width {
            mark = try mark.resized(width: width, height: Self.rounded(Double(mark.height) * Double(width) / Double(mark.width)))
        }
        mark = try mark.withOpacity(Double(parameters.markAlpha ?? 100) / 100)
        let (x, y) = Self.position(of: (mark.width, mark.height), in: (image.width, image.height),
                                   at: parameters.markAlign ?? .bottomRight, pad: pad)
        return try image.composited(with: mark, x: x, y: y)
    }

    /// The picture as a file of `format` holds it: flattened onto the
    /// background where the format has no alpha, or where the source had
    /// none (overlays add an alpha band; an opaque picture does not need one).
    public func finished(_ picture: RenderedPicture, as format: EncodedFormat, _ parameters: RenderParameters) throws(MediaError) -> Image {
        let background = parameters.background ?? RenderParameters.HexColor(red: 255, green: 255, blue: 255)
        if !format.carriesAlpha || (!picture.sourceHasAlpha && background.alpha == 255) {
            return try picture.image.flattened(onto: background.rgb)
        }
        return picture.image
    }

    private func encode(_ picture: RenderedPicture, _ parameters: RenderParameters,
                        deadline: ContinuousClock.Instant?) throws(MediaError) -> RenderedImage {
        let format = parameters.outputFormat(sourceHasAlpha: picture.sourceHasAlpha)
        var result = try finished(picture, as: format, parameters)
        if let deadline, RenderCost.encoderIsUnstoppable(format) {
            // The pixels first, where the kill flag is looked at; then the
            // encoder, which libvips cannot stop, only if it fits the time left.
            result = try result.inMemory()
            let estimate = Duration.nanoseconds(RenderCost.times(Self.area(result.width, result.height), RenderCost.encodeWeight(format)))
            guard ContinuousClock.now + estimate <= deadline else {
                throw MediaError(.timeout, "stopped: encoding would outlast the time limit")
            }
        }
        let bytes = try result.encoded(as: format, quality: parameters.quality ?? 80)
        return RenderedImage(bytes: bytes, format: format, width: result.width, height: result.height)
    }

    // MARK: - Helpers

    /// The top-left corner that puts a `size` box at `placement` inside `container`, `pad` from its edges.
    static func position(of size: (Int, Int), in container: (Int, Int), at placement: RenderParameters.Placement,
                         pad: Int) -> (Int, Int) {
        let left = pad, right = container.0 - size.0 - pad, centreX = (container.0 - size.0) / 2
        let top = pad, bottom = container.1 - size.1 - pad, centreY = (container.1 - size.1) / 2
        switch placement {
        case .topLeft: return (left, top)
        case .top: return (centreX, top)
        case .topRight: return (right, top)
        case .left: return (left, centreY)
        case .center: return (centreX, centreY)
        case .right: return (right, centreY)
        case .bottomLeft: return (left, bottom)
        case .bottom: return (centreX, bottom)
        case .bottomRight: return (right, bottom)
        }
    }

}
