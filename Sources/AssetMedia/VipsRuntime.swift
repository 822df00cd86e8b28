import CLibVips
import CVips
import Foundation

/// The process-wide libvips state: started once, configured once.
public enum VipsRuntime {
    /// Starts libvips (idempotent, thread-safe). Untrusted loaders stay blocked.
    public static func start() throws(MediaError) {
        if let failure = started {
            throw MediaError(.library, "libvips failed to start: \(failure)")
        }
    }

    /// libvips's version, e.g. "8.14.1".
    public static var version: String {
        String(cString: vips_version_string())
    }

    /// Sets how many threads libvips uses inside one operation, and the size
    /// of its operation cache. With many files processed in parallel the
    /// parallelism comes from the files, and a cache of operations on files
    /// never seen again only costs memory.
    ///
    /// `VIPS_CONCURRENCY` in the environment, libvips's own knob, wins over
    /// `threadsPerOperation`.
    public static func configure(threadsPerOperation: Int, cachedOperations: Int) {
        if ProcessInfo.processInfo.environment["VIPS_CONCURRENCY"] == nil {
            vips_concurrency_set(Int32(threadsPerOperation))
        }
        vips_cache_set_max(Int32(cachedOperations))
    }

    /// nil when libvips started; the error text otherwise. Swift runs this
    /// initializer exactly once, under a lock.
    private static let started: String? = {
        if ap_vips_start(CommandLine.arguments.first ?? "assetpipe", 1) != 0 {
            return takeError() ?? "vips_init failed"
        }
        return nil
    }()

    /// Reads and clears libvips's error buffer. The buffer is global across
    /// threads, so under concurrency it may also hold another file's message;
    /// callers only use it to explain a failure they already detected.
    static func takeError() -> String? {
        guard let buffer = vips_error_buffer_copy() else { return nil }
        defer { g_free(buffer) }
        let text = String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
