/// A stage's reason for not finishing an asset: a stable machine-readable
/// code and a message for people. Failure is data: the runner records the
/// asset as `errored` with this and moves on.
public struct AssetError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// Stable reason codes. Other programs match on these; never rename one.
    /// Every reason is declared in `Reason.registry`, with whether the queue
    /// retries it.
    public struct Reason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        /// Whether another attempt later may succeed; a reason not in the
        /// registry (read from an older or newer catalog) is final.
        public var isTransient: Bool { Self.registry[self]?.transient ?? false }
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason): \(message)" }

    /// Transient reasons are worth another attempt later; the others are final.
    public var isTransient: Bool { reason.isTransient }
}

extension AssetError.Reason {
    /// What one reason means, and whether the queue retries it.
    public struct Entry: Sendable {
        public let reason: AssetError.Reason
        public let transient: Bool
        public let meaning: String
    }

    /// The one list of reasons: a new reason is one line here.
    public static let entries: [Entry] = [
        Entry(reason: .corrupt, transient: false, meaning: "the bytes are in a known format but cannot be decoded (truncated, damaged)"),
        Entry(reason: .empty, transient: false, meaning: "the file has no bytes"),
        Entry(reason: .inaccessible, transient: true, meaning: "the file cannot be read now: permissions, vanished, still arriving, I/O error"),
        Entry(reason: .notRegularFile, transient: false, meaning: "a FIFO, socket or device, never opened"),
        Entry(reason: .unsupportedFormat, transient: false, meaning: "no enabled decoder handles this kind of file"),
        Entry(reason: .tooLarge, transient: false, meaning: "over the pipeline's file-size or pixel limit"),
        Entry(reason: .tooShort, transient: false, meaning: "a video shorter than the pipeline's video.min_duration"),
        Entry(reason: .internalError, transient: false, meaning: "assetpipe failed on a file it should handle; worth a bug report"),
        Entry(reason: .timeout, transient: true, meaning: "a stage or the job ran past its time limit and was stopped"),
        Entry(reason: .exists, transient: false, meaning: "an asset exists at the target path and the conflict policy is reject"),
        Entry(reason: .notFound, transient: false, meaning: "the job names an asset that is not in the catalog"),
        Entry(reason: .invalidEdit, transient: false, meaning: "an edit's parameters cannot be applied to its asset"),
        Entry(reason: .catalogUnavailable, transient: true, meaning: "the catalog could not be read or written (busy, disk full)"),
        Entry(reason: .leaseExpired, transient: true, meaning: "a worker stopped renewing its lease; the job was claimed again"),
        Entry(reason: .crashed, transient: false, meaning: "every attempt ended with its worker dying (a poison pill)"),
        Entry(reason: .originRefused, transient: false,
              meaning: "the object store refused to hand over the origin: credentials, permissions, no such bucket"),
    ]

    static let registry = Dictionary(uniqueKeysWithValues: entries.map { ($0.reason, $0) })

    /// The bytes are in a known format but cannot be decoded (truncated, damaged).
    public static let corrupt = Self(rawValue: "corrupt")
    /// The file has no bytes.
    public static let empty = Self(rawValue: "empty")
    /// The file cannot be read: permissions, vanished, symlink loop, I/O error.
    public static let inaccessible = Self(rawValue: "inaccessible")
    public static let originRefused = Self(rawValue: "origin_refused")
    /// A FIFO, socket or device: opening one could block forever or read
    /// without end, so it is refused without being opened.
    public static let notRegularFile = Self(rawValue: "not_regular_file")
    /// No enabled decoder handles this kind of file.
    public static let unsupportedFormat = Self(rawValue: "unsupported_format")
    /// Over the pipeline's file-size or pixel limit.
    public static let tooLarge = Self(rawValue: "too_large")
    /// A video shorter than the pipeline's `video.min_duration`.
    public static let tooShort = Self(rawValue: "too_short")
    /// assetpipe failed on a file it should handle (an encoder refused a
    /// decoded image); worth a bug report with the file.
    public static let internalError = Self(rawValue: "internal")
    /// A stage, or the whole job, exceeded its time limit.
    public static let timeout = Self(rawValue: "timeout")
    /// An asset already exists at the target path and the conflict policy is `reject`.
    public static let exists = Self(rawValue: "exists")
    /// The job names an asset that is not in the catalog (deleted, or never there).
    public static let notFound = Self(rawValue: "not_found")
    /// An edit's parameters cannot be applied to its asset (a crop past the
    /// edge, a mark that is not an image): not retried.
    public static let invalidEdit = Self(rawValue: "invalid_edit")
    /// The catalog could not be read or written (busy past its timeout, disk
    /// full): the job is retried later.
    public static let catalogUnavailable = Self(rawValue: "catalog_unavailable")
    /// A worker stopped renewing its lease (it was killed, or hung) and the
    /// job was claimed again.
    public static let leaseExpired = Self(rawValue: "lease_expired")
    /// Every attempt of the job ended with its worker gone (killed, crashed,
    /// hung): the job is `dead` so that it does not take down worker after
    /// worker, and the rest of the queue runs on.
    public static let crashed = Self(rawValue: "crashed")
}
