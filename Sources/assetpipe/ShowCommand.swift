import ArgumentParser
import AssetCatalog
import AssetPipeline
import Foundation

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one asset's record as JSON.",
        discussion: "The asset is named by its id, or by its path (relative paths are resolved against the working directory, as `process` does).")

    @OptionGroup var catalog: CatalogOptions

    @Argument(help: ArgumentHelp("The asset's id or its file path.", valueName: "ID_OR_PATH"))
    var asset: String

    func run() async throws {
        let store = try await catalog.openExistingCatalog()
        let found: AssetRecord?
        do {
            found = try store.record(idOrPath: asset) ?? store.record(idOrPath: InputWalker.absolutePath(asset))
        } catch {
            throw FatalError(message: "\(error)")
        }
        guard let found else {
            throw FatalError(message: "no asset with id or path '\(asset)' in \(store.location)")
        }
        let encoder = AssetRecord.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        Terminal.standardOutput.write(String(decoding: try encoder.encode(found), as: UTF8.self) + "\n")
    }
}
