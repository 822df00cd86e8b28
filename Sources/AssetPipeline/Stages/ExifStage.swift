import AssetMedia

/// EXIF (through libexif's typed values), XMP Dublin Core and IPTC keywords,
/// from the metadata blobs of the header opened by `metadata`. Unreadable
/// metadata is skipped, never fatal: the asset is still the image.
struct ExifStage: Stage {
    func run(_ context: inout AssetContext) throws(AssetError) {
        guard let header = context.header else { return }
        var record = context.record

        if let block = header.blob(named: "exif-data"), let exif = Exif.parse(block) {
            var summary = ExifSummary(
                make: exif.make, model: exif.model, lens: exif.lens, software: exif.software,
                artist: exif.artist, copyright: exif.copyright, description: exif.description,
                takenAt: exif.takenAt, exposureTime: exif.exposureTime, fNumber: exif.fNumber,
                iso: exif.iso, focalLength: exif.focalLength, focalLength35mm: exif.focalLength35mm,
                flash: exif.flash)
            if let gps = exif.gps {
                summary.gps = ExifSummary.GPS(lat: gps.latitude, lon: gps.longitude, alt: gps.altitude)
            }
            // A block with only layout tags (resolution, colour space) has no summary to show.
            record.exif = summary == ExifSummary() ? nil : summary
            record.exifRaw = exif.raw.isEmpty ? nil : exif.raw
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
