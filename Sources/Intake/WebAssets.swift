import CZlib
import Foundation
import Sodium
import Formats

/// The web form's static files, read once at start-up: our own (package resources in `Web/`) and
/// tweetnacl from Debian's `node-tweetnacl` at its installed path. Each gets a Subresource
/// Integrity hash, so the page names exactly the bytes it expects and a swapped file on the way
/// (or on disk after start-up) does not run.
public struct WebAssets: Sendable {
    public struct Asset: Sendable {
        public let name: String
        public let contentType: String
        public let bytes: [UInt8]
        /// `sha512-…`, the value of the `integrity` attribute (of the decoded bytes, which is
        /// what browsers check, so the gzipped form below needs no hash of its own).
        public let integrity: String
        /// The same bytes gzipped once at start-up, when that is smaller: a phone on a 400 kbit/s
        /// link waits for every byte (scripts/bench web). Only these public, fixed files are
        /// compressed, never a page or an answer that could mix a secret with what a visitor sent.
        public let gzipped: [UInt8]?
    }

    public static let defaultTweetNaClPath = "/usr/share/nodejs/tweetnacl/nacl-fast.min.js"
    /// Served under this name whatever the installed file is called.
    static let tweetNaClName = "nacl-fast.min.js"
    /// Load order matters: each script uses the globals of the ones before it.
    static let scriptNames = [tweetNaClName, "blake2b.js", "sealing.js", "form.js"]
    static let ownNames = ["blake2b.js", "sealing.js", "form.js", "form.css"]

    public let byName: [String: Asset]

    public init(tweetNaClPath: String) throws(ConfigurationError) {
        var assets: [String: Asset] = [:]
        guard let nacl = FileManager.default.contents(atPath: tweetNaClPath) else {
            throw .missingFile(L("tweetnacl at {tweet_na_cl_path}", ["tweet_na_cl_path": "\(tweetNaClPath)"]), hint: L("install Debian's node-tweetnacl, or set `web.tweetnacl`"))
        }
        assets[Self.tweetNaClName] = try Self.asset(Self.tweetNaClName, Array(nacl))
        let folder = try Self.resourceFolder()
        for name in Self.ownNames {
            let path = folder.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path, hint: L("reinstall the intake with its resources")) }
            assets[name] = try Self.asset(name, Array(data))
        }
        // The proof of work's hash as WebAssembly (built from Web/pow.c by scripts/setup): optional,
        // the page falls back to its JavaScript BLAKE2b without it.
        if let wasm = FileManager.default.contents(atPath: folder.appendingPathComponent(Self.powWasmName).path) {
            assets[Self.powWasmName] = try Self.asset(Self.powWasmName, Array(wasm))
        }
        // The codename word list, fetched by the page only when a defender asks for a codename.
        assets[Self.wordListName] = try Self.asset(Self.wordListName, Array((Codename.wordList.joined(separator: "\n") + "\n").utf8))
        byName = assets
    }

    static let wordListName = "codename-words-es.txt"
    var wordList: Asset? { byName[Self.wordListName] }
    static let powWasmName = "pow.wasm"
    var powWasm: Asset? { byName[Self.powWasmName] }

    /// The form's files, installed by SwiftPM next to the executable. Looked up here rather than
    /// through `Bundle.module`, whose accessor stops the process when the folder is missing: a
    /// server copied without it should say so and exit, not crash.
    static func resourceFolder() throws(ConfigurationError) -> URL {
        let bundleName = "resguardo_Intake.resources"
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [Bundle.main.bundleURL, executable] {
            let folder = base.appendingPathComponent(bundleName).appendingPathComponent("Web")
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("form.js").path) { return folder }
        }
        throw .missingFile(L("the web form's files"), hint: L("{bundle_name}/Web must be next to resguardo-intake, as swift build installs it", ["bundle_name": "\(bundleName)"]))
    }

    static func asset(_ name: String, _ bytes: [UInt8]) throws(ConfigurationError) -> Asset {
        let digest: [UInt8]
        do { digest = try SHA512.hash(bytes) } catch { throw .invalid(name, "cannot hash: \(error)") }
        let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".txt") ? "text/plain; charset=utf-8"
            : name.hasSuffix(".wasm") ? "application/wasm" : "text/javascript; charset=utf-8"
        let packed = Gzip.compress(bytes).flatMap { $0.count < bytes.count ? $0 : nil }
        return Asset(name: name, contentType: type, bytes: bytes, integrity: "sha512-" + Encoding.base64(digest), gzipped: packed)
    }

    var scripts: [Asset] { Self.scriptNames.compactMap { byName[$0] } }
    var stylesheet: Asset? { byName["form.css"] }

    /// What a first visit downloads: the scripts, the stylesheet and the WebAssembly (fetched at
    /// once, so it is ready when a proof is asked; the page itself is added by the caller; the
    /// word list only comes when a codename is asked for).
    public var byteCount: Int { byName.values.filter { $0.name != Self.wordListName }.reduce(0) { $0 + $1.bytes.count } }
}

/// gzip (RFC 1952) through zlib, at its best compression: run once per file at start-up.
enum Gzip {
    static func compress(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
        guard deflateInit2_(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
