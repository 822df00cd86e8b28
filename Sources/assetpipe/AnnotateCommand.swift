import ArgumentParser
import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation

struct AnnotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Add or remove tags and categories, set or unset custom fields, hide or show, on assets by id or path or on every match of a query.",
        discussion: """
            Custom fields must be defined first (`assetpipe fields define`); a value is read by the \
            field's type (a number, a date as 2024-05-01, true or false, a multi select as a,b) and \
            checked against its definition: one that breaks it is refused, naming the field, the rule \
            and the value, and nothing changes.

            Tags and categories are the catalog's own: processing again, a refresh or a new version keeps \
            them. The file's keywords (XMP dc:subject, IPTC) are tags too, with source "embedded"; removing \
            one, like removing an AI tag, keeps it greyed out (removed, confidence 0) so that the next \
            refresh does not bring it back. Removing a manual tag deletes it. Each asset changed gets an \
            `annotated` entry in its history; an asset the change leaves as it was gets none.

            --hide and --show decide an asset's hidden state (shown by its pixelated rendition) over \
            the pipeline's rule (adult or violent content alerts at likely or higher, by default); \
            the choice outlives refreshes and new versions. --hidden-by-rule gives the decision back \
            to the rule.

            With --query, the matches are listed first and changed in batches of \(Catalog.annotationBatch) \
            assets per transaction (--batch-size): interrupted, the run can be repeated and finishes what is left. Try it \
            with --dry-run first to see how many assets match.

            Examples:
              assetpipe annotate 3f2a… /photos/cat.jpg --tag cats --category pets
              assetpipe annotate --query 'path : "/shoots/2024" AND exif.make = "Canon"' --tag 2024 --dry-run
              assetpipe annotate --query 'tags = draft' --untag draft --tag final
              assetpipe annotate 3f2a… --field rating=5 --field shot_on=2024-05-01 --unset reviewer
              assetpipe annotate --query 'content_alerts.adult >= "possible"' --hide
            """)

    @OptionGroup var catalog: CatalogOptions

    @Argument(help: ArgumentHelp("Asset ids or catalog paths (or --query).", valueName: "ID_OR_PATH"))
    var assets: [String] = []

    @Option(help: ArgumentHelp("Change every asset that matches this query (the language of `assetpipe find`).", valueName: "QUERY"))
    var query: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("Add this tag. Repeatable.", valueName: "TAG"))
    var addTags: [String] = []

    @Option(name: .customLong("untag"), help: ArgumentHelp("Remove this tag. Repeatable.", valueName: "TAG"))
    var removeTags: [String] = []

    @Option(name: .customLong("category"), help: ArgumentHelp("Add this category. Repeatable.", valueName: "CATEGORY"))
    var addCategories: [String] = []

    @Option(name: .customLong("uncategory"), help: ArgumentHelp("Remove this category. Repeatable.", valueName: "CATEGORY"))
    var removeCategories: [String] = []

    @Option(name: .customLong("field"), help: ArgumentHelp("Set a custom field: KEY=VALUE. Repeatable.", valueName: "KEY=VALUE"))
    var setFields: [String] = []

    @Option(name: .customLong("unset"), help: ArgumentHelp("Unset a custom field. Repeatable.", valueName: "KEY"))
    var unsetFields: [String] = []

    @Flag var hiddenChoice: HiddenFlag?

    @OptionGroup var batch: BatchOption

    @Flag(help: "With --query: only count the assets that match; change nothing.")
    var dryRun = false

    @Flag(help: "Print each changed asset's record as a JSON line (ids and paths), or the counts as one JSON line (--query).")
    var json = false

    func validate() throws {
        if assets.isEmpty == (query == nil) {
            throw ValidationError("give asset ids or paths, or --query QUERY (not both)")
        }
        if dryRun, query == nil { throw ValidationError("--dry-run counts the matches of --query; give one") }
    }

    func run() async throws {
        var fields: [String: CustomFieldInput] = [:]
        for assignment in setFields {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--field takes KEY=VALUE, as --field rating=5; '\(assignment)' is not")
            }
            fields[String(assignment[..<equals])] = .text(String(assignment[assignment.index(after: equals)...]))
        }
        let change: AnnotationChange
        do {
            change = try AnnotationChange(addTags: addTags, removeTags: removeTags, addCategories: addCategories,
                                          removeCategories: removeCategories, setFields: fields, unsetFields: unsetFields,
                                          hidden: hiddenChoice?.choice)
        } catch {
            throw ValidationError(error.message)
        }
        if change.isEmpty, !dryRun {
            throw ValidationError("say what to change: --tag, --untag, --category, --uncategory, --field, --unset, --hide, --show or --hidden-by-rule")
        }
        let store = try await catalog.openExistingCatalog()
        let source = ChangeSource(actor: Self.actor)
        do {
            if let query {
                try run(query: query, change, store, source)
            } else {
                let (records, changed) = try store.annotate(assets, with: change, source: source)
                if json {
                    let encoder = AssetRecord.makeEncoder()
                    Terminal.standardOutput.write(try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined())
                } else {
                    Terminal.standardOutput.write("\(changed) of \(records.count) asset\(records.count == 1 ? "" : "s") changed\n")
                }
            }
        } catch let error as CatalogError where error.refused {
            Terminal.standardError.write("assetpipe: \(error.reason); \(error.hint)\n")
            throw ExitCode(2)
        } catch let error as CatalogError {
            throw FatalError(message: error.description)
        }
    }

    private func run(query: String, _ change: AnnotationChange, _ store: Catalog, _ source: ChangeSource) throws {
        let request: FindRequest
        let customFields = try store.customFieldShapes(), collections = try store.collectionQueries()
        do {
            request = try FindRequest(q: query, limit: FindRequest.maximumLimit, count: true, customFields: customFields, collections: collections)
        } catch {
            Terminal.standardError.write("assetpipe: bad --query: \(error.message)\n" + Terminal.printable(error.pointing(into: query)) + "\n")
            throw ExitCode(2)
        }
        if dryRun {
            try store.check(change)
            let matched = try store.find(FindRequest.counting(request)).count ?? 0
            report(["matched": matched], "\(matched) asset\(matched == 1 ? "" : "s") match; nothing was changed (--dry-run)")
            return
        }
        let (matched, changed) = try store.annotate(matching: request, with: change, source: source, batchSize: batch.batchSize)
        report(["matched": matched, "changed": changed], "\(changed) of \(matched) matching asset\(matched == 1 ? "" : "s") changed")
    }

    private func report(_ counts: [String: Int], _ sentence: String) {
        if json, let data = try? JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]) {
            Terminal.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            Terminal.standardOutput.write(sentence + "\n")
        }
    }

    /// Who is changing the catalog, for its history: the login name.
    static var actor: String {
        let name = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        return "user \(name)"
    }
}

/// `--hide`, `--show`, `--hidden-by-rule`: one of them at most.
enum HiddenFlag: String, EnumerableFlag {
    case hide, show
    case hiddenByRule

    var choice: HiddenChoice {
        switch self {
        case .hide: .hide
        case .show: .show
        case .hiddenByRule: .rule
        }
    }

    static func help(for value: HiddenFlag) -> ArgumentHelp? {
        switch value {
        case .hide: "Hide the assets (viewers show their pixelated rendition), whatever the pipeline's rule says."
        case .show: "Show the assets, whatever the pipeline's rule says."
        case .hiddenByRule: "Let the pipeline's rule decide again whether the assets are hidden."
        }
    }
}
