import ArgumentParser
import AssetPipeline
import AssetQueue
import Foundation

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List queued jobs; retry or cancel them.",
        discussion: """
            States: queued, running, succeeded, failed (a permanent result, with its reason), dead \
            (transient failures until its attempts ran out), cancelled.

            Examples:
              assetpipe jobs                      the latest jobs, and counts by state
              assetpipe jobs --state dead --json  dead jobs, one JSON object per line
              assetpipe jobs retry ID...          queue failed, dead or cancelled jobs again (ids or prefixes)
              assetpipe jobs retry --state dead   every dead job
              assetpipe jobs cancel ID...         cancel jobs that have not started
            """,
        subcommands: [List.self, Retry.self, Cancel.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, most recently changed first.")

        @OptionGroup var catalog: CatalogOptions

        @Option(help: "Only jobs in this state: queued, running, succeeded, failed, dead or cancelled.")
        var state: Job.State?

        @Option(help: "At most this many jobs.")
        var limit: Int = 50

        @Flag(help: "One JSON job per line; no header, no counts.")
        var json = false

        @Flag(help: "Whole ids and cells, however wide the terminal (a pipe always gets them whole).")
        var wide = false

        func run() async throws {
            let (jobs, counts) = try await catalog.withQueue(existing: true) { _, queue in
                do throws(QueueError) {
                    return (try await queue.list(state: state, limit: max(0, limit)), try await queue.counts())
                } catch {
                    throw error.fatal
                }
            }
            if json {
                let encoder = AssetRecord.makeEncoder()
                Terminal.standardOutput.write(try jobs.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined())
                return
            }
            // On a terminal: short ids (unique prefixes, which retry and cancel
            // take), the error's reason, and the path cut from the left to fit.
            let width = wide ? nil : Terminal.columns
            var rows = [["ID", "KIND", "STATE", "TRIES", "UPDATED", width == nil ? "ERROR" : "REASON", "WHAT"]]
            for job in jobs {
                let what = job.asset?.path ?? job.payload.target ?? job.payload.origin ?? job.payload.assetID ?? ""
                let error = width == nil ? job.lastError.map { "\($0.reason): \($0.message)" } ?? "" : job.lastError?.reason.rawValue ?? ""
                rows.append([width == nil ? job.id : String(job.id.prefix(8)), job.kind.rawValue, job.state.rawValue,
                             "\(job.attempts)/\(job.maxAttempts)", Timestamp.format(job.updatedAt), error, what])
            }
            var text = Table.render(rows, fitting: width)
            text += Job.State.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", ") + "\n"
            Terminal.standardOutput.write(text)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue failed, dead or cancelled jobs again, with fresh attempts.",
            discussion: """
                A retried job runs again in full: its earlier effect (an errored asset, say) is made again, not skipped. \
                Name jobs by id or by a unique prefix of one (as `jobs` prints them), or all jobs in a state.

                Examples:
                  assetpipe jobs retry 3f2a 9b01        two jobs, by prefix
                  assetpipe jobs retry --state dead     every dead job
                """)

        @OptionGroup var catalog: CatalogOptions

        @Option(help: "Every job in this state: failed, dead or cancelled.")
        var state: Job.State?

        @Argument(help: "Job ids, or unique prefixes of them.")
        var ids: [String] = []

        func validate() throws {
            try JobSelection.validate(ids: ids, state: state, allowed: [.failed, .dead, .cancelled])
        }

        func run() async throws {
            try await JobSelection.apply(to: ids, state: state, catalog: catalog) { queue, id throws(QueueError) in try await queue.retry(id) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel queued jobs. A running job is not interrupted.",
            discussion: """
                Name jobs by id or by a unique prefix of one, or all queued jobs with --state queued.

                Examples:
                  assetpipe jobs cancel 3f2a
                  assetpipe jobs cancel --state queued   empty the queue
                """)

        @OptionGroup var catalog: CatalogOptions

        @Option(help: "Every job in this state: queued.")
        var state: Job.State?

        @Argument(help: "Job ids, or unique prefixes of them.")
        var ids: [String] = []

        func validate() throws {
            try JobSelection.validate(ids: ids, state: state, allowed: [.queued])
        }

        func run() async throws {
            try await JobSelection.apply(to: ids, state: state, catalog: catalog) { queue, id throws(QueueError) in try await queue.cancel(id) }
        }
    }
}

/// The jobs `retry` and `cancel` act on: ids, unique prefixes, or a state.
enum JobSelection {
    static func validate(ids: [String], state: Job.State?, allowed: [Job.State]) throws {
        if ids.isEmpty && state == nil { throw ValidationError("name at least one job id (or prefix), or pass --state") }
        if !ids.isEmpty && state != nil { throw ValidationError("name jobs or pass --state, not both") }
        if let state, !allowed.contains(state) {
            throw ValidationError("--state takes \(allowed.map(\.rawValue).joined(separator: " or ")) here, not \(state.rawValue)")
        }
    }

    /// Resolves the selection, applies `change` to each job, and prints
    /// `ID STATE` per job; a job the change refuses is reported and the
    /// rest go on (exit 1 at the end when any was refused).
    static func apply(to ids: [String], state: Job.State?, catalog: CatalogOptions,
                      _ change: @escaping (any JobQueue, String) async throws(QueueError) -> Job) async throws {
        let (output, refusals) = try await catalog.withQueue(existing: true) { _, queue in
            do throws(QueueError) {
                let chosen = try await resolve(ids, state: state, queue)
                var output = "", refusals: [String] = []
                for id in chosen {
                    do throws(QueueError) {
                        let job = try await change(queue, id)
                        output += "\(job.id) \(job.state.rawValue)\n"
                    } catch where error.code != .storage && error.code != .cancelled {
                        refusals.append(error.description)
                    }
                }
                return (output, refusals)
            } catch {
                throw error.fatal
            }
        }
        Terminal.standardOutput.write(output)
        guard refusals.isEmpty else {
            throw FatalError(message: refusals.joined(separator: "\n"))
        }
    }

    /// Full ids for what the user typed: an exact id, or the one job whose id starts with it.
    static func resolve(_ typed: [String], state: Job.State?, _ queue: any JobQueue) async throws(QueueError) -> [String] {
        if let state { return try await queue.list(state: state, limit: Int.max).map(\.id) }
        var all: [Job]?
        var ids: [String] = []
        for text in typed {
            let key = text.lowercased()
            if try await queue.job(key) != nil {
                ids.append(key)
                continue
            }
            if all == nil { all = try await queue.list(state: nil, limit: Int.max) }
            let matches = (all ?? []).filter { $0.id.hasPrefix(key) }
            switch matches.count {
            case 1: ids.append(matches[0].id)
            case 0: throw QueueError(.notFound, operation: "find job \(text)", reason: "no job id starts with \(text)",
                                     hint: "`assetpipe jobs` lists them")
            default:
                throw QueueError(.notFound, operation: "find job \(text)",
                                 reason: "\(matches.count) job ids start with \(text): \(matches.prefix(5).map(\.id).joined(separator: ", "))",
                                 hint: "type more of the id")
            }
        }
        return ids
    }
}

/// Columns padded to their widest cell, two spaces apart. With `fitting`,
/// the last column is cut from the left ("…" and its end, the telling part
/// of a path) so each line fits that many columns.
enum Table {
    static func render(_ rows: [[String]], fitting width: Int? = nil) -> String {
        var rows = rows.map { $0.map { Terminal.printable($0, keepingLineBreaks: false) } }
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        if let width, columns > 0 {
            let room = max(8, width - widths.dropLast().reduce(0) { $0 + $1 + 2 })
            for index in rows.indices where rows[index].count == columns && rows[index][columns - 1].count > room {
                rows[index][columns - 1] = "…" + String(rows[index][columns - 1].suffix(room - 1))
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }
}
