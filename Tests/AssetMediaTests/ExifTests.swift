import AssetMedia
import Foundation
import TestSupport
import Testing

@Suite struct ExifTests {
    private func exifBlock(_ sample: String) throws -> [UInt8] {
        let file = try SourceFile(path: Package.sample(sample)).open()
        return try #require(try Image.openHeader(file).blob(named: "exif-data"))
    }

    @Test func typedValuesMatchExiftool() throws {
        let sample = "photos/camera-gps-south.jpg"
        let exif = try #require(Exif.parse(try exifBlock(sample))).exif
        let oracle = try Oracle.exiftool(Package.sample(sample))
        #expect(exif.make == oracle["Make"] as? String)
        #expect(exif.model == oracle["Model"] as? String)
        #expect(exif.lens == oracle["LensModel"] as? String)
        #expect(exif.artist == oracle["Artist"] as? String)
        #expect(exif.copyright == oracle["Copyright"] as? String)
        #expect(try #require(exif.exposureTime) == (try #require(oracle["ExposureTime"] as? Double)))
        #expect(exif.fNumber == oracle["FNumber"] as? Double)
        #expect(exif.iso == oracle["ISO"] as? Int)
        let latitude = try #require(oracle["GPSLatitude"] as? Double)
        let longitude = try #require(oracle["GPSLongitude"] as? Double)
        #expect(abs(try #require(exif.gps?.latitude) - latitude) < 1e-6)
        #expect(abs(try #require(exif.gps?.longitude) - longitude) < 1e-6)
        // The sample is south and west: both coordinates are negative.
        #expect(latitude < 0 && longitude < 0)
    }

    @Test func rawTagsAreNamedByIFDAndTag() throws {
        let raw = try #require(Exif.parse(try exifBlock("photos/camera-gps-south.jpg"))).raw
        let oracle = try Oracle.exiftool(Package.sample("photos/camera-gps-south.jpg"))
        #expect(raw["IFD0.Make"] == .string(try #require(oracle["Make"] as? String)))
        #expect(raw["ExifIFD.FNumber"]?.number == oracle["FNumber"] as? Double)
        #expect(raw["GPS.GPSLatitudeRef"] == .string("S"))
    }

    @Test func windowsXPTagsDecodeFromUTF16() throws {
        let sample = "photos/xp-tags.jpg"
        let raw = try #require(Exif.parse(try exifBlock(sample))).raw
        let oracle = try Oracle.exiftool(Package.sample(sample))
        let title = try #require(oracle["XPTitle"] as? String)
        #expect(raw["IFD0.XPTitle"] == .string(title))
        #expect(raw["IFD0.XPAuthor"] == .string(try #require(oracle["XPAuthor"] as? String)))
    }

    @Test func blankStringsAndZeroDatesAreAbsent() throws {
        let exif = try #require(Exif.parse(try exifBlock("photos/odd-exif.jpg"))).exif
        #expect(exif.make == "Canon")
        #expect(exif.artist == nil)
        #expect(exif.copyright == nil)
        #expect(exif.takenAt == nil)
    }

    @Test func isoDatesCarrySubSecondsAndOffset() {
        #expect(ExifDateProbe.format("2024:06:15 18:42:07", "250", "-03:00") == "2024-06-15T18:42:07.250-03:00")
        #expect(ExifDateProbe.format("2023:01:02 03:04:05", nil, nil) == "2023-01-02T03:04:05")
        #expect(ExifDateProbe.format("0000:00:00 00:00:00", nil, nil) == nil)
        #expect(ExifDateProbe.format("    :  :     :  :  ", nil, nil) == nil)
    }

    /// Real files carry damaged EXIF; parsing mangled and truncated blocks
    /// must never crash, and what survives stays well-formed.
    @Test func damagedBlocksNeverCrash() throws {
        let block = try exifBlock("photos/camera-gps-south.jpg")
        var generator = SeededGenerator(seed: 42)
        for round in 0..<400 {
            var mangled = block
            if round % 2 == 0 {
                mangled.removeSubrange(Int(generator.next() % UInt64(mangled.count))...)
            }
            for _ in 0..<(1 + round % 8) where !mangled.isEmpty {
                mangled[Int(generator.next() % UInt64(mangled.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            if let parsed = Exif.parse(mangled) {
                #expect(parsed.raw.keys.allSatisfy { $0.contains(".") })
            }
        }
        #expect(Exif.parse([]) == nil)
        #expect(Exif.parse(Array("Exif\0\0".utf8)) == nil)
    }

    /// A FLOAT or DOUBLE where a whole number belongs can hold 1e300: once
    /// a trap converting it to Int (found by `fuzz exif`); now absent.
    @Test func hugeNumbersForWholeNumberTagsAreAbsent() throws {
        let huge = TinyExif.double(1e300)
        let parsed = try #require(Exif.parse(TinyExif.block(exifIFDEntries: [
            (0x8827, 12, 1, huge), // ISOSpeedRatings
            (0x9209, 11, 1, TinyExif.le32(Float.greatestFiniteMagnitude.bitPattern)), // Flash
            (0x9003, 2, 20, Array("2024:05:06 07:08:09\0".utf8)), // DateTimeOriginal
            (0x9291, 12, 1, huge), // SubSecTimeOriginal
        ])))
        #expect(parsed.exif.iso == nil)
        #expect(parsed.exif.flash == nil)
        #expect(parsed.exif.takenAt == "2024-05-06T07:08:09")
    }

    /// The record is JSON, which has no NaN: a list holding one (found by
    /// `fuzz exif`) made the asset impossible to store. Such a tag is skipped.
    @Test func listsWithNaNOrInfinityAreSkipped() throws {
        let parsed = try #require(Exif.parse(TinyExif.block(exifIFDEntries: [
            (0x920A, 12, 2, TinyExif.double(4.5) + TinyExif.double(.nan)), // FocalLength
            (0x829D, 11, 2, TinyExif.le32(Float(2.8).bitPattern) + TinyExif.le32(Float.infinity.bitPattern)), // FNumber
            (0xA434, 2, 5, Array("Lens\0".utf8)), // LensModel
        ])))
        #expect(parsed.exif.focalLength == nil && parsed.exif.fNumber == nil)
        #expect(parsed.exif.lens == "Lens")
        #expect(!parsed.raw.keys.contains { $0.hasSuffix(".FocalLength") || $0.hasSuffix(".FNumber") })
        _ = try JSONEncoder().encode(parsed.raw)
    }
}

/// ISO 8601 formatting goes through the public parser with a synthetic block.
enum ExifDateProbe {
    static func format(_ dateTime: String, _ subSeconds: String?, _ offset: String?) -> String? {
        var entries: [(UInt16, String)] = [(0x9003, dateTime)]
        if let subSeconds { entries.append((0x9291, subSeconds)) }
        if let offset { entries.append((0x9011, offset)) }
        return Exif.parse(TinyExif.block(exifIFDStrings: entries))?.exif.takenAt
    }
}

/// Builds minimal little-endian EXIF blocks: IFD0 pointing at an Exif IFD of ASCII or typed entries.
enum TinyExif {
    static func block(exifIFDStrings entries: [(UInt16, String)]) -> [UInt8] {
        block(exifIFDEntries: entries.map { tag, text in
            let bytes = Array(text.utf8) + [0]
            return (tag, 2, UInt32(bytes.count), bytes)
        })
    }

    /// IFD0 pointing at an Exif IFD of (tag, type, count, value bytes) entries.
    static func block(exifIFDEntries entries: [(tag: UInt16, type: UInt16, count: UInt32, bytes: [UInt8])]) -> [UInt8] {
        var tiff: [UInt8] = Array("II".utf8) + le16(42) + le32(8)
        let exifIFDOffset = 8 + 2 + 12 + 4
        tiff += le16(1) + le16(0x8769) + le16(4) + le32(1) + le32(UInt32(exifIFDOffset)) + le32(0)
        var data: [UInt8] = []
        let dataStart = exifIFDOffset + 2 + entries.count * 12 + 4
        var directory = le16(UInt16(entries.count))
        for entry in entries {
            directory += le16(entry.tag) + le16(entry.type) + le32(entry.count)
            if entry.bytes.count <= 4 {
                directory += entry.bytes + [UInt8](repeating: 0, count: 4 - entry.bytes.count)
            } else {
                directory += le32(UInt32(dataStart + data.count))
                data += entry.bytes
            }
        }
        tiff += directory + le32(0) + data
        return Array("Exif".utf8) + [0, 0] + tiff
    }

    /// A DOUBLE as libexif reads it in Intel order: the low word first.
    static func double(_ value: Double) -> [UInt8] {
        le32(UInt32(truncatingIfNeeded: value.bitPattern)) + le32(UInt32(truncatingIfNeeded: value.bitPattern >> 32))
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> ($0 * 8)) & 0xFF) } }
}
