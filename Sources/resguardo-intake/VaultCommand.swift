import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Intake
import Sodium
import Vault

extension IntakeCommand {
    struct VaultCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vault",
            abstract: L("Create the vault and its bundle-signing key."),
            discussion: L("""
            Example:
              $ resguardo-intake vault init --vault /srv/resguardo/vault.sqlite
            """),
            subcommands: [VaultInit.self]
        )
    }
}

extension IntakeCommand.VaultCommand {
    struct VaultInit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: L("Create the vault file and the Ed25519 key that signs its export bundles."),
            discussion: L("""
            Writes VAULT, VAULT.signing.key (key file v1, passphrase-protected, mode 0600) and \
            VAULT.signing.pub (base64 public key). Register the public key on the offline laptop with \
            the fingerprint this prints: resguardo vault trust --fingerprint F --public-key VAULT.signing.pub

            With --fingerprint (the network's signing-key fingerprint, as the intake pins it) and, \
            on an intake of several networks, --network, the vault belongs to that network from the \
            start and an intake refuses to use it for another. Without them the first intake that \
            opens it binds it to its network.

            Example:
              $ resguardo-intake vault init --vault mx.sqlite --network mx --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
              vault signing-key fingerprint: 1c0e 53aa …
            """)
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup var passphrase: PassphraseOptions
        @Option(name: .long, help: .L("The network's id in the intake's config (leave out for an intake of one network)."))
        var network: String?
        @Option(name: .long, help: .L("The network's signing-key fingerprint (8 groups of 4 hex digits): the vault belongs to that network."))
        var fingerprint: String?

        /// The network this vault is for, when named.
        func binding() throws -> VaultBinding? {
            guard let fingerprint else {
                if network != nil { throw CommandFailure("--network needs --fingerprint (the network's signing-key fingerprint)", status: .usage) }
                return nil
            }
            guard let pin = SigningKeyFingerprint(text: fingerprint) else {
                throw CommandFailure(L("`{fingerprint}` is not a fingerprint (expected 32 hex digits, e.g. a036 5677 …)", ["fingerprint": "\(fingerprint)"]), status: .usage)
            }
            guard let id = network.map({ NetworkId($0) }) ?? .single else {
                throw CommandFailure(L("--network `{network}` is not a network id ({rule})", ["network": "\(network ?? "")", "rule": "\(NetworkId.rule)"]), status: .usage)
            }
            return VaultBinding(network: id, fingerprint: pin)
        }

        func run() async throws {
            try vault.requireSigningKey()
            let binding = try binding()
            let files = vault.vaultUrl == nil ? [vault.vault, vault.signingKeyPath, vault.publicKeyPath] : [vault.signingKeyPath, vault.publicKeyPath]
            for path in files where FileManager.default.fileExists(atPath: path) {
                throw CommandFailure(L("{path} already exists; refusing to overwrite a vault or its key", ["path": "\(path)"]), status: .cannotCreate)
            }
            let secret = try passphrase.readNew()
            let key = try SigningKey.generate()
            let seed = try key.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let file = try KeyFile.seal(secret: seed, publicKey: key.verifyingKey.bytes, kind: .bundleSigning, passphrase: secret, limits: .moderate)
            try writeNew(vault.signingKeyPath, file.bytes, mode: 0o600)
            try writeNew(vault.publicKeyPath, Array((Encoding.base64(key.verifyingKey.bytes) + "\n").utf8), mode: 0o644)
            let opened = try await vault.open(creating: true)
            if let binding {
                do { try await opened.administration.bind(binding) } catch {
                    await opened.close()
                    throw CommandFailure(L("{error}", ["error": "\(error)"]), hints: ["the signing key files were written; the vault was not bound"], status: .dataError)
                }
            }
            await opened.close()
            print(L("created vault {vault}", ["vault": "\(vault.name)"]))
            print(binding.map { L("it belongs to {binding}", ["binding": "\($0)"]) } ?? L("not bound to a network yet: the first intake that opens it binds it to its own"))
            print(L("vault signing-key fingerprint: {fingerprint}", ["fingerprint": "\(try SigningKeyFingerprint(verifyingKey: key.verifyingKey))"]))
            print(L("public key for the offline laptop: {path}", ["path": "\(vault.publicKeyPath)"]))
        }

        /// Exclusive create, fsync, directory fsync: the key file is never overwritten or half-written.
        func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
            do { try DurableFile.createExclusive(path, bytes: bytes, mode: mode) } catch {
                throw CommandFailure(error.description, status: .cannotCreate)
            }
        }
    }
}
