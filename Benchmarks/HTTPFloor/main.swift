// The framework's floor for scripts/bench intake (issue 21): Hummingbird 2 over the intake's TLS
// configuration (TLS 1.3 only, HTTP/1.1), reading the whole body as the intake does and answering
// 201 with a receipt-sized body. Nothing of ours runs per request, so the intake's distance from
// this is its own cost; this one's distance from nginx is the framework's.
// usage: resguardo-http-floor CERT.pem KEY.pem PORT
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

@main
struct HTTPFloor {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 4, let port = Int(arguments[3]) else {
            print("usage: resguardo-http-floor CERT.pem KEY.pem PORT")
            return
        }
        let certificates = try NIOSSLCertificate.fromPEMFile(arguments[1]).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: arguments[2], format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv13
        tls.maximumTLSVersion = .tlsv13
        let router = Router()
        let receipt = ByteBuffer(string: #"{"receipt":"0000-0000-0000-0000"}"#)
        router.post("/v1/reports") { request, _ -> Response in
            // The intake's largest body (61 bytes + 16 MiB), collected the same way.
            _ = try await request.body.collect(upTo: 61 + 16 * 1024 * 1024)
            return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: receipt))
        }
        var logger = Logger(label: "resguardo-http-floor")
        logger.logLevel = .notice
        let app = Application(router: router, server: try .tls(.http1(), tlsConfiguration: tls),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { _ in print("serving https://127.0.0.1:\(port)") }, logger: logger)
        try await app.runService()
    }
}
