import ArgumentParser
import AssetCatalog
import Foundation

/// `assetpipe tags ...` and `assetpipe categories ...`: the same three
/// verbs over either kind of label.
protocol LabelCommand: AsyncParsableCommand {
    static var kind: LabelKind { get }
}

struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags",
        abstract: "List, rename or delete tags across the whole catalog.",
        discussion: """
            A rename or delete reaches every asset with the tag, \(Catalog.annotationBatch) assets per \
            transaction (--batch-size); interrupted, run it again and it finishes. Renaming onto a tag that exists merges \
            the two. A renamed tag becomes a manual one; an embedded or AI tag that was renamed or deleted \
            stays on its assets as removed, so the file or the analyzer does not bring it back.
            """,
        subcommands: [List.self, Rename.self, Delete.self])

    struct List: LabelList {
        static let kind = LabelKind.tags
        @OptionGroup var catalog: CatalogOptions
        @Flag(help: "One JSON object per line: name, count.") var json = false
    }
    struct Rename: LabelRename {
        static let kind = LabelKind.tags
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The tag now.") var old: String
        @Argument(help: "Its new name (an existing tag: merged).") var new: String
    }

    struct Delete: LabelDelete {
        static let kind = LabelKind.tags
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The tag to remove from every asset.") var name: String
    }
}

struct CategoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "categories",
        abstract: "List, rename or delete categories across the whole catalog.",
        discussion: """
            A rename or delete reaches every asset in the category, \(Catalog.annotationBatch) assets per \
            transaction (--batch-size); interrupted, run it again and it finishes. Renaming onto a category that exists \
            merges the two. Deleting cannot be undone.
            """,
        subcommands: [List.self, Rename.self, Delete.self])

    struct List: LabelList {
        static let kind = LabelKind.categories
        @OptionGroup var catalog: CatalogOptions
        @Flag(help: "One JSON object per line: name, count.") var json = false
    }
    struct Rename: LabelRename {
        static let kind = LabelKind.categories
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The category now.") var old: String
        @Argument(help: "Its new name (an existing category: merged).") var new: String
    }

    struct Delete: LabelDelete {
        static let kind = LabelKind.categories
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The category to remove from every asset.") var name: String
    }
}

protocol LabelList: LabelCommand {
    var catalog: CatalogOptions { get }
    var json: Bool { get }
}

extension LabelList {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "Each \(kind.singular) and how many assets have it, most first.")
    }

    func run() async throws {
        let store = try await catalog.openExistingCatalog()
        let labels: [(name: String, count: Int)]
        do {
            labels = try store.labels(Self.kind)
        } catch {
            throw FatalError(message: error.description)
        }
        if json {
            let lines = labels.compactMap { label -> String? in
                guard let data = try? JSONSerialization.data(withJSONObject: ["name": label.name, "count": label.count], options: [.sortedKeys])
                else { return nil }
                return String(decoding: data, as: UTF8.self) + "\n"
            }
            Terminal.standardOutput.write(lines.joined())
        } else if labels.isEmpty {
            Terminal.standardOutput.write("no asset has a \(Self.kind.singular); add one with `assetpipe annotate ID --\(Self.kind == .tags ? "tag" : "category") NAME`\n")
        } else {
            let rows = [[Self.kind.singular.uppercased(), "ASSETS"]] + labels.map { [$0.name, String($0.count)] }
            Terminal.standardOutput.write(Table.render(rows, fitting: Terminal.columns))
        }
    }
}

/// How many assets a bulk change writes per transaction.
struct BatchOption: ParsableArguments {
    @Option(help: ArgumentHelp("Assets changed per transaction (other writers wait at most one batch).", valueName: "N"))
    var batchSize: Int = Catalog.annotationBatch

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size is 1 to 100000") }
    }
}

protocol LabelRename: LabelCommand {
    var catalog: CatalogOptions { get }
    var batch: BatchOption { get }
    var old: String { get }
    var new: String { get }
}

extension LabelRename {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "rename", abstract: "Rename a \(kind.singular) on every asset that has it; onto an existing one, merge them.")
    }

    func run() async throws {
        let (old, new) = try (Self.checked(old), Self.checked(new))
        guard old != new else { throw ValidationError("the old and the new name are the same: '\(old)'") }
        let store = try await catalog.openExistingCatalog()
        let changed: Int
        do {
            changed = try store.rename(Self.kind, old, to: new, source: ChangeSource(actor: AnnotateCommand.actor),
                                       batchSize: batch.batchSize) { total in
                Terminal.standardError.write("\(total) asset\(total == 1 ? "" : "s") renamed so far\n")
            }
        } catch {
            throw FatalError(message: error.description)
        }
        Terminal.standardOutput.write(changed == 0
            ? "no asset has the \(Self.kind.singular) '\(old)' (any that had it are renamed already); nothing changed\n"
            : "'\(old)' is now '\(new)' on \(changed) asset\(changed == 1 ? "" : "s")\n")
    }
}

protocol LabelDelete: LabelCommand {
    var catalog: CatalogOptions { get }
    var batch: BatchOption { get }
    var name: String { get }
}

extension LabelDelete {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "delete", abstract: "Remove a \(kind.singular) from every asset that has it.")
    }

    func run() async throws {
        let name = try Self.checked(name)
        let store = try await catalog.openExistingCatalog()
        let changed: Int
        do {
            changed = try store.delete(Self.kind, named: name, source: ChangeSource(actor: AnnotateCommand.actor),
                                       batchSize: batch.batchSize) { total in
                Terminal.standardError.write("\(total) asset\(total == 1 ? "" : "s") done so far\n")
            }
        } catch {
            throw FatalError(message: error.description)
        }
        Terminal.standardOutput.write(changed == 0
            ? "no asset has the \(Self.kind.singular) '\(name)'; nothing changed\n"
            : "'\(name)' removed from \(changed) asset\(changed == 1 ? "" : "s")\n")
    }
}

extension LabelCommand {
    static func checked(_ name: String) throws -> String {
        do {
            return try LabelName.checked(name, kind)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
