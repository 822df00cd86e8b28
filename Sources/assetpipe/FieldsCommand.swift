import ArgumentParser
import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation

extension CustomFieldType: ExpressibleByArgument {}

struct FieldsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fields",
        abstract: "Define, change, rename and delete custom fields (typed metadata on every asset).",
        discussion: """
            Types: \(CustomFieldType.allCases.map(\.rawValue).joined(separator: ", ")). Constraints: --min and --max \
            (numbers; dates, as 2024-05-01), --min-length and --max-length (text, textarea), --option \
            (the values of a select, repeatable), --required (every asset has a value: unsetting it is \
            refused, and assets without one get --default), --default (also what new assets get).

            Set values with `assetpipe annotate ID --field KEY=VALUE`; find them with `assetpipe find \
            'custom.KEY >= 4'`. A change that existing values break is refused with their count and \
            examples, unless --clear-invalid unsets them. Renames, merges (a rename onto a field of the \
            same type), deletes and default fills reach every asset, \(Catalog.annotationBatch) per transaction \
            (--batch-size); interrupted, run the same command again and it finishes.

            Examples:
              assetpipe fields define rating --type number --min 1 --max 5
              assetpipe fields define status --type single_select --option draft --option approved --required --default draft
              assetpipe fields change rating --max 10
              assetpipe fields rename status review_status
            """,
        subcommands: [List.self, Define.self, Change.self, Rename.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The custom fields and their definitions.")
        @OptionGroup var catalog: CatalogOptions
        @Flag(help: "One JSON definition per line.") var json = false

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let fields = try FieldsCommand.catalogCall { try store.customFields() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                Terminal.standardOutput.write(try fields.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined())
            } else if fields.isEmpty {
                Terminal.standardOutput.write("no custom field is defined; define one with `assetpipe fields define KEY --type TYPE`\n")
            } else {
                let rows = [["KEY", "TYPE", "RULES"]] + fields.map { [$0.key, $0.type.rawValue, FieldsCommand.rules($0)] }
                Terminal.standardOutput.write(Table.render(rows, fitting: Terminal.columns))
            }
        }
    }

    struct Define: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "define", abstract: "Define a new custom field.")
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The key: letters, digits, _ or -, starting with a letter (queried as custom.KEY).") var key: String
        @Option(help: ArgumentHelp("The type: \(CustomFieldType.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "TYPE"))
        var type: CustomFieldType
        @OptionGroup var constraints: FieldConstraints

        func run() async throws {
            let definition = try constraints.definition(key: key, type: type, current: nil)
            let store = try await catalog.openExistingCatalog()
            let filled = try FieldsCommand.catalogCall {
                try store.defineField(definition, source: ChangeSource(actor: AnnotateCommand.actor), batchSize: batch.batchSize)
            }
            Terminal.standardOutput.write("custom.\(key) is defined (\(type.rawValue))"
                                          + (filled > 0 ? "; \(filled) asset\(filled == 1 ? "" : "s") given the default" : "") + "\n")
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change",
            abstract: "Change a field's type or constraints; what is not given stays as it is ('none' drops a bound).")
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The field's key.") var key: String
        @Option(help: ArgumentHelp("A new type.", valueName: "TYPE")) var type: CustomFieldType?
        @OptionGroup var constraints: FieldConstraints
        @Flag(help: "Unset the values the new definition refuses, rather than refusing the change.") var clearInvalid = false

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            guard let current = try FieldsCommand.catalogCall({ try store.customFields() }).first(where: { $0.key == key }) else {
                throw FatalError(message: "there is no custom field '\(key)'; see `assetpipe fields list`")
            }
            let definition = try constraints.definition(key: key, type: type ?? current.type, current: current)
            let outcome = try FieldsCommand.catalogCall {
                try store.changeField(definition, clearInvalid: clearInvalid, source: ChangeSource(actor: AnnotateCommand.actor),
                                      batchSize: batch.batchSize)
            }
            Terminal.standardOutput.write("custom.\(key) is changed"
                                          + (outcome.cleared > 0 ? "; \(outcome.cleared) value\(outcome.cleared == 1 ? "" : "s") cleared" : "")
                                          + (outcome.filled > 0 ? "; \(outcome.filled) asset\(outcome.filled == 1 ? "" : "s") given the default" : "")
                                          + "\n")
        }
    }

    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rename",
                                                        abstract: "Rename a field on every asset; onto a field of the same type, merge them.")
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The key now.") var old: String
        @Argument(help: "The new key (an existing field of the same type: merged; an asset with both keeps its value there).")
        var new: String
        @Flag(help: "Merging: drop the values the target field refuses, rather than refusing the rename.") var clearInvalid = false

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let changed = try FieldsCommand.catalogCall {
                try store.renameField(old, to: new, clearInvalid: clearInvalid, source: ChangeSource(actor: AnnotateCommand.actor),
                                      batchSize: batch.batchSize)
            }
            Terminal.standardOutput.write("custom.\(old) is now custom.\(new) (\(changed) asset\(changed == 1 ? "" : "s") changed)\n")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Unset a field on every asset and delete it.")
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var batch: BatchOption
        @Argument(help: "The field's key.") var key: String

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let changed = try FieldsCommand.catalogCall {
                try store.deleteField(key, source: ChangeSource(actor: AnnotateCommand.actor), batchSize: batch.batchSize)
            }
            Terminal.standardOutput.write("custom.\(key) is deleted (unset on \(changed) asset\(changed == 1 ? "" : "s"))\n")
        }
    }

    /// Runs a catalog call: a refusal exits 2 with its reason, a failure 1.
    static func catalogCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CatalogError where error.refused {
            Terminal.standardError.write("assetpipe: \(error.reason); \(error.hint)\n")
            throw ExitCode(2)
        } catch let error as CatalogError {
            throw FatalError(message: error.description)
        }
    }

    static func rules(_ field: CustomFieldDefinition) -> String {
        var rules: [String] = []
        if let minimum = field.minimum { rules.append("min \(minimum.display)") }
        if let maximum = field.maximum { rules.append("max \(maximum.display)") }
        if let length = field.minimumLength { rules.append("min length \(length)") }
        if let length = field.maximumLength { rules.append("max length \(length)") }
        if let options = field.options { rules.append("options " + options.joined(separator: ", ")) }
        if field.required { rules.append("required") }
        if let value = field.defaultValue { rules.append("default \(value.display)") }
        return rules.joined(separator: "; ")
    }
}

/// The constraints `define` and `change` take.
struct FieldConstraints: ParsableArguments {
    @Option(help: ArgumentHelp("Least value (number, or date as 2024-05-01); 'none' drops it.", valueName: "VALUE")) var min: String?
    @Option(help: ArgumentHelp("Greatest value (number, or date); 'none' drops it.", valueName: "VALUE")) var max: String?
    @Option(help: ArgumentHelp("Fewest characters (text, textarea); 'none' drops it.", valueName: "N")) var minLength: String?
    @Option(help: ArgumentHelp("Most characters (text, textarea); 'none' drops it.", valueName: "N")) var maxLength: String?
    @Option(name: .customLong("option"), help: ArgumentHelp("A value of a select (repeatable; given, they replace the options).",
                                                            valueName: "VALUE"))
    var options: [String] = []
    @Flag(inversion: .prefixedNo, help: "Every asset has a value (assets without one get --default).") var required: Bool?
    @Option(help: ArgumentHelp("The value new assets get (and, when required, assets without one); 'none' drops it.", valueName: "VALUE"))
    var `default`: String?

    /// The definition: `current`'s constraints with those given replacing them.
    func definition(key: String, type: CustomFieldType, current: CustomFieldDefinition?) throws -> CustomFieldDefinition {
        let keep = current?.type == type ? current : nil
        func bound(_ text: String?, _ kept: CustomValue?, _ name: String) throws -> CustomValue? {
            guard let text else { return keep == nil ? nil : kept }
            if text == "none" { return nil }
            if type == .number {
                guard let number = Double(text) else { throw ValidationError("--\(name) of a number field is a number; '\(text)' is not") }
                return .number(number)
            }
            return .string(text)
        }
        func length(_ text: String?, _ kept: Int?, _ name: String) throws -> Int? {
            guard let text else { return keep == nil ? nil : kept }
            if text == "none" { return nil }
            guard let number = Int(text) else { throw ValidationError("--\(name) is a whole number; '\(text)' is not") }
            return number
        }
        do {
            let minimum = try bound(min, current?.minimum, "min"), maximum = try bound(max, current?.maximum, "max")
            let minimumLength = try length(minLength, current?.minimumLength, "min-length")
            let maximumLength = try length(maxLength, current?.maximumLength, "max-length")
            let optionList = options.isEmpty ? keep?.options : options
            let isRequired = required ?? current?.required ?? false
            let plain = try CustomFieldDefinition(key: key, type: type, minimum: minimum, maximum: maximum, minimumLength: minimumLength,
                                                  maximumLength: maximumLength, options: optionList)
            let defaultValue: CustomValue?
            switch self.default {
            case "none"?: defaultValue = nil
            case let text?: defaultValue = try plain.parse(text)
            case nil: defaultValue = keep?.defaultValue
            }
            return try CustomFieldDefinition(key: key, type: type, minimum: minimum, maximum: maximum, minimumLength: minimumLength,
                                             maximumLength: maximumLength, options: optionList, required: isRequired, defaultValue: defaultValue)
        } catch let error as AnnotationError {
            throw ValidationError(error.message)
        }
    }
}
