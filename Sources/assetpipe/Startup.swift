import ArgumentParser
import AssetMedia
import AssetPipeline
import Foundation
import Logging

/// What the commands that run the pipeline do first.
enum Startup {
    /// Log lines on stderr at `level` and above, in `format`.
    static func bootstrapLogging(_ level: Logger.Level, format: LogFormat = .logfmt) {
        LoggingSystem.bootstrap { label in
            var handler = TerminalLogHandler(label: label)
            handler.logLevel = level
            handler.format = format
            return handler
        }
    }

    /// The pipeline file at `path`, or the built-in pipeline; a bad file is a usage error.
    static func pipeline(_ path: String?) throws -> PipelineDefinition {
        do {
            return try path.map { try PipelineDefinition.load(contentsOf: $0) } ?? .default
        } catch let error as PipelineDefinitionError {
            throw ValidationError("bad pipeline file: \(error)")
        }
    }

    /// Starts libvips for `parallel` images processed side by side: with at
    /// least one per core, one libvips thread each, since a pipeline is a
    /// chain of small operations whose threads mostly wait on each other
    /// (scripts/bench and scripts/bench-render measure this; VIPS_CONCURRENCY
    /// overrides it). No operation cache: each source is decoded once.
    static func startLibvips(parallel: Int) throws {
        do {
            try VipsRuntime.start()
        } catch {
            throw FatalError(message: "\(error.message); check that libvips is installed (apt-get install libvips42)")
        }
        VipsRuntime.configure(threadsPerOperation: parallel >= ProcessInfo.processInfo.activeProcessorCount ? 1 : 0,
                              cachedOperations: 0)
    }
}
