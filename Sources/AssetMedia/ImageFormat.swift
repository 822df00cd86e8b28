extension Image {
    /// The file format, named as users know it: "jpeg", "png", "webp", "gif",
    /// "tiff", "heif", "avif", ... Derived from the libvips loader that read
    /// the header, so it reflects the bytes, not the file name.
    public var formatName: String? {
        guard var name = loader else { return nil }
        for suffix in ["_source", "_buffer"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
        }
        if name.hasSuffix("load") {
            name.removeLast("load".count)
        }
        if name == "heif", string(named: "heif-compression") == "av1" {
            return "avif"
        }
        return name
    }

    /// The colour model of the stored pixels: "rgb", "cmyk", "gray", "lab", or "multiband".
    public var colorModel: String {
        switch interpretation {
        case "srgb", "rgb", "rgb16", "scrgb": return "rgb"
        case "cmyk": return "cmyk"
        case "b-w", "grey16": return "gray"
        case "lab", "labq", "labs", "lch", "cmc": return "lab"
        case "xyz", "yxy", "hsv": return "rgb"
        default:
            // Loaders mark some images "multiband"; judge by band count.
            let colourBands = hasAlpha ? bands - 1 : bands
            switch colourBands {
            case 1: return "gray"
            case 3: return "rgb"
            case 4: return "cmyk"
            default: return "multiband"
            }
        }
    }
}
