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

    /// Whether libvips generates SIMD code at run time (Orc): off unless
    /// ASSETPIPE_VIPS_ORC=1 (see `started`).
    public static var generatesSIMDCode: Bool { ap_vips_vector_enabled() != 0 }

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
        // Orc, libvips's run-time SIMD compiler, crashed `process` in liborc
        // 0.4.33 (Debian 12) about once in a few thousand files processed
        // side by side (a SIGSEGV in liborc, seen twice; the thread-safety
        // trouble sharp made Orc switchable for, lovell/sharp#172). Off, a
        // batch of 1200x900 JPEGs took about 4 % longer (median of 3). A
        // crash loses a whole batch's work in flight; 4 % does not.
        // ASSETPIPE_VIPS_ORC=1 turns it back on.
        if ProcessInfo.processInfo.environment["ASSETPIPE_VIPS_ORC"] != "1" {
            ap_vips_set_vector_enabled(0)
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
