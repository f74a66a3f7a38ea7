internal import CSodium

/// SHA-512 (`crypto_hash_sha512`). Not for our own formats (those use BLAKE2b): only where
/// another standard names it, such as the Subresource Integrity hashes of the web form's scripts.
public enum SHA512 {
    public static let byteCount = Int(crypto_hash_sha512_BYTES)

    public static func hash(_ message: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withRawBytes { m in
            _ = crypto_hash_sha512(&out, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count))
        }
        return out
    }
}

/// SHA-256 (`crypto_hash_sha256`): only for digests people compare with `sha256sum`, such as the
/// offline form's published checksum.
public enum SHA256 {
    public static let byteCount = Int(crypto_hash_sha256_BYTES)

    public static func hash(_ message: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withRawBytes { m in
            _ = crypto_hash_sha256(&out, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count))
        }
        return out
    }
}
