import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Why `serve` could not start listening, in words that name the address
/// and say what to do, instead of the socket call that failed.
public enum StartupFailure {
    /// A message for `error` from starting the server on `host`:`port`; nil
    /// when the error is not about the listening socket.
    public static func explain(_ error: any Error, host: String, port: Int) -> String? {
        guard let error = error as? IOError else { return nil }
        let address = "http://\(host):\(port)"
        switch error.errnoCode {
        case EADDRINUSE:
            return "cannot listen on \(address): the port is already in use (another `assetpipe serve`, or another program, "
                + "holds it). Stop that, or choose another --port"
        case EACCES:
            return "cannot listen on \(address): not allowed to use port \(port) (ports below 1024 need privileges). "
                + "Choose --port 1024 or above, or give the binary CAP_NET_BIND_SERVICE"
        case EADDRNOTAVAIL:
            return "cannot listen on \(address): \(host) is not an address of this machine. "
                + "Use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)"
        default:
            return "cannot listen on \(address): \(String(cString: strerror(error.errnoCode)))"
        }
    }
}
