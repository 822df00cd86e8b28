import AssetMedia

extension AssetError {
    /// A stage's failure on a media error: work stopped by its time limit
    /// (the `Cancellation` of a job timeout) is a `timeout` whatever the
    /// stage, so the queue retries it; any other failure is `reason`, what
    /// this stage's failures mean, with `message` (the error's own by default).
    init(_ error: MediaError, otherwise reason: Reason, _ message: String? = nil) {
        if error.kind == .timeout {
            self.init(.timeout, error.message)
        } else {
            self.init(reason, message ?? error.message)
        }
    }
}
