import ArgumentParser
import AssetCatalog
import AssetPipeline
import Foundation

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show what happened to an asset: created, updated, versioned, refreshed, deleted, edited.",
        discussion: """
            The asset is named by its id or by its catalog path; a path shows every asset that has \
            been there, deleted ones included (their last entry is the tombstone). Each entry has the \
            time, the version, who made the change (`process`, or the worker and its job) and what \
            changed: the SHA-256 of the version's bytes, and the one it replaced.
            """)

    @OptionGroup var catalog: CatalogOptions

    @Argument(help: ArgumentHelp("The asset's id, or its path.", valueName: "ID_OR_PATH"))
    var asset: String

    @Flag(help: "One JSON event per line.")
    var json = false

    @Flag(help: "Whole ids and cells, however wide the terminal (a pipe always gets them whole).")
    var wide = false

    func run() async throws {
        let store = try await catalog.openExistingCatalog()
        var events: [AssetEvent]
        do {
            events = try store.history(idOrPath: asset)
            if events.isEmpty { events = try store.history(idOrPath: InputWalker.absolutePath(asset)) }
        } catch {
            throw FatalError(message: error.description)
        }
        guard !events.isEmpty else {
            throw FatalError(message: "no history for '\(asset)' in \(store.location); name an asset by its id or catalog path")
        }
        if json {
            let encoder = AssetRecord.makeEncoder()
            Terminal.standardOutput.write(try events.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined())
            return
        }
        // On a terminal: the minute, short ids, the name (cut from the left), no actor, and the detail cut to fit.
        let width = wide ? nil : Terminal.columns
        var rows = width == nil ? [["TIME", "ASSET", "VERSION", "ACTION", "PATH", "BY", "DETAIL"]]
                                : [["TIME", "ASSET", "V", "ACTION", "NAME", "DETAIL"]]
        for event in events {
            let detail = event.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            guard width != nil else {
                let by = event.actor + (event.jobID.map { " (job \($0))" } ?? "")
                rows.append([Timestamp.format(event.at), event.assetID, "v\(event.version)", event.action.rawValue, event.path, by, detail])
                continue
            }
            let time = String(Timestamp.format(event.at).prefix(16)).replacingOccurrences(of: "T", with: " ")
            let name = Terminal.printable((event.path as NSString).lastPathComponent, keepingLineBreaks: false)
            rows.append([time, String(event.assetID.prefix(8)), "\(event.version)", event.action.rawValue,
                         name.count > 20 ? "…" + String(name.suffix(19)) : name, detail])
        }
        Terminal.standardOutput.write(Table.render(rows, fitting: width))
    }
}
