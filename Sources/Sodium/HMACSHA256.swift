internal import CSodium

/// HMAC-SHA-256 (`crypto_auth_hmacsha256`, any key length) and PBKDF2-HMAC-SHA-256 built on it:
/// what SLIP-0039 prescribes (its Feistel rounds and its share digest), so shares made here
/// combine in every other implementation of the standard.
public enum HMACSHA256 {
    public static let byteCount = Int(crypto_auth_hmacsha256_BYTES)

    public static func mac(_ message: some ContiguousBytesLike, key: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var state = crypto_auth_hmacsha256_state()
        defer { sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size) }
        var out = [UInt8](repeating: 0, count: byteCount)
        // An empty buffer has no address; libsodium still wants one (it reads no byte of it).
        var none: UInt8 = 0
        key.withRawBytes { k in
            if let p = k.baseAddress?.assumingMemoryBound(to: UInt8.self) { _ = crypto_auth_hmacsha256_init(&state, p, k.count) }
            else { _ = crypto_auth_hmacsha256_init(&state, &none, 0) }
        }
        message.withRawBytes { m in
            if let p = m.baseAddress?.assumingMemoryBound(to: UInt8.self) { _ = crypto_auth_hmacsha256_update(&state, p, UInt64(m.count)) }
            else { _ = crypto_auth_hmacsha256_update(&state, &none, 0) }
        }
        _ = crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    /// PBKDF2 (RFC 8018) with HMAC-SHA-256: `iterations` ≥ 1, `byteCount` ≥ 1. The result is
    /// secret, so it is returned in guarded memory; the working blocks are wiped.
    public static func pbkdf2(password: some ContiguousBytesLike, salt: [UInt8], iterations: Int, byteCount length: Int) throws(SodiumError) -> SecureBytes {
        guard iterations >= 1, length >= 1 else { throw .invalidHashParameter("PBKDF2 needs iterations ≥ 1 and a length ≥ 1") }
        var output: [UInt8] = []
        output.reserveCapacity(length + byteCount)
        var block: UInt32 = 1
        while output.count < length {
            var u = try mac(salt + [UInt8(block >> 24), UInt8((block >> 16) & 0xFF), UInt8((block >> 8) & 0xFF), UInt8(block & 0xFF)], key: password)
            var t = u
            if iterations > 1 {
                for _ in 1..<iterations {
                    let next = try mac(u, key: password)
                    wipe(&u)
                    u = next
                    for i in 0..<t.count { t[i] ^= u[i] }
                }
            }
            output += t
            wipe(&u)
            wipe(&t)
            block += 1
        }
        defer { wipe(&output) }
        return try SecureBytes(copying: output.prefix(length))
    }

    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { b in if let p = b.baseAddress { sodium_memzero(p, b.count) } }
    }
}
