import CExif
import Foundation

/// EXIF read with libexif's typed values, normalized the way a catalog needs
/// them. Its JSON form (snake_case) is the asset record's `exif`.
public struct Exif: Sendable, Equatable, Codable {
    public var make: String?
    public var model: String?
    public var lens: String?
    public var software: String?
    public var artist: String?
    public var copyright: String?
    public var description: String?
    /// DateTimeOriginal as ISO 8601, with sub-seconds and offset when the file has them.
    public var takenAt: String?
    /// Seconds.
    public var exposureTime: Double?
    public var fNumber: Double?
    public var iso: Int?
    /// Millimetres.
    public var focalLength: Double?
    public var focalLength35mm: Double?
    /// The EXIF Flash bit field (bit 0: fired).
    public var flash: Int?
    public var gps: GPSPosition?

    public init() {}

    /// True when no field is known: such a block is not worth showing.
    public var isEmpty: Bool { self == Exif() }

    enum CodingKeys: String, CodingKey {
        case make, model, lens, software, artist, copyright, description
        case takenAt = "taken_at"
        case exposureTime = "exposure_time"
        case fNumber = "f_number"
        case iso
        case focalLength = "focal_length"
        case focalLength35mm = "focal_length_35mm"
        case flash, gps
    }
}

/// A position in signed decimal degrees (south and west negative) and metres
/// (below sea level negative).
public struct GPSPosition: Sendable, Equatable, Codable {
    public var latitude: Double?
    public var longitude: Double?
    public var altitude: Double?

    enum CodingKeys: String, CodingKey {
        case latitude = "lat"
        case longitude = "lon"
        case altitude = "alt"
    }
}

extension Exif {
    /// Parses an EXIF block as libvips exposes it (`exif-data`: "Exif\0\0" then
    /// TIFF): the normalized fields, and every readable tag as `IFD.TagName`
    /// (IFD0, IFD1, ExifIFD, GPS, InteropIFD) → value, so nothing is lost.
    ///
    /// libexif loads leniently here: it must not "fix" data to the
    /// specification or drop tags it does not know, and a damaged maker note
    /// must not cost the main IFDs. An unreadable tag is skipped. Returns nil
    /// when the block holds no readable tag at all.
    public static func parse(_ block: [UInt8]) -> (exif: Exif, raw: [String: MetadataValue])? {
        guard !block.isEmpty, let data = exif_data_new() else { return nil }
        defer { exif_data_unref(data) }
        exif_data_unset_option(data, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
        exif_data_unset_option(data, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS)
        exif_data_set_option(data, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE)
        block.withUnsafeBufferPointer { bytes in
            exif_data_load_data(data, bytes.baseAddress, UInt32(clamping: bytes.count))
        }
        let order = exif_data_get_byte_order(data)
        let ifds = data.pointee.ifd
        let contents = [ifds.0, ifds.1, ifds.2, ifds.3, ifds.4]

        var tags = TagTable()
        for (index, content) in contents.enumerated() {
            guard let content, let ifd = IFD(rawValue: index) else { continue }
            for entryIndex in 0..<Int(content.pointee.count) {
                guard let entry = content.pointee.entries[entryIndex],
                      let value = EntryDecoder(entry: entry.pointee, order: order).value() else { continue }
                tags.values[TagKey(ifd: ifd, tag: UInt16(entry.pointee.tag.rawValue))] = value
            }
        }
        guard !tags.values.isEmpty else { return nil }
        return (tags.exif(), tags.raw())
    }
}

/// EXIF's image file directories, in libexif's order, with exiftool's names.
enum IFD: Int, CaseIterable {
    case ifd0 = 0, ifd1, exif, gps, interop

    var name: String {
        switch self {
        case .ifd0: return "IFD0"
        case .ifd1: return "IFD1"
        case .exif: return "ExifIFD"
        case .gps: return "GPS"
        case .interop: return "InteropIFD"
        }
    }

    var libexifIFD: ExifIfd { ExifIfd(rawValue: UInt32(rawValue)) }
}

struct TagKey: Hashable {
    let ifd: IFD
    let tag: UInt16
}

/// Decoded tags keyed by (IFD, number): tag numbers repeat across IFDs
/// (GPS 0x0001 is GPSLatitudeRef, Interop 0x0001 is InteroperabilityIndex).
struct TagTable {
    var values: [TagKey: MetadataValue] = [:]

    func text(_ ifd: IFD, _ tag: UInt16) -> String? {
        guard let value = values[TagKey(ifd: ifd, tag: tag)] else { return nil }
        switch value {
        case .string(let text): return MetadataText.clean(text)
        default: return nil
        }
    }

    func number(_ ifd: IFD, _ tag: UInt16) -> Double? {
        guard let number = values[TagKey(ifd: ifd, tag: tag)]?.number, number.isFinite else { return nil }
        return number
    }

    func exif() -> Exif {
        var exif = Exif()
        exif.make = text(.ifd0, 0x010F)
        exif.model = text(.ifd0, 0x0110)
        exif.software = text(.ifd0, 0x0131)
        exif.artist = text(.ifd0, 0x013B)
        exif.copyright = text(.ifd0, 0x8298)
        exif.description = text(.ifd0, 0x010E)
        exif.lens = text(.exif, 0xA434)
        exif.takenAt = ExifDate.iso8601(
            dateTime: text(.exif, 0x9003),
            subSeconds: text(.exif, 0x9291) ?? wholeNumber(number(.exif, 0x9291)).map { String($0) },
            offset: text(.exif, 0x9011))
        exif.exposureTime = positive(number(.exif, 0x829A))
        exif.fNumber = positive(number(.exif, 0x829D))
        // ISOSpeedRatings (0x8827); newer files may carry only RecommendedExposureIndex-style PhotographicSensitivity (same tag).
        exif.iso = wholeNumber(positive(number(.exif, 0x8827)))
        exif.focalLength = positive(number(.exif, 0x920A))
        exif.focalLength35mm = positive(number(.exif, 0xA405))
        exif.flash = wholeNumber(number(.exif, 0x9209))
        exif.gps = gpsPosition()
        return exif
    }

    func raw() -> [String: MetadataValue] {
        Dictionary(values.map { key, value in ("\(key.ifd.name).\(Self.tagName(key))", value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The whole part of `value`; nil when an Int cannot hold it (a FLOAT
    /// or DOUBLE tag can say 1e300, which `Int(_:)` would trap on).
    private func wholeNumber(_ value: Double?) -> Int? {
        value.flatMap { Int(exactly: $0.rounded(.towardZero)) }
    }

    private func positive(_ value: Double?) -> Double? {
        guard let value, value > 0 else { return nil }
        return value
    }

    private func gpsPosition() -> GPSPosition? {
        func degrees(_ tag: UInt16, negativeRef: String, refTag: UInt16) -> Double? {
            guard let parts = values[TagKey(ifd: .gps, tag: tag)]?.numbers, !parts.isEmpty,
                  parts.allSatisfy({ $0.isFinite }) else { return nil }
            var value = parts[0]
            if parts.count > 1 { value += parts[1] / 60 }
            if parts.count > 2 { value += parts[2] / 3600 }
            if text(.gps, refTag)?.uppercased().hasPrefix(negativeRef) == true { value = -value }
            // 1e-9 degree is under a millimetre: drop the binary noise of the sum.
            return (value * 1e9).rounded() / 1e9
        }
        var position = GPSPosition()
        position.latitude = degrees(0x0002, negativeRef: "S", refTag: 0x0001).flatMap { abs($0) <= 90 ? $0 : nil }
        position.longitude = degrees(0x0004, negativeRef: "W", refTag: 0x0003).flatMap { abs($0) <= 180 ? $0 : nil }
        if var altitude = number(.gps, 0x0006) {
            if number(.gps, 0x0005) == 1 { altitude = -altitude }
            position.altitude = altitude
        }
        // A position needs both coordinates; an altitude alone is kept only with them.
        guard position.latitude != nil, position.longitude != nil else { return nil }
        return position
    }

    static func tagName(_ key: TagKey) -> String {
        if let name = exif_tag_get_name_in_ifd(ExifTag(rawValue: UInt32(key.tag)), key.ifd.libexifIFD) {
            return String(cString: name)
        }
        return String(format: "0x%04X", key.tag)
    }
}

/// Turns one libexif entry into a value, by its declared format. Entries
/// whose size does not cover their declared count are skipped.
struct EntryDecoder {
    let entry: ExifEntry
    let order: ExifByteOrder

    func value() -> MetadataValue? {
        guard let data = entry.data, entry.size > 0 else { return nil }
        let count = Int(entry.components)
        let unit = Int(exif_format_get_size(entry.format))
        let bytes = UnsafeBufferPointer(start: data, count: Int(entry.size))
        let tag = UInt16(entry.tag.rawValue)

        switch entry.format {
        case EXIF_FORMAT_ASCII:
            return MetadataText.decode(bytes).map(MetadataValue.string)
        case EXIF_FORMAT_UNDEFINED:
            return undefined(tag: tag, bytes: bytes)
        case EXIF_FORMAT_BYTE where Self.windowsXPTags.contains(tag):
            return Self.utf16LittleEndian(bytes).map(MetadataValue.string)
        default:
            break
        }
        guard unit > 0, count > 0, count <= 65_536, count * unit <= bytes.count else { return nil }
        var values: [MetadataValue] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            let pointer = data + index * unit
            switch entry.format {
            case EXIF_FORMAT_BYTE: values.append(.int(Int(pointer.pointee)))
            case EXIF_FORMAT_SBYTE: values.append(.int(Int(Int8(bitPattern: pointer.pointee))))
            case EXIF_FORMAT_SHORT: values.append(.int(Int(exif_get_short(pointer, order))))
            case EXIF_FORMAT_SSHORT: values.append(.int(Int(exif_get_sshort(pointer, order))))
            case EXIF_FORMAT_LONG: values.append(.int(Int(exif_get_long(pointer, order))))
            case EXIF_FORMAT_SLONG: values.append(.int(Int(exif_get_slong(pointer, order))))
            case EXIF_FORMAT_RATIONAL:
                let rational = exif_get_rational(pointer, order)
                guard rational.denominator != 0 else { return nil }
                values.append(.double(Double(rational.numerator) / Double(rational.denominator)))
            case EXIF_FORMAT_SRATIONAL:
                let rational = exif_get_srational(pointer, order)
                guard rational.denominator != 0 else { return nil }
                values.append(.double(Double(rational.numerator) / Double(rational.denominator)))
            case EXIF_FORMAT_FLOAT:
                let bits = UInt32(bitPattern: exif_get_slong(pointer, order))
                values.append(.double(Double(Float(bitPattern: bits))))
            case EXIF_FORMAT_DOUBLE:
                let first = UInt64(UInt32(bitPattern: exif_get_slong(pointer, order)))
                let second = UInt64(UInt32(bitPattern: exif_get_slong(pointer + 4, order)))
                let bits = order == EXIF_BYTE_ORDER_MOTOROLA ? first << 32 | second : second << 32 | first
                values.append(.double(Double(bitPattern: bits)))
            default:
                return nil
            }
        }
        // NaN and infinities have no JSON form, and the record is JSON: such an entry is unreadable.
        if values.contains(where: { if case .double(let number) = $0 { !number.isFinite } else { false } }) { return nil }
        return values.count == 1 ? values[0] : .list(values)
    }

    /// XPTitle, XPComment, XPAuthor, XPKeywords, XPSubject: UTF-16LE in BYTE arrays.
    static let windowsXPTags: Set<UInt16> = [0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F]

    private func undefined(tag: UInt16, bytes: UnsafeBufferPointer<UInt8>) -> MetadataValue? {
        switch tag {
        case 0x9286: // UserComment: an 8-byte character code, then the text.
            return Self.userComment(bytes).map(MetadataValue.string)
        case _ where Self.windowsXPTags.contains(tag):
            return Self.utf16LittleEndian(bytes).map(MetadataValue.string)
        default:
            break
        }
        // Version fields ("0232") and other short printable values read as text.
        if bytes.count <= 64, bytes.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0 }), let text = MetadataText.decode(bytes) {
            return .string(text)
        }
        if bytes.count <= 16 {
            return .list(bytes.map { .int(Int($0)) })
        }
        // Opaque binary (maker notes, print settings): kept, base64-encoded, to lose nothing.
        return .string("base64:" + Data(bytes).base64EncodedString())
    }

    static func userComment(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count > 8 else { return nil }
        let code = String(decoding: bytes[0..<8].prefix { $0 != 0 }, as: UTF8.self)
        let text = bytes[8...]
        if code == "UNICODE" {
            // UCS-2 in the byte order of the file; guess by where the zero bytes fall.
            let evenZeros = stride(from: 0, to: text.count, by: 2).filter { text[text.startIndex + $0] == 0 }.count
            let units = stride(from: 0, to: text.count - 1, by: 2).map { offset -> UInt16 in
                let first = UInt16(text[text.startIndex + offset])
                let second = UInt16(text[text.startIndex + offset + 1])
                return evenZeros > text.count / 4 ? first << 8 | second : second << 8 | first
            }
            return MetadataText.clean(String(decoding: units.prefix { $0 != 0 }, as: UTF16.self))
        }
        return MetadataText.decode(text)
    }

    static func utf16LittleEndian(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return MetadataText.clean(String(decoding: units.prefix { $0 != 0 }, as: UTF16.self))
    }
}

/// EXIF dates: "YYYY:MM:DD HH:MM:SS", with SubSecTime and OffsetTime beside them.
enum ExifDate {
    static func iso8601(dateTime: String?, subSeconds: String?, offset: String?) -> String? {
        guard let dateTime, dateTime.count >= 19 else { return nil }
        let characters = Array(dateTime)
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard digits.allSatisfy({ characters[$0].isASCII && characters[$0].isNumber }) else { return nil }
        let year = Int(String(characters[0..<4]))!, month = Int(String(characters[5..<7]))!, day = Int(String(characters[8..<10]))!
        let hour = Int(String(characters[11..<13]))!, minute = Int(String(characters[14..<16]))!, second = Int(String(characters[17..<19]))!
        // "0000:00:00 00:00:00" and other impossible dates mean "unknown".
        guard year > 0, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var result = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second)
        if let subSeconds = subSeconds?.trimmingCharacters(in: .whitespaces), !subSeconds.isEmpty,
           subSeconds.allSatisfy({ $0.isASCII && $0.isNumber }) {
            result += "." + subSeconds
        }
        if let offset = offset?.trimmingCharacters(in: .whitespaces), offset.count == 6,
           offset.first == "+" || offset.first == "-", Array(offset)[3] == ":" {
            result += offset
        }
        return result
    }
}
