import Foundation
import TestSupport
import Testing

/// EXIF, XMP and IPTC in `process --json` records, compared with `exiftool -G1 -n -json`.
@Suite struct ExifOracleTests {
    /// Every JPEG and HEIC among the samples that carry camera metadata.
    static let samples: [String] = ["photos", "orientation", "formats"].flatMap { folder in
        ((try? FileManager.default.contentsOfDirectory(atPath: Package.sample(folder))) ?? [])
            .filter { ["jpg", "jpeg", "heic", "heif"].contains(($0 as NSString).pathExtension.lowercased()) }
            .map { folder + "/" + $0 }
    }.sorted()

    /// Text fields of `exif` and the exiftool tag each one must equal.
    static let textFields: [(key: String, tag: String)] = [
        ("make", "IFD0:Make"), ("model", "IFD0:Model"), ("lens", "ExifIFD:LensModel"),
        ("software", "IFD0:Software"), ("artist", "IFD0:Artist"), ("copyright", "IFD0:Copyright"),
        ("description", "IFD0:ImageDescription"),
    ]

    /// Numeric fields of `exif` and the exiftool tag (-n: plain numbers) each one must equal.
    static let numberFields: [(key: String, tag: String)] = [
        ("exposure_time", "ExifIFD:ExposureTime"), ("f_number", "ExifIFD:FNumber"), ("iso", "ExifIFD:ISO"),
        ("focal_length", "ExifIFD:FocalLength"), ("focal_length_35mm", "ExifIFD:FocalLengthIn35mmFormat"),
        ("flash", "ExifIFD:Flash"),
    ]

    @Test func theSamplesIncludeFilesWithExif() throws {
        let withExif = try Self.samples.filter { sample in
            try Oracle.exiftool(Package.sample(sample), ["-G1"]).keys.contains { $0.hasPrefix("IFD0:") || $0.hasPrefix("ExifIFD:") }
        }
        #expect(withExif.count >= 10, "exiftool finds EXIF in only \(withExif)")
        #expect(Self.samples.contains { $0.hasSuffix(".heic") })
    }

    @Test(arguments: samples)
    func exifMatchesExiftool(sample: String) throws {
        let path = Package.sample(sample)
        let data = try TemporaryDirectory("exif")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([path], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(AssetPipe.record(at: path, in: records), "no record for \(path) in \(result.output)")
        #expect(record["status"] as? String == "processed")
        let oracle = try Oracle.exiftool(path, ["-G1"])
        let exif = JSONValue.dictionary(record["exif"]) ?? [:]

        for (key, tag) in Self.textFields {
            let expected = Self.text(oracle[tag])
            if let expected {
                #expect(exif[key] as? String == expected, "\(sample): exif.\(key) vs exiftool \(tag)")
            } else {
                #expect(exif[key] == nil, "\(sample): exif.\(key) must be absent: exiftool \(tag) is \(String(describing: oracle[tag]))")
            }
        }

        for (key, tag) in Self.numberFields {
            if let expected = JSONValue.number(oracle[tag]) {
                let ours = JSONValue.number(exif[key])
                #expect(ours != nil && abs(ours! - expected) <= 1e-6,
                        "\(sample): exif.\(key) is \(String(describing: exif[key])), exiftool \(tag) says \(expected)")
            } else {
                #expect(exif[key] == nil, "\(sample): exif.\(key) must be absent: exiftool \(tag) is \(String(describing: oracle[tag]))")
            }
        }

        let expectedTakenAt = Self.takenAt(oracle)
        #expect(exif["taken_at"] as? String == expectedTakenAt,
                "\(sample): exif.taken_at vs exiftool DateTimeOriginal \(String(describing: oracle["ExifIFD:DateTimeOriginal"])) / SubSec \(String(describing: oracle["ExifIFD:SubSecTimeOriginal"])) / Offset \(String(describing: oracle["ExifIFD:OffsetTimeOriginal"]))")

        try checkGPS(JSONValue.dictionary(exif["gps"]), oracle: oracle, sample: sample)

        // Keywords: IPTC Keywords and XMP dc:subject, merged without repeats.
        let iptc = Self.list(oracle["IPTC:Keywords"]), subject = Self.list(oracle["XMP-dc:Subject"])
        let expectedKeywords = iptc + subject
        if expectedKeywords.isEmpty {
            #expect(record["keywords"] == nil, "\(sample): keywords must be absent, exiftool has none")
        } else {
            let keywords = try #require(record["keywords"] as? [String], "\(sample): keywords missing; exiftool: IPTC \(iptc), XMP \(subject)")
            #expect(Set(keywords) == Set(expectedKeywords), "\(sample): keywords \(keywords) vs IPTC \(iptc) ∪ XMP \(subject)")
            #expect(Set(keywords).count == keywords.count, "\(sample): keywords repeat: \(keywords)")
        }

        // XMP Dublin Core.
        let xmp = JSONValue.dictionary(record["xmp"]) ?? [:]
        #expect(xmp["title"] as? String == Self.text(oracle["XMP-dc:Title"]), "\(sample): xmp.title vs exiftool XMP-dc:Title")
        #expect(xmp["description"] as? String == Self.text(oracle["XMP-dc:Description"]), "\(sample): xmp.description vs exiftool XMP-dc:Description")
        if subject.isEmpty {
            #expect(xmp["subject"] == nil, "\(sample): xmp.subject must be absent")
        } else {
            #expect(xmp["subject"] as? [String] == subject, "\(sample): xmp.subject vs exiftool XMP-dc:Subject \(subject)")
        }

        // Absent is absent: no empty or blank text anywhere in the record.
        for (where_, text) in Self.strings(in: record, at: "") where Self.isBlank(text) {
            Issue.record("\(sample): \(where_) is \(text.debugDescription); absent values must be left out")
        }
    }

    /// GPS in signed degrees and metres. exiftool -n prints the EXIF GPS tags unsigned, with
    /// their Ref tags (S, W, altitude ref 1 = below sea level) beside them.
    private func checkGPS(_ gps: [String: Any]?, oracle: [String: Any], sample: String) throws {
        let lat = Self.signed(oracle["GPS:GPSLatitude"], negativeWhen: (oracle["GPS:GPSLatitudeRef"] as? String) == "S")
        let lon = Self.signed(oracle["GPS:GPSLongitude"], negativeWhen: (oracle["GPS:GPSLongitudeRef"] as? String) == "W")
        let alt = Self.signed(oracle["GPS:GPSAltitude"], negativeWhen: JSONValue.number(oracle["GPS:GPSAltitudeRef"]) == 1)
        // exiftool's own signed composites must agree with the derivation above.
        for (derived, tag) in [(lat, "Composite:GPSLatitude"), (lon, "Composite:GPSLongitude"), (alt, "Composite:GPSAltitude")] {
            if let composite = JSONValue.number(oracle[tag]) {
                #expect(derived.map { abs($0 - composite) <= 1e-6 } == true, "\(sample): signed GPS \(String(describing: derived)) disagrees with exiftool \(tag) \(composite)")
            }
        }

        if lat == nil, lon == nil, alt == nil {
            #expect(gps == nil, "\(sample): exif.gps must be absent, exiftool has no GPS position")
            return
        }
        let ours = gps ?? [:]
        for (key, expected, tolerance) in [("lat", lat, 1e-6), ("lon", lon, 1e-6), ("alt", alt, 1e-3)] {
            if let expected {
                let value = JSONValue.number(ours[key])
                #expect(value != nil && abs(value! - expected) <= tolerance,
                        "\(sample): exif.gps.\(key) is \(String(describing: ours[key])), exiftool says \(expected)")
            } else {
                #expect(ours[key] == nil, "\(sample): exif.gps.\(key) must be absent")
            }
        }
    }

    // MARK: - Reading exiftool's values

    /// exiftool's text with surrounding spaces and NULs removed; nil when that leaves nothing.
    static func text(_ value: Any?) -> String? {
        let text: String
        switch value {
        case let value as String: text = value
        case let value?: text = "\(value)"
        case nil: return nil
        }
        let trimmed = text.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\0")))
        return trimmed.isEmpty ? nil : trimmed
    }

    static func list(_ value: Any?) -> [String] {
        switch value {
        case let values as [Any]: values.compactMap { text($0) }
        case let value?: text(value).map { [$0] } ?? []
        case nil: []
        }
    }

    static func signed(_ value: Any?, negativeWhen negative: Bool) -> Double? {
        JSONValue.number(value).map { negative ? -$0 : $0 }
    }

    /// ISO 8601 from DateTimeOriginal ("2024:06:15 18:42:07"), "." + SubSecTimeOriginal and
    /// OffsetTimeOriginal when recorded; nil for a blank or all-zero date.
    static func takenAt(_ oracle: [String: Any]) -> String? {
        guard let original = text(oracle["ExifIFD:DateTimeOriginal"]), original != "0000:00:00 00:00:00" else { return nil }
        let parts = original.split(separator: " ")
        guard parts.count == 2 else { return nil }
        var iso = parts[0].replacingOccurrences(of: ":", with: "-") + "T" + parts[1]
        if let subSecond = text(oracle["ExifIFD:SubSecTimeOriginal"]) { iso += "." + subSecond }
        if let offset = text(oracle["ExifIFD:OffsetTimeOriginal"]) { iso += offset }
        return iso
    }

    static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { CharacterSet.whitespacesAndNewlines.contains($0) || $0 == "\0" }
    }

    /// Every string in a JSON value, with where it is.
    static func strings(in value: Any, at place: String) -> [(String, String)] {
        switch value {
        case let text as String: [(place, text)]
        case let object as [String: Any]: object.flatMap { strings(in: $0.value, at: place.isEmpty ? $0.key : place + "." + $0.key) }
        case let array as [Any]: array.enumerated().flatMap { strings(in: $0.element, at: "\(place)[\($0.offset)]") }
        default: []
        }
    }
}
