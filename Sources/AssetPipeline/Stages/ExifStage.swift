import AssetMedia

/// EXIF (through libexif's typed values), XMP Dublin Core and IPTC keywords,
/// from the metadata blobs of the header opened by `metadata`. Unreadable
/// metadata is skipped, never fatal: the asset is still the image.
public struct ExifStage: PipelineStage {
    public static let name = "exif"
    public static let prerequisites = ["metadata"]
    public static let summary = "images: EXIF (libexif), XMP Dublin Core, IPTC keywords"

    public init(settings: NoSettings, pipeline: PipelineSettings) {}

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard let header = context.header else { return }
        var record = context.record

        if let block = header.blob(named: "exif-data"), let parsed = Exif.parse(block) {
            // A block with only layout tags (resolution, colour space) has no summary to show.
            record.exif = parsed.exif.isEmpty ? nil : parsed.exif
            record.exifRaw = parsed.raw.isEmpty ? nil : parsed.raw
        }

        let xmp = header.blob(named: "xmp-data").flatMap(XMPPacket.parse)
        if let xmp {
            record.xmp = XMPSummary(title: xmp.title, description: xmp.description, subject: xmp.subject.isEmpty ? nil : xmp.subject)
        }
        let iptcKeywords = header.blob(named: "iptc-data").map(IPTCRecord.keywords(in:)) ?? []
        var keywords: [String] = []
        for keyword in iptcKeywords + (xmp?.subject ?? []) where !keywords.contains(keyword) {
            keywords.append(keyword)
        }
        record.keywords = keywords.isEmpty ? nil : keywords
        context.record = record
    }
}
