import ArgumentParser
import AssetCatalog
import AssetMedia
import AssetPipeline
import Foundation

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one asset's record as JSON.",
        discussion: """
            The asset is named by its id, or by its path (relative paths are resolved against the working \
            directory, as `process` does). Printed indented, with long binary EXIF values (maker notes) cut \
            to their first bytes and their size; --full prints them whole, --json prints the whole record \
            on one line (as `process --json` and `find --json` do), --fields only the keys named.

            Examples:
              assetpipe show photos/IMG_0001.jpg
              assetpipe show --fields id,path,exif.make,color.dominant 3f2a…
              assetpipe show --json 3f2a… | jq .exif_raw
            """)

    @OptionGroup var catalog: CatalogOptions

    @Flag(help: "The whole record on one line, binary values included.")
    var json = false

    @Flag(help: "Print binary EXIF values (maker notes) whole.")
    var full = false

    @Option(help: ArgumentHelp("Only these keys, comma-separated; a dot reaches inside (exif.make, video.duration).",
                               valueName: "KEYS"))
    var fields: String?

    @Argument(help: ArgumentHelp("The asset's id or its file path.", valueName: "ID_OR_PATH"))
    var asset: String

    /// A binary value longer than this is cut, unless --full or --json.
    static let binaryShown = 48

    func run() async throws {
        let store = try await catalog.openExistingCatalog()
        var found: AssetRecord?
        do {
            found = try store.record(idOrPath: asset) ?? store.record(idOrPath: InputWalker.absolutePath(asset))
        } catch {
            throw FatalError(message: "\(error)")
        }
        guard var record = found else {
            throw FatalError(message: "no asset with id or path '\(asset)' in \(store.location)")
        }
        if !full && !json { record.exifRaw = record.exifRaw?.mapValues(Self.abbreviated) }
        let encoder = AssetRecord.makeEncoder()
        if !json { encoder.outputFormatting.insert(.prettyPrinted) }
        var data = try encoder.encode(record)
        if let fields {
            data = try Self.select(fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, from: data,
                                   pretty: !json)
        }
        Terminal.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    /// A `base64:` value cut to its first bytes, with how long it is.
    static func abbreviated(_ value: MetadataValue) -> MetadataValue {
        guard case .string(let text) = value, text.hasPrefix("base64:"), text.count > binaryShown else { return value }
        let bytes = (text.count - "base64:".count) * 3 / 4
        return .string(String(text.prefix(binaryShown)) + "… (\(bytes) bytes; --full shows all)")
    }

    /// The record's JSON with only the keys named (dotted paths reach into objects); a key the record lacks is left out.
    static func select(_ keys: [String], from data: Data, pretty: Bool) throws -> Data {
        guard let record = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return data }
        var selected: [String: Any] = [:]
        for key in keys where !key.isEmpty {
            let path = key.split(separator: ".").map(String.init)
            var value: Any? = record
            for part in path { value = (value as? [String: Any])?[part] }
            if let value { selected[key] = value }
        }
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return try JSONSerialization.data(withJSONObject: selected, options: options)
    }
}
