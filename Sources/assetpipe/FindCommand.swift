import ArgumentParser
import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Search the catalog: filter, sort and page through assets.",
        discussion: """
            QUERY is FIELD OP VALUE terms joined by AND (or nothing), OR and NOT, with parentheses; bare \
            words search names, paths, titles, descriptions, keywords and cameras. Quote the whole query \
            for your shell, and values that hold spaces or symbols for the query.

            Operators: = != < <= > >= ; IN [a, b] ; NOT IN [a, b] ; HAS "words" (every word, case and \
            accents aside; word* is a prefix) ; EXISTS ; path : "/folder" (the folder and everything under \
            it) ; gps NEAR "LAT,LON 5km" ; color NEAR "#1e88e5" [WITHIN dE] [WEIGHT >= share].

            Fields: \(QueryField.listed) (a field of `assetpipe fields list`: =, !=, IN, NOT IN and \
            EXISTS; numbers and dates also < <= > >=).
            Strings compare exactly (case too); an asset without the field matches != and NOT IN. Sizes \
            take "5mb" (1024-based); dates take "2024-05-01", "2024-05-01T12:00:00Z" or a time ago: "7d", \
            "12h", "2w", "1y". color WITHIN is a CIEDE2000 distance (default 10), kept to the colour's \
            neighbourhood (a box CIEDE2000's far, erratic matches fall outside; see the README); WEIGHT \
            the share of the image the colour covers.

            Sorts: \(SortKey.allCases.map(\.rawValue).joined(separator: ", ")) (a - in front for descending; \
            default -created_at, newest first; relevance with HAS or color, best first). A page ends with \
            the next page's cursor on stderr; pass it to --cursor with the same query and sort.

            Examples:
              assetpipe find sunset                              keyword search
              assetpipe find 'exif.make = "Canon" AND width >= 4000' --sort -taken_at
              assetpipe find 'path : "/photos/2024" AND NOT keywords IN [private, draft]'
              assetpipe find 'size > "5mb" OR duration > 60' --count --facet format
              assetpipe find 'color NEAR "#1e88e5" WITHIN 8 WEIGHT >= 0.2' --sort relevance
              assetpipe find 'gps NEAR "48.8584,2.2945 2km" AND taken_at > "1y"' --json
              assetpipe find 'collection = "Best of 2024" AND NOT tags = draft'
              assetpipe find 'tags = beach AND categories IN [Travel, Work] AND custom.rating >= 4'
              assetpipe find 'custom.shot_on < "2024-01-01" AND custom.status = "approved"'

            """)

    @OptionGroup var catalog: CatalogOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Order: \(SortKey.allCases.map(\.rawValue).joined(separator: ", ")); - in front for descending.",
                               valueName: "KEY"))
    var sort: String?

    @Option(help: "Assets per page, 1–\(FindRequest.maximumLimit).")
    var limit: Int = FindRequest.defaultLimit

    @Option(help: "Start after the page that printed this cursor (same query and sort).")
    var cursor: String?

    @Flag(help: "Count every match.")
    var count = false

    @Option(name: .customLong("facet"),
            help: ArgumentHelp("Count matches per value of: \(FacetField.allCases.map(\.rawValue).joined(separator: ", ")). Repeatable.",
                               valueName: "FIELD"))
    var facets: [String] = []

    @Flag(help: "One JSON record per line (then the count and facets as one JSON line, when asked for).")
    var json = false

    @Argument(help: ArgumentHelp("The query; none lists every asset.", valueName: "QUERY"))
    var query: [String] = []

    func run() async throws {
        let text = query.joined(separator: " ")
        let store = try await catalog.openExistingCatalog()
        let request: FindRequest
        do {
            let customFields = try store.customFieldShapes(), collections = try store.collectionQueries()
            request = try FindRequest(q: text, sort: sort, limit: limit, cursor: cursor, count: count, facets: facets, customFields: customFields,
                                      collections: collections)
        } catch let error as QueryError {
            var message = "assetpipe: bad \(error.param == "q" ? "query" : "--\(error.param)"): \(error.message)\n"
            if error.param == "q" { message += Terminal.printable(error.pointing(into: text)) + "\n" }
            Terminal.standardError.write(message)
            throw ExitCode(2)
        } catch {
            throw FatalError(message: "\(error)")
        }
        let page: FindPage<AssetRecord>
        do {
            page = try store.find(request)
        } catch {
            throw FatalError(message: "\(error)")
        }
        if json {
            let encoder = AssetRecord.makeEncoder()
            var text = try page.items.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
            if page.count != nil || !page.facets.isEmpty {
                text += String(decoding: try JSONSerialization.data(withJSONObject: Self.summary(page), options: [.sortedKeys]),
                               as: UTF8.self) + "\n"
            }
            Terminal.standardOutput.write(text)
        } else {
            Terminal.standardOutput.write(Self.table(page))
        }
        if let next = page.nextCursor {
            Terminal.standardError.write("next page: --cursor \(next)\n")
        }
    }

    /// `{"count": N, "facets": {"format": [{"value": "jpeg", "count": 3}, ...]}}`, as HTTP has them.
    static func summary(_ page: FindPage<AssetRecord>) -> [String: Any] {
        var summary: [String: Any] = [:]
        if let count = page.count { summary["count"] = count }
        if !page.facets.isEmpty {
            summary["facets"] = Dictionary(uniqueKeysWithValues: page.facets.map { facet, values in
                (facet.rawValue, values.map { ["value": $0.value, "count": $0.count] as [String: Any] })
            })
        }
        return summary
    }

    private static func table(_ page: FindPage<AssetRecord>) -> String {
        var rows = [["ID", "KIND", "STATUS", "SIZE", "PIXELS", "CREATED", "PATH"]]
        for record in page.items {
            rows.append([record.id ?? "", record.kind?.rawValue ?? "", record.status.rawValue,
                         record.size.map(Self.bytes) ?? "", record.width.map { "\($0)×\(record.height ?? 0)" } ?? "",
                         record.createdAt.map(Timestamp.format) ?? "", record.path])
        }
        var text = Table.render(rows, fitting: Terminal.columns)
        if let count = page.count { text += "\(count) match\(count == 1 ? "" : "es")\n" }
        for (facet, values) in page.facets.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            text += "\(facet.rawValue): " + values.map { "\(Terminal.printable($0.value, keepingLineBreaks: false)) \($0.count)" }
                .joined(separator: ", ") + "\n"
        }
        return text
    }

    static func bytes(_ size: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(size), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(size) B" : String(format: "%.1f %@", value, units[unit])
    }
}
