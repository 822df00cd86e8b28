import AssetMedia

/// The one decode of an image: shrink-on-load to the size of the largest
/// derivative, upright, in memory. Every derivative stage after it works on
/// this image; none reloads the file. It also proves the pixels readable: a
/// truncated or damaged file ends here as `corrupt`.
struct DecodeStage: Stage {
    let maxSize: Int
    let damage: Image.DamagePolicy

    func run(_ context: inout AssetContext) throws(AssetError) {
        guard context.header != nil else { return }
        do {
            context.decoded = try Image.decode(context.file, maxSize: maxSize, damage: damage)
        } catch {
            throw AssetError(error, otherwise: .corrupt)
        }
    }
}
