import ArgumentParser
import AssetCatalog
import Foundation

/// `assetpipe tags ...` and `assetpipe categories ...`: the same three
/// verbs over either kind of label, written once (`LabelList`,
/// `LabelRename`, `LabelDelete`) and named for each by a `LabelSelector`.
protocol LabelSelector {
    static var kind: LabelKind { get }
}

enum TagLabels: LabelSelector {
    static var kind: LabelKind { .tags }
}

enum CategoryLabels: LabelSelector {
    static var kind: LabelKind { .categories }
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
        subcommands: [LabelList<TagLabels>.self, LabelRename<TagLabels>.self, LabelDelete<TagLabels>.self])
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
        subcommands: [LabelList<CategoryLabels>.self, LabelRename<CategoryLabels>.self, LabelDelete<CategoryLabels>.self])
}

struct LabelList<Label: LabelSelector>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "Each \(Label.kind.singular) and how many assets have it, most first.")
    }

    @OptionGroup var catalog: CatalogOptions
    @Flag(help: "One JSON object per line: name, count.") var json = false

    func run() async throws {
        let kind = Label.kind
        let store = try await catalog.openExistingCatalog()
        let labels = try FieldsCommand.catalogCall { try store.labels(kind) }
        if json {
            let lines = labels.compactMap { label -> String? in
                guard let data = try? JSONSerialization.data(withJSONObject: ["name": label.name, "count": label.count], options: [.sortedKeys])
                else { return nil }
                return String(decoding: data, as: UTF8.self) + "\n"
            }
            Terminal.standardOutput.write(lines.joined())
        } else if labels.isEmpty {
            Terminal.standardOutput.write("no asset has a \(kind.singular); add one with `assetpipe annotate ID --\(kind == .tags ? "tag" : "category") NAME`\n")
        } else {
            let rows = [[kind.singular.uppercased(), "ASSETS"]] + labels.map { [$0.name, String($0.count)] }
            Terminal.standardOutput.write(Table.render(rows, fitting: Terminal.columns))
        }
    }
}

struct LabelRename<Label: LabelSelector>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "rename",
                             abstract: "Rename a \(Label.kind.singular) on every asset that has it; onto an existing one, merge them.")
    }

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var batch: BatchOption
    @Argument(help: ArgumentHelp("The \(Label.kind.singular) now.")) var old: String
    @Argument(help: ArgumentHelp("Its new name (an existing \(Label.kind.singular): merged).")) var new: String

    func run() async throws {
        let kind = Label.kind
        let (old, new) = try (LabelArguments.checked(old, kind), LabelArguments.checked(new, kind))
        guard old != new else { throw ValidationError("the old and the new name are the same: '\(old)'") }
        let store = try await catalog.openExistingCatalog()
        let changed = try FieldsCommand.catalogCall {
            try store.rename(kind, old, to: new, source: ChangeSource(actor: AnnotateCommand.actor), batchSize: batch.labelBatchSize) { total in
                Terminal.standardError.write("\(total) asset\(total == 1 ? "" : "s") renamed so far\n")
            }
        }
        Terminal.standardOutput.write(changed == 0
            ? "no asset has the \(kind.singular) '\(old)' (any that had it are renamed already); nothing changed\n"
            : "'\(old)' is now '\(new)' on \(changed) asset\(changed == 1 ? "" : "s")\n")
    }
}

struct LabelDelete<Label: LabelSelector>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "delete", abstract: "Remove a \(Label.kind.singular) from every asset that has it.")
    }

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var batch: BatchOption
    @Argument(help: ArgumentHelp("The \(Label.kind.singular) to remove from every asset.")) var name: String

    func run() async throws {
        let kind = Label.kind
        let name = try LabelArguments.checked(name, kind)
        let store = try await catalog.openExistingCatalog()
        let changed = try FieldsCommand.catalogCall {
            try store.delete(kind, named: name, source: ChangeSource(actor: AnnotateCommand.actor), batchSize: batch.labelBatchSize) { total in
                Terminal.standardError.write("\(total) asset\(total == 1 ? "" : "s") done so far\n")
            }
        }
        Terminal.standardOutput.write(changed == 0
            ? "no asset has the \(kind.singular) '\(name)'; nothing changed\n"
            : "'\(name)' removed from \(changed) asset\(changed == 1 ? "" : "s")\n")
    }
}

/// How many assets a bulk change writes per transaction.
/// Asset by asset changes (annotate, fields) default to
/// `Catalog.annotationBatch`; a rename or delete of a tag or category,
/// written set-based, to the larger `Catalog.labelBatch`.
struct BatchOption: ParsableArguments {
    @Option(name: .customLong("batch-size"),
            help: ArgumentHelp("Assets changed per transaction (other writers wait at most one batch); "
                               + "default \(Catalog.annotationBatch), \(Catalog.labelBatch) for a tag or category rename or delete.",
                               valueName: "N"))
    var chosenBatchSize: Int?

    var batchSize: Int { chosenBatchSize ?? Catalog.annotationBatch }
    var labelBatchSize: Int { chosenBatchSize ?? Catalog.labelBatch }

    func validate() throws {
        if let chosenBatchSize, !(1...100_000).contains(chosenBatchSize) { throw ValidationError("--batch-size is 1 to 100000") }
    }
}

enum LabelArguments {
    /// A name as `LabelName` takes it; a usage error (exit 2) otherwise.
    static func checked(_ name: String, _ kind: LabelKind) throws -> String {
        do {
            return try LabelName.checked(name, kind)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
