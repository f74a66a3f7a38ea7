internal import CSodium

/// Anonymous public-key encryption (`crypto_box_seal`): the sender needs only the recipient's
/// public key and leaves no identity in the ciphertext.
public enum SealedBox {
    /// Bytes a sealed box adds to its message: an ephemeral public key and a MAC.
    public static let overhead = crypto_box_sealbytes()

    public static func seal(_ message: some ContiguousBytesLike, to recipient: SealPublicKey) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var out = [UInt8](repeating: 0, count: message.withRawBytes { $0.count } + overhead)
        let rc = message.withRawBytes { m in
            recipient.bytes.withUnsafeBufferPointer { pk in
                crypto_box_seal(&out, m.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyInput,
                                UInt64(m.count), pk.baseAddress ?? emptyInput)
            }
        }
        // libsodium reports only an internal allocation failure here.
        guard rc == 0 else { throw .allocationFailed(byteCount: out.count) }
        return out
    }

    /// Opens into guarded memory, because what comes out is a defender's report.
    public static func open(_ ciphertext: some ContiguousBytesLike, with key: SealSecretKey) throws(SodiumError) -> SecureBytes {
        let length = ciphertext.withRawBytes { $0.count }
        guard length >= overhead else { throw .sealedBoxOpenFailed }
        do {
            return try SecureBytes(capacity: length - overhead) { (out: UnsafeMutableRawBufferPointer) throws(SodiumError) -> Int in
                // withRawBytes is rethrows (untyped); the only error inside is a SodiumError.
                do {
                    return try ciphertext.withRawBytes { c in try open(c, with: key, into: out) }
                } catch let error as SodiumError {
                    throw error
                } catch {
                    throw .sealedBoxOpenFailed
                }
            }
        } catch {
            switch error {
            case .sodium(let e), .fill(let e): throw e
            }
        }
    }

    /// Opens into caller-provided (guarded) memory of at least `ciphertext.count - overhead` bytes
    /// and returns the plaintext length. For loops that reuse one `SecureScratch`.
    package static func open(_ ciphertext: UnsafeRawBufferPointer, with key: SealSecretKey,
                             into out: UnsafeMutableRawBufferPointer) throws(SodiumError) -> Int {
        try SodiumRuntime.ensureInitialised()
        guard ciphertext.count >= overhead, let cb = ciphertext.baseAddress else { throw .sealedBoxOpenFailed }
        let plaintextLength = ciphertext.count - overhead
        guard out.count >= plaintextLength else {
            throw .invalidLength(what: "sealed box output buffer", expected: plaintextLength, actual: out.count)
        }
        // A zero-length plaintext has no buffer of its own; libsodium writes nothing there.
        let ob = out.baseAddress ?? UnsafeMutableRawPointer(mutating: cb)
        let status = key.publicKey.bytes.withUnsafeBufferPointer { pk in
            key.storage.withUnsafeBytes { sk -> Int32 in
                guard let pkb = pk.baseAddress, let skb = sk.baseAddress else { return -1 }
                return crypto_box_seal_open(ob.assumingMemoryBound(to: UInt8.self), cb.assumingMemoryBound(to: UInt8.self),
                                            UInt64(ciphertext.count), pkb, skb.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard status == 0 else { throw .sealedBoxOpenFailed }
        return plaintextLength
    }
}

/// libsodium wants a valid pointer even for zero-length input.
nonisolated(unsafe) let emptyInputStorage: UnsafeMutablePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()
nonisolated(unsafe) let emptyInput = UnsafePointer(emptyInputStorage)
