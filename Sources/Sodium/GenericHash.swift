internal import CSodium

/// BLAKE2b (`crypto_generichash`), keyed or not, with outputs of 16 to 64 bytes.
public enum GenericHash {
    public static let minOutput = Int(crypto_generichash_BYTES_MIN)
    public static let maxOutput = Int(crypto_generichash_BYTES_MAX)
    public static let minKey = Int(crypto_generichash_KEYBYTES_MIN)
    public static let maxKey = Int(crypto_generichash_KEYBYTES_MAX)

    public static func hash(_ message: some ContiguousBytesLike, outputByteCount: Int = 32) throws(SodiumError) -> [UInt8] {
        var hasher = try Hasher(outputByteCount: outputByteCount)
        hasher.update(message)
        return hasher.finalize()
    }

    /// Keyed BLAKE2b (a MAC / PRF). The key is secret, so it comes in guarded memory.
    public static func hash(_ message: some ContiguousBytesLike, outputByteCount: Int = 32, key: SecureBytes) throws(SodiumError) -> [UInt8] {
        var hasher = try Hasher(outputByteCount: outputByteCount, key: key)
        hasher.update(message)
        return hasher.finalize()
    }

    /// Keyed BLAKE2b whose output is itself secret (a derived subkey): kept in guarded memory.
    public static func deriveSecret(_ message: some ContiguousBytesLike, outputByteCount: Int = 32, key: SecureBytes) throws(SodiumError) -> SecureBytes {
        var hasher = try Hasher(outputByteCount: outputByteCount, key: key)
        hasher.update(message)
        return try hasher.finalizeSecret()
    }

    /// Streaming BLAKE2b, for bundles too large to hold twice.
    public struct Hasher: ~Copyable {
        // The state struct is 64-byte aligned in C, which Swift cannot import; we hold it as raw memory
        // of crypto_generichash_statebytes() with that alignment and pass it as an opaque pointer.
        private let state: OpaquePointer
        private let stateByteCount: Int
        private let outputByteCount: Int

        public init(outputByteCount: Int = 32, key: SecureBytes? = nil) throws(SodiumError) {
            try SodiumRuntime.ensureInitialised()
            guard (minOutput...maxOutput).contains(outputByteCount) else {
                throw .invalidHashParameter("output length \(outputByteCount) is outside \(minOutput)...\(maxOutput)")
            }
            if let key, !(minKey...maxKey).contains(key.count) {
                throw .invalidHashParameter("key length \(key.count) is outside \(minKey)...\(maxKey)")
            }
            stateByteCount = crypto_generichash_statebytes()
            state = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: stateByteCount, alignment: 64))
            self.outputByteCount = outputByteCount
            if let key {
                key.withUnsafeBytes { k in
                    _ = crypto_generichash_init(state, k.baseAddress?.assumingMemoryBound(to: UInt8.self), k.count, outputByteCount)
                }
            } else {
                _ = crypto_generichash_init(state, nil, 0, outputByteCount)
            }
        }

        deinit {
            // The state of a keyed hash holds key material.
            let raw = UnsafeMutableRawPointer(state)
            sodium_memzero(raw, stateByteCount)
            raw.deallocate()
        }

        public mutating func update(_ bytes: some ContiguousBytesLike) {
            bytes.withRawBytes { b in
                guard let base = b.baseAddress, b.count > 0 else { return }
                _ = crypto_generichash_update(state, base.assumingMemoryBound(to: UInt8.self), UInt64(b.count))
            }
        }

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            _ = crypto_generichash_update(state, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }

        public consuming func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: outputByteCount)
            _ = crypto_generichash_final(state, &out, outputByteCount)
            return out
        }

        public consuming func finalizeSecret() throws(SodiumError) -> SecureBytes {
            let state = self.state
            let n = outputByteCount
            do {
                return try SecureBytes(count: n) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
                    guard let o = out.baseAddress else { return }
                    _ = crypto_generichash_final(state, o.assumingMemoryBound(to: UInt8.self), n)
                }
            } catch {
                throw error.sodiumError
            }
        }
    }
}
