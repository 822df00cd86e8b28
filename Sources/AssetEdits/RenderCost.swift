import AssetMedia

/// What a render will cost, estimated from its plan before any pixel is
/// decoded, in *work units*: a unit is about a nanosecond of one core.
/// Each operation costs the pixels it touches times its weight. A request
/// whose estimate passes `RenderLimits.maxWork` is refused (HTTP 422), so no
/// single request can hold a CPU for minutes; the time limit is the second
/// line, for what the estimate misses.
///
/// The weights are nanoseconds per pixel measured with libvips 8.14's own
/// command line, one thread, on worst-case content (Gaussian noise, which
/// no encoder compresses): 12 MP encoded as JPEG in 0.17 s with its decode,
/// PNG 5.3 s, WebP 3.0 s, AVIF 24.8 s; Gaussian blur 1.0 s at sigma 10
/// (and three times that per sigma past 16: `blurWeight`);
/// resize 0.24 s; an attention smartcrop 0.2 s; PNG decode 0.32 s; a 25 MP
/// Pango text mask 0.19 s. They only need to be right to within a factor
/// of two or so.
public struct RenderCost: Sendable, Equatable, CustomStringConvertible {
    /// Pixels decoded (after shrink-on-load).
    public var decode: Int
    /// Pixels resampled to the output size, and the crop of `cover`.
    public var resize: Int
    /// Gaussian blur: its mask, and so its cost, grows with sigma.
    public var blur: Int
    /// Pixelation, smart crops, overlays: whole-output passes.
    public var filters: Int
    /// Pango's text mask, estimated from its characters and size.
    public var text: Int
    /// Encoding the output: AVIF and WebP cost many times JPEG.
    public var encode: Int

    public var total: Int { Self.sum([decode, resize, blur, filters, text, encode]) }

    /// Parts added up, saturating at `Int.max`: a part already too large to
    /// count must make the total too large, never trap.
    static func sum(_ parts: [Int]) -> Int {
        parts.reduce(0) { sum, part in
            let (added, overflow) = sum.addingReportingOverflow(part)
            return overflow ? .max : added
        }
    }

    /// The largest part, for the message that refuses a request.
    public var dominant: String {
        let parts = [("decoding the source", decode), ("resizing", resize), ("blur", blur), ("filters and overlays", filters),
                     ("text", text), ("encoding", encode)]
        return parts.max { $0.1 < $1.1 }?.0 ?? "rendering"
    }

    public var description: String {
        "decode \(decode), resize \(resize), blur \(blur), filters \(filters), text \(text), encode \(encode): total \(total)"
    }

    /// Work units per output pixel for each format's encoder, at the
    /// efforts the renderer uses.
    static func encodeWeight(_ format: EncodedFormat) -> Int {
        switch format {
        case .jpeg: 10
        case .png: 450
        case .webp: 250
        case .avif: 2000
        }
    }

    /// WebP and AVIF encode the whole picture in their own libraries, which
    /// libvips's kill flag does not reach; JPEG and PNG pull it row by row.
    static func encoderIsUnstoppable(_ format: EncodedFormat) -> Bool {
        format == .webp || format == .avif
    }

    /// Work units per output pixel and unit of sigma of a Gaussian blur.
    /// libvips convolves masks up to about sigma 16 on its vector path
    /// (12 MP, 3 bands, one thread: 0.8 s at sigma 10, 1.3 s at 15); past
    /// it, about three times slower per sigma (3.9 s at 18, 7.4 s at 30,
    /// 14 s at 40; 3.4 s for 0.75 MP at sigma 100). One weight for both
    /// let a blur of sigma 40 over 12 MP pass as 5 s of work.
    static func blurWeight(sigma: Double) -> Double {
        sigma <= 16 ? 9 : 30
    }

    /// The estimated pixel area of the text mask: Pango's glyphs are at most
    /// about as wide as they are tall, and lines are 1.3 × the size apart.
    static func textMaskArea(scalars: Int, size: Int) -> Int {
        Renderer.area(Renderer.area(scalars, size), Renderer.rounded(Double(size) * 1.3))
    }

    static func times(_ pixels: Int, _ weight: Int) -> Int { Renderer.area(pixels, weight) }
}

extension Renderer {
    /// The cost of rendering `parameters` by `plan`.
    func cost(of plan: Plan, _ parameters: RenderParameters, sourceHasAlpha: Bool) -> RenderCost {
        let resized = Self.area(plan.resized.width, plan.resized.height)
        let output = Self.area(plan.output.width, plan.output.height)
        let decodeScale = Double(plan.decodeLongSide) / Double(max(plan.upright.width, plan.upright.height))
        let decoded = Self.area(Self.rounded(Double(plan.upright.width) * decodeScale),
                                Self.rounded(Double(plan.upright.height) * decodeScale))
        let sigma = (parameters.blur ?? 0) * plan.dpr
        let blur = sigma > 0 ? RenderCost.times(resized, Self.rounded(sigma * RenderCost.blurWeight(sigma: sigma))) : 0
        let filters = RenderCost.sum([
            parameters.pixelate != nil ? RenderCost.times(output, 10) : 0,
            parameters.gravity == .entropy || parameters.gravity == .attention ? RenderCost.times(resized, 20) : 0,
            parameters.mark != nil ? RenderCost.times(output, 20) : 0,
        ])
        let text = parameters.text.map { text in
            RenderCost.times(RenderCost.textMaskArea(scalars: text.unicodeScalars.count, size: textSize(parameters, plan)), 8)
        } ?? 0
        let encode = RenderCost.times(output, RenderCost.encodeWeight(parameters.outputFormat(sourceHasAlpha: sourceHasAlpha)))
        // Decoding touches every source pixel (JPEG's shrink-on-load only
        // skips part of the work) and writes the decoded ones.
        let decode = RenderCost.sum([RenderCost.times(Self.area(plan.upright.width, plan.upright.height), 2),
                                     RenderCost.times(decoded, 25)])
        return RenderCost(decode: decode, resize: RenderCost.times(resized, 20), blur: blur, filters: filters, text: text, encode: encode)
    }

    /// The text's height in output pixels.
    func textSize(_ parameters: RenderParameters, _ plan: Plan) -> Int {
        Self.rounded(Double(parameters.textSize ?? 32) * plan.dpr)
    }
}
