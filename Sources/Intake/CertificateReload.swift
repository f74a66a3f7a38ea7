import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The TLS certificate and key, read again on SIGHUP (an ACME client renews them and signals the
/// intake). Every handshake asks for the current pair (NIOSSL's context callback), so new
/// connections get the new certificate at once and open ones are not touched. A pair that does
/// not load (a half-written file) is refused and the old one kept; the failure is counted.
final class ReloadableCertificate: Sendable {
    let certificatePath: String
    let keyPath: String
    let counters: IntakeCounters
    private let current: NIOLockedValueBox<NIOSSLContextConfigurationOverride>

    init(certificatePath: String, keyPath: String, counters: IntakeCounters) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.counters = counters
        current = NIOLockedValueBox(try Self.load(certificatePath, keyPath))
    }

    static func load(_ certificatePath: String, _ keyPath: String) throws -> NIOSSLContextConfigurationOverride {
        var pair = NIOSSLContextConfigurationOverride()
        pair.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        pair.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        return pair
    }

    func reload() {
        do {
            let pair = try Self.load(certificatePath, keyPath)
            current.withLockedValue { $0 = pair }
            counters.count("certificate_reloaded")
        } catch {
            counters.failed("certificate_reload")
        }
    }

    var callback: NIOSSLContextCallback {
        { [current] _, promise in promise.succeed(current.withLockedValue { $0 }) }
    }
}

/// Turns SIGHUP into a certificate reload for as long as the server runs (SIGHUP would otherwise
/// end the process: a renewal would take the intake down).
struct CertificateReloadService: Service {
    let certificate: ReloadableCertificate

    func run() async throws {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "sighup"))
        let certificate = certificate
        source.setEventHandler { certificate.reload() }
        source.resume()
        try? await gracefulShutdown()
        source.cancel()
    }
}
