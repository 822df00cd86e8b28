/// What cataloguing a new file does when an asset already exists at its
/// target path. The pipeline file sets the default (`uploads.on_conflict`);
/// a queued job may name its own.
public enum ConflictPolicy: String, Sendable, Codable, CaseIterable {
    /// Nothing is overwritten: the upload fails with reason `exists` (imgix's rule).
    case reject
    /// The asset keeps its id and gets the next version; earlier versions
    /// stay in its history with their hashes.
    case version
    /// The new file becomes a new asset with a unique name: `name_1.jpg`,
    /// `name_2.jpg`, ... (ImageKit's default).
    case rename
}
