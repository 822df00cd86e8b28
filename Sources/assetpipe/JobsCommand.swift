import ArgumentParser
import AssetPipeline
import AssetQueue
import Foundation

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List queued jobs; retry or cancel one.",
        discussion: """
            States: queued, running, succeeded, failed (a permanent result, with its reason), dead \
            (transient failures until its attempts ran out), cancelled.

            Examples:
              assetpipe jobs                      the latest jobs, and counts by state
              assetpipe jobs --state dead --json  dead jobs, one JSON object per line
              assetpipe jobs retry ID             queue a failed, dead or cancelled job again
              assetpipe jobs cancel ID            cancel a job that has not started
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
            var rows = [["ID", "KIND", "STATE", "TRIES", "PRI", "UPDATED", "WHAT", "ERROR"]]
            for job in jobs {
                let what = job.payload.assetID ?? job.payload.target ?? job.payload.origin ?? ""
                let error = job.lastError.map { "\($0.reason): \($0.message)" } ?? ""
                rows.append([job.id, job.kind.rawValue, job.state.rawValue, "\(job.attempts)/\(job.maxAttempts)",
                             "\(job.priority)", Timestamp.format(job.updatedAt), what, String(error.prefix(100))])
            }
            var text = Table.render(rows)
            text += Job.State.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", ") + "\n"
            Terminal.standardOutput.write(text)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a failed, dead or cancelled job again, with fresh attempts.",
            discussion: "A retried job runs again in full: its earlier effect (an errored asset, say) is made again, not skipped.")

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: "The job's id.")
        var id: String

        func run() async throws {
            let job = try await catalog.withQueue(existing: true) { _, queue in
                do throws(QueueError) {
                    return try await queue.retry(id)
                } catch {
                    throw error.fatal
                }
            }
            Terminal.standardOutput.write("\(job.id) \(job.state.rawValue)\n")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a queued job. A running job is not interrupted.")

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: "The job's id.")
        var id: String

        func run() async throws {
            let job = try await catalog.withQueue(existing: true) { _, queue in
                do throws(QueueError) {
                    return try await queue.cancel(id)
                } catch {
                    throw error.fatal
                }
            }
            Terminal.standardOutput.write("\(job.id) \(job.state.rawValue)\n")
        }
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
