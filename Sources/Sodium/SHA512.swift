internal import CSodium

/// SHA-512 (`crypto_hash_sha512`). Not for our own formats (those use BLAKE2b): only where
/// another standard names it, such as the Subresource Integrity hashes of the web form's scripts.
public enum SHA512 {
    public static let byteCount = Int(crypto_hash_sha512_BYTES)

    public static func hash(_ message: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
        try SHA2.digest(message, byteCount: byteCount) { crypto_hash_sha512($0, $1, $2) }
    }
}

/// SHA-256 (`crypto_hash_sha256`): only for digests people compare with `sha256sum`, such as the
/// offline form's published checksum.
public enum SHA256 {
    public static let byteCount = Int(crypto_hash_sha256_BYTES)

    public static func hash(_ message: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
        try SHA2.digest(message, byteCount: byteCount) { crypto_hash_sha256($0, $1, $2) }
    }
}

/// The call both share: libsodium's one-shot hash into a fresh buffer.
enum SHA2 {
    static func digest(_ message: some ContiguousBytesLike, byteCount: Int,
                       _ hash: (UnsafeMutablePointer<UInt8>, UnsafePointer<UInt8>?, UInt64) -> Int32) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withRawBytes { m in
            out.withUnsafeMutableBufferPointer { o in
                if let base = o.baseAddress { _ = hash(base, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count)) }
            }
        }
        return out
    }
}
