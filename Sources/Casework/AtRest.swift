import Formats
import Foundation
import Sodium

/// A data key of the case store: the secretbox key one import's items are encrypted under. A
/// type of its own over guarded memory, so it is never confused with a pseudonym key or a
/// scratch buffer; it exists only opened in memory, and sealed (to the network's key) on disk.
struct DataKey: Sendable {
    static let byteCount = 32
    let bytes: SecureBytes

    static func generate() throws(SodiumError) -> DataKey { DataKey(bytes: try SecureBytes.random(count: byteCount)) }

    init(opening sealed: [UInt8], with key: SealSecretKey) throws(SodiumError) {
        bytes = try SealedBox.open(sealed, with: key)
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "case data key", expected: Self.byteCount, actual: bytes.count)
        }
    }

    private init(bytes: SecureBytes) { self.bytes = bytes }

    func sealed(to recipient: SealPublicKey) throws(SodiumError) -> [UInt8] { try SealedBox.seal(bytes, to: recipient) }
}

/// Encryption at rest. An import makes one random data key and seals it to the organisation's
/// encryption key (one X25519 operation per import rather than two per case, which measured as
/// the unseal loop's largest cost); each item is encrypted with its own key derived from it:
/// BLAKE2b-256(key = data key, "resguardo case key v1" ‖ item id). Opening any item still needs
/// the organisation's secret key, so a stolen laptop yields nothing without the passphrase.
struct AtRest: Sendable {
    static let domain: [UInt8] = Array("resguardo case key v1".utf8)
    let id: [UInt8]
    let keyId: KeyId
    let sealedKey: [UInt8]
    private let dataKey: DataKey

    /// A new data key for one import, sealed to the network's current encryption key.
    init(keyId: KeyId, publicKey: SealPublicKey) throws(SodiumError) {
        dataKey = try DataKey.generate()
        sealedKey = try dataKey.sealed(to: publicKey)
        id = try Random.bytes(count: 16)
        self.keyId = keyId
    }

    struct Sealed: Sendable {
        let nonce: [UInt8]
        let ciphertext: [UInt8]
    }

    /// Guarded scratch memory for one worker thread, reused for every item it handles (a guarded
    /// allocation per item measured as a real cost): the opened report, and the item key. Not
    /// Sendable, on purpose: one thread, one scratch.
    final class Scratch {
        let report: SecureScratch
        let itemKey: SecureScratch
        init() throws(SodiumError) {
            report = try SecureScratch()
            itemKey = try SecureScratch(capacity: 32)
        }
    }

    /// Seals one item; its key is derived into the worker's scratch, wiped after use.
    func seal(_ plaintext: some ContiguousBytesLike, itemId: [UInt8], scratch: Scratch) throws -> Sealed {
        let nonce = try SecretBox.randomNonce()
        let ciphertext = try scratch.itemKey.withUnsafeMutableBytes(count: 32) { (key: UnsafeMutableRawBufferPointer) throws -> [UInt8] in
            try GenericHash.derive(Self.domain + itemId, key: dataKey.bytes, into: key)
            return try SecretBox.seal(plaintext, nonce: nonce, rawKey: UnsafeRawBufferPointer(key))
        }
        return Sealed(nonce: nonce, ciphertext: ciphertext)
    }

    /// Opens one item with an already opened data key into a worker's scratch memory and hands
    /// the plaintext to `body`; both scratch regions are wiped afterwards.
    static func open<R>(itemId: [UInt8], nonce: [UInt8], ciphertext: [UInt8], dataKey: DataKey, scratch: Scratch,
                        _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try scratch.itemKey.withUnsafeMutableBytes(count: 32) { (itemKey: UnsafeMutableRawBufferPointer) throws -> R in
            try GenericHash.derive(domain + itemId, key: dataKey.bytes, into: itemKey)
            return try scratch.report.withUnsafeMutableBytes(count: max(ciphertext.count, 1)) { (out: UnsafeMutableRawBufferPointer) throws -> R in
                let length = try SecretBox.open(ciphertext, nonce: nonce, rawKey: UnsafeRawBufferPointer(itemKey), into: out)
                return try body(UnsafeRawBufferPointer(rebasing: out[0..<length]))
            }
        }
    }

    /// Opens one item on its own (a quarantined item): its sealed data key first, then the item,
    /// into fresh guarded memory.
    static func open(sealedKey: [UInt8], itemId: [UInt8], nonce: [UInt8], ciphertext: [UInt8], with key: SealSecretKey) throws -> SecureBytes {
        let dataKey = try DataKey(opening: sealedKey, with: key)
        let scratch = try SecureScratch(capacity: 32)
        return try scratch.withUnsafeMutableBytes(count: 32) { (itemKey: UnsafeMutableRawBufferPointer) throws -> SecureBytes in
            try GenericHash.derive(domain + itemId, key: dataKey.bytes, into: itemKey)
            return try SecretBox.open(ciphertext, nonce: nonce, rawKey: UnsafeRawBufferPointer(itemKey))
        }
    }
}
