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
        try SodiumRuntime.ensureInitialised()
        let length = ciphertext.withRawBytes { $0.count }
        guard length >= overhead else { throw .sealedBoxOpenFailed }
        var status: Int32 = -1
        let plaintext: SecureBytes
        do {
            plaintext = try SecureBytes(count: length - overhead) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
                ciphertext.withRawBytes { c in
                    key.publicKey.bytes.withUnsafeBufferPointer { pk in
                        key.storage.withUnsafeBytes { sk in
                            guard let cb = c.baseAddress, let pkb = pk.baseAddress, let skb = sk.baseAddress else { return }
                            // A zero-length plaintext has no base address of its own.
                            let ob = out.baseAddress ?? UnsafeMutableRawPointer(mutating: cb)
                            status = crypto_box_seal_open(
                                ob.assumingMemoryBound(to: UInt8.self),
                                cb.assumingMemoryBound(to: UInt8.self), UInt64(c.count),
                                pkb, skb.assumingMemoryBound(to: UInt8.self))
                        }
                    }
                }
            }
        } catch {
            throw error.sodiumError
        }
        guard status == 0 else { throw .sealedBoxOpenFailed }
        return plaintext
    }
}

/// libsodium wants a valid pointer even for zero-length input.
nonisolated(unsafe) let emptyInputStorage: UnsafeMutablePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()
nonisolated(unsafe) let emptyInput = UnsafePointer(emptyInputStorage)
