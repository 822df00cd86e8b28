import ArgumentParser
import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation

struct CollectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collections",
        abstract: "Make and fill collections: static (a list of assets) or smart (a saved query).",
        discussion: """
            A static collection holds the assets you add; each asset's record lists the static \
            collections it is in. A smart collection is a saved query, evaluated whenever it is read, so \
            its members follow the catalog. Either is searched with `collection = "NAME"` (and IN, NOT, \
            EXISTS: in any static collection), and a smart collection's query may name other collections.

            Examples:
              assetpipe collections create "Best of 2024"
              assetpipe collections add "Best of 2024" 3f2a… /photos/cat.jpg
              assetpipe collections create "Canon, this year" --query 'exif.make = "Canon" AND taken_at > "1y"'
              assetpipe collections show "Canon, this year" --limit 20
            """,
        subcommands: [List.self, Create.self, Add.self, Remove.self, Delete.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The collections, with how many assets each holds now.")
        @OptionGroup var catalog: CatalogOptions
        @Flag(help: "One JSON object per line: name, query (smart ones), count.") var json = false

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let collections = try FieldsCommand.catalogCall { try store.collections() }
            if json {
                let lines = collections.compactMap { collection -> String? in
                    var object: [String: Any] = ["name": collection.name, "count": collection.count]
                    object["query"] = collection.query
                    return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) + "\n" }
                }
                Terminal.standardOutput.write(lines.joined())
            } else if collections.isEmpty {
                Terminal.standardOutput.write("no collection yet; make one with `assetpipe collections create NAME [--query Q]`\n")
            } else {
                let rows = [["COLLECTION", "ASSETS", "QUERY"]] + collections.map { [$0.name, String($0.count), $0.query ?? "(static)"] }
                Terminal.standardOutput.write(Table.render(rows, fitting: Terminal.columns))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Make a static collection, or a smart one with --query.")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The collection's name.") var name: String
        @Option(help: ArgumentHelp("A smart collection's query (the language of `assetpipe find`).", valueName: "QUERY")) var query: String?

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            try FieldsCommand.catalogCall { try store.createCollection(name, query: query) }
            Terminal.standardOutput.write("made the \(query == nil ? "static" : "smart") collection \(name)\n")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add assets (ids or paths) to a static collection.")
        @OptionGroup var members: MemberArguments

        func run() async throws { try await members.change(removing: false) }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take assets (ids or paths) out of a static collection.")
        @OptionGroup var members: MemberArguments

        func run() async throws { try await members.change(removing: true) }
    }

    /// What `add` and `remove` take, and the change they make.
    struct MemberArguments: ParsableArguments {
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The collection.") var name: String
        @Argument(help: ArgumentHelp("Asset ids or catalog paths.", valueName: "ID_OR_PATH")) var assets: [String]

        func change(removing: Bool) async throws {
            let store = try await catalog.openExistingCatalog()
            let changed = try FieldsCommand.catalogCall {
                try store.changeMembers(of: name, assets, removing: removing, source: ChangeSource(actor: AnnotateCommand.actor))
            }
            Terminal.standardOutput.write("\(changed) of \(assets.count) asset\(assets.count == 1 ? "" : "s") "
                                          + (removing ? "removed from" : "added to") + " \(name)\n")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete",
                                                        abstract: "Delete a collection (its assets stay in the catalog).")
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The collection.") var name: String

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let changed = try FieldsCommand.catalogCall {
                try store.deleteCollection(name, source: ChangeSource(actor: AnnotateCommand.actor), batchSize: batch.batchSize)
            }
            Terminal.standardOutput.write("deleted the collection \(name)" + (changed > 0 ? " (\(changed) asset\(changed == 1 ? "" : "s") left it)" : "") + "\n")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show",
                                                        abstract: "The assets in a collection, newest first, as `find` prints them.")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The collection.") var name: String
        @Option(help: "Assets per page, 1–\(FindRequest.maximumLimit).") var limit: Int = FindRequest.defaultLimit
        @Option(help: "Start after the page that printed this cursor.") var cursor: String?
        @Flag(help: "One JSON record per line.") var json = false

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let collections = try FieldsCommand.catalogCall { try store.collectionQueries() }
            guard collections[name] != nil else {
                throw FatalError(message: "there is no collection \(name); see `assetpipe collections list`")
            }
            var arguments = ["collection = \(QueryParser.quoted(name))", "--limit", String(limit), "--data", catalog.data]
            if let database = catalog.database { arguments += ["--database", database] }
            if let store = catalog.store { arguments += ["--store", store] }
            if let cursor { arguments += ["--cursor", cursor] }
            if json { arguments.append("--json") }
            var find = try FindCommand.parse(arguments)
            try await find.run()
        }

    }
}
