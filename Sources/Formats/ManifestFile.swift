import DurableFiles
import Foundation
import Sodium

/// The one place a key manifest *file* is trusted (the intake serving it, its no-JavaScript path
/// sealing with it, `purge --acknowledgement` and `import-replies` checking staff signatures with
/// it): the manifest must be signed by the signing key whose fingerprint the operator pinned.
/// A manifest swapped on the host or on the USB stick at a rotation is refused, however well it is
/// self-signed; a rotated manifest is accepted exactly when the pinned key signed it.
public enum ManifestFile {
    /// Reads at most `SignedKeyManifest.maxByteCount` bytes (a larger file is refused unread).
    public static func load(path: String, pinned: SigningKeyFingerprint) throws(ManifestFileError) -> SignedKeyManifest {
        let json = try read(path)
        do { return try SignedKeyManifest(json: json, trust: .fingerprint(pinned)) } catch {
            throw .rejected(path: path, error)
        }
    }

    static func read(_ path: String) throws(ManifestFileError) -> [UInt8] {
        do { return try DurableFile.read(path, maxBytes: SignedKeyManifest.maxByteCount) } catch {
            if error.code == EFBIG { throw .rejected(path: path, .tooLarge(byteCount: SignedKeyManifest.maxByteCount + 1, max: SignedKeyManifest.maxByteCount)) }
            throw .unreadable(path: path)
        }
    }
}

extension SignedKeyManifest {
    /// The fingerprint of the key a manifest *presents*, unverified. Only for showing a person
    /// what trust-on-first-use would pin; never a reason to trust the manifest.
    public static func presentedFingerprint(json: [UInt8]) throws(KeyManifestError) -> SigningKeyFingerprint {
        guard json.count <= maxByteCount else { throw .tooLarge(byteCount: json.count, max: maxByteCount) }
        let outer: JSONValue
        do { outer = try JSONValue.parse(json) } catch { throw .malformedJSON(error.description) }
        guard case .string(let text)? = outer["signing_key"] else { throw .missingField("signing_key") }
        guard let bytes = Encoding.bytes(fromBase64: text), let key = try? VerifyingKey(bytes: bytes),
              let fingerprint = try? SigningKeyFingerprint(verifyingKey: key) else {
            throw .invalidField("signing_key", L("not an Ed25519 public key"))
        }
        return fingerprint
    }
}

public enum ManifestFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String)
    case rejected(path: String, KeyManifestError)

    public var description: String {
        switch self {
        case .unreadable(let path): return L("cannot read the key manifest {path}", ["path": "\(path)"])
        case .rejected(let path, let error): return "\(path): \(error)"
        }
    }

    /// True when the file is readable and well formed but signed by a key other than the pinned one.
    public var isUntrustedKey: Bool {
        if case .rejected(_, .untrustedSigningKey) = self { return true }
        return false
    }
}
