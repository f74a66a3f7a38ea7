internal import CSodium

/// A 32-byte symmetric key for `crypto_secretbox` (XSalsa20-Poly1305), in guarded memory.
public struct SecretBoxKey: Sendable, CustomStringConvertible {
    public static let byteCount = Int(crypto_secretbox_KEYBYTES)
    let storage: SecureBytes

    public init(bytes: SecureBytes) throws(SodiumError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "secretbox key", expected: Self.byteCount, actual: bytes.count)
        }
        storage = bytes
    }

    public static func generate() throws(SodiumError) -> SecretBoxKey {
        try SecretBoxKey(bytes: SecureBytes.random(count: byteCount))
    }

    public func withUnsafeSecretBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    public var description: String { "SecretBoxKey(<redacted>)" }
}

/// Authenticated symmetric encryption with an explicit 24-byte nonce.
public enum SecretBox {
    public static let nonceByteCount = Int(crypto_secretbox_NONCEBYTES)
    public static let macByteCount = Int(crypto_secretbox_MACBYTES)

    public static func randomNonce() throws(SodiumError) -> [UInt8] {
        try Random.bytes(count: nonceByteCount)
    }

    /// Returns MAC ‖ ciphertext (libsodium's "easy" layout).
    public static func seal(_ message: some ContiguousBytesLike, nonce: [UInt8], key: SecretBoxKey) throws(SodiumError) -> [UInt8] {
        try key.storage.withUnsafeBytes { (k) throws(SodiumError) in try seal(message, nonce: nonce, rawKey: k) }
    }

    /// Opens into guarded memory.
    public static func open(_ box: some ContiguousBytesLike, nonce: [UInt8], key: SecretBoxKey) throws(SodiumError) -> SecureBytes {
        try key.storage.withUnsafeBytes { (k) throws(SodiumError) in try open(box, nonce: nonce, rawKey: k) }
    }
}

extension SecretBox {
    /// Seals with a key given as raw bytes that the caller keeps in guarded memory (a reused
    /// `SecureScratch`), so loops need no guarded allocation per item.
    package static func seal(_ message: some ContiguousBytesLike, nonce: [UInt8], rawKey: UnsafeRawBufferPointer) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        guard nonce.count == nonceByteCount else { throw .invalidLength(what: "secretbox nonce", expected: nonceByteCount, actual: nonce.count) }
        guard rawKey.count == SecretBoxKey.byteCount, let kb = rawKey.baseAddress else {
            throw .invalidLength(what: "secretbox key", expected: SecretBoxKey.byteCount, actual: rawKey.count)
        }
        var out = [UInt8](repeating: 0, count: message.withRawBytes { $0.count } + macByteCount)
        let rc = message.withRawBytes { m in
            crypto_secretbox_easy(&out, m.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyInput, UInt64(m.count), nonce,
                                  kb.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw .allocationFailed(byteCount: out.count) }
        return out
    }
}

extension SecretBox {
    /// Opens with a raw key held by the caller in guarded memory; the plaintext comes back in
    /// guarded memory as usual.
    package static func open(_ box: some ContiguousBytesLike, nonce: [UInt8], rawKey: UnsafeRawBufferPointer) throws(SodiumError) -> SecureBytes {
        let length = box.withRawBytes { $0.count }
        guard length >= macByteCount else { throw .secretBoxAuthenticationFailed }
        do {
            return try SecureBytes(count: length - macByteCount) { (out: UnsafeMutableRawBufferPointer) throws(SodiumError) in
                _ = try open(box, nonce: nonce, rawKey: rawKey, into: out)
            }
        } catch {
            switch error {
            case .sodium(let e), .fill(let e): throw e
            }
        }
    }
}

extension GenericHash {
    /// Keyed BLAKE2b written straight into caller-provided guarded memory.
    package static func derive(_ message: some ContiguousBytesLike, key: SecureBytes, into out: UnsafeMutableRawBufferPointer) throws(SodiumError) {
        try SodiumRuntime.ensureInitialised()
        guard (minOutput...maxOutput).contains(out.count), let ob = out.baseAddress else { throw .invalidHashParameter("output length \(out.count)") }
        guard (minKey...maxKey).contains(key.count) else { throw .invalidHashParameter("key length \(key.count)") }
        let rc = message.withRawBytes { m in
            key.withUnsafeBytes { k in
                crypto_generichash(ob.assumingMemoryBound(to: UInt8.self), out.count,
                                   m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                                   k.baseAddress?.assumingMemoryBound(to: UInt8.self), k.count)
            }
        }
        guard rc == 0 else { throw .invalidHashParameter("crypto_generichash failed") }
    }
}

extension SecretBox {
    /// Opens into caller-provided guarded memory (a worker's reused `SecureScratch`) and returns
    /// the plaintext length: the loops that decrypt thousands of cases allocate nothing per case.
    package static func open(_ box: some ContiguousBytesLike, nonce: [UInt8], rawKey: UnsafeRawBufferPointer,
                             into out: UnsafeMutableRawBufferPointer) throws(SodiumError) -> Int {
        try SodiumRuntime.ensureInitialised()
        guard nonce.count == nonceByteCount else { throw .invalidLength(what: "secretbox nonce", expected: nonceByteCount, actual: nonce.count) }
        guard rawKey.count == SecretBoxKey.byteCount, let kb = rawKey.baseAddress else {
            throw .invalidLength(what: "secretbox key", expected: SecretBoxKey.byteCount, actual: rawKey.count)
        }
        let length = box.withRawBytes { $0.count }
        guard length >= macByteCount else { throw .secretBoxAuthenticationFailed }
        guard out.count >= length - macByteCount, let ob = out.baseAddress else {
            throw .invalidLength(what: "secretbox output", expected: length - macByteCount, actual: out.count)
        }
        let status = box.withRawBytes { c -> Int32 in
            guard let cb = c.baseAddress else { return -1 }
            return crypto_secretbox_open_easy(ob.assumingMemoryBound(to: UInt8.self), cb.assumingMemoryBound(to: UInt8.self),
                                              UInt64(c.count), nonce, kb.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 0 else { throw .secretBoxAuthenticationFailed }
        return length - macByteCount
    }
}
