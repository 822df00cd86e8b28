import AssetMedia

/// SHA-256 of the bytes, streamed.
struct HashStage: Stage {
    func run(_ context: inout AssetContext) throws(AssetError) {
        do {
            context.record.sha256 = try context.file.sha256()
        } catch {
            throw AssetError(error, otherwise: .inaccessible)
        }
    }
}
