import Hummingbird
import NIOCore
import Formats

/// `GET /`: until the web form lands (its own issue), a small bilingual page that says what this
/// server is and shows the signing-key fingerprint to compare.
enum WebPage {
    static func response(for request: Request, manifest: KeyManifest) -> Response {
        let html = """
        <!doctype html>
        <html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Resguardo</title></head>
        <body>
        <h1>Resguardo</h1>
        <p>Canal cifrado para denunciar agresiones contra defensoras de derechos humanos. El formulario estará disponible pronto.</p>
        <p lang="en">Encrypted channel for reporting attacks on women human rights defenders. The form is coming soon.</p>
        <p>Organización / Organisation: \(escape(manifest.organisation))</p>
        </body></html>
        """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
