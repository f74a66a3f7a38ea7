import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Sodium

/// Options for reaching an intake and trusting its keys.
struct IntakeOptions: ParsableArguments {
    @Option(name: .long, help: .L("The intake's address, e.g. https://denuncias.example.org"))
    var url: String
    @Option(name: .long, help: .L("The signing-key fingerprint the network published (8 groups of 4 hex digits)."))
    var fingerprint: String?
    @Option(name: .long, help: .L("File of fingerprints trusted on first use (default ~/.config/resguardo/known_intakes)."))
    var knownIntakes: String?
    @Option(name: .long, help: .L("PEM file of a private certificate authority to trust."))
    var ca: String?
    @Option(name: .long, help: .L("Where sealed envelopes wait if sending fails (default ~/.local/share/resguardo/outbox)."))
    var outbox: String?
    @Option(name: .long, help: .L("On an intake that serves several networks: the network's id (resguardo-submit networks lists them); default: the network of the report's country."))
    var network: String?

    var knownIntakesPath: String {
        knownIntakes ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/resguardo/known_intakes").path
    }

    var outboxPath: String {
        outbox ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/resguardo/outbox").path
    }

    /// One cache per organisation (its pinned signing key), not per address: the newest
    /// manifest seen must bind every intake and mirror that serves that organisation's keys, so an
    /// old one cannot come back through another address.
    func manifestCachePath(_ pinned: SigningKeyFingerprint) -> String {
        FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/resguardo/manifests/\(Encoding.hex(pinned.bytes)).json").path
    }

    /// The intake's key manifest, verified against the pinned fingerprint. A verified manifest is
    /// remembered (it is public), so that when the intake cannot be reached a report can still be
    /// sealed and kept in the outbox instead of being lost.
    func verifiedManifest(client: IntakeClient, network: NetworkId?, country: String? = nil) async throws -> KeyManifest {
        let trustKey = client.baseURL + (network.map { "#" + $0.text } ?? "")
        do {
            let pinned = try await pinnedFingerprint(client: client, network: network, country: country)
            let signed = try await client.manifest(pinned: pinned, network: network)
            let today = CalendarDay.today()
            // Rollback: an intake (compromised, or a copy of an old one) serving a key list older
            // than one this computer already saw may be offering a retired, compromised key.
            if let seen = cachedManifest(pinned: pinned), seen.manifest.issued > signed.manifest.issued {
                throw CommandFailure(L("the intake served a key list signed on {issued}, older than the one this computer saw (signed on {issued2})", ["issued": "\(signed.manifest.issued)", "issued2": "\(seen.manifest.issued)"]),
                                     hints: ["nothing was sealed or sent: an old key list can carry a retired key",
                                             "tell the network another way; it may be replaying old keys"], status: .wrongPassphrase)
            }
            guard signed.manifest.isCurrent(on: today) else {
                throw CommandFailure(L("the intake's key list expired on {expires}", ["expires": "\(signed.manifest.expires)"]),
                                     hints: ["nothing was sealed or sent; the network must renew it (resguardo key renew)"], status: .dataError)
            }
            let dir = (manifestCachePath(pinned) as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try? DurableFile.replaceAtomically(manifestCachePath(pinned), bytes: signed.serialized(), mode: 0o600)
            return signed.manifest
        } catch let unreachable as IntakeClient.Unreachable {
            if let pin = fingerprint.flatMap(SigningKeyFingerprint.init(text:)) ?? rememberedFingerprint(for: trustKey),
               let cached = cachedManifest(pinned: pin), cached.manifest.isCurrent(on: .today()) {
                Console.warning(L("cannot reach {url} ({reason}); sealing with the key list saved on {issued}", ["url": "\(client.baseURL)", "reason": "\(unreachable.reason)", "issued": "\(cached.manifest.issued)"]))
                return cached.manifest
            }
            throw CommandFailure(L("cannot reach {url}: {reason}", ["url": "\(client.baseURL)", "reason": "\(unreachable.reason)"]),
                                 hints: ["nothing was sealed or stored: this computer has never fetched this intake's keys",
                                         "check the address and the network (or Tor), then try again"],
                                 status: .unavailable)
        }
    }

    /// The newest manifest this computer verified for this intake, if any.
    func cachedManifest(pinned: SigningKeyFingerprint) -> SignedKeyManifest? {
        guard let data = try? DurableFile.read(manifestCachePath(pinned), maxBytes: SignedKeyManifest.maxByteCount) else { return nil }
        return try? SignedKeyManifest(json: data, trust: .fingerprint(pinned))
    }

    /// `URL fingerprint` lines, one per intake this computer has trusted.
    func readKnownIntakes() -> String {
        (try? DurableFile.read(knownIntakesPath, maxBytes: 1 << 20)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    func rememberedFingerprint(for baseURL: String) -> SigningKeyFingerprint? {
        let known = readKnownIntakes()
        for line in known.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0] == baseURL, let f = SigningKeyFingerprint(text: String(parts[1])) { return f }
        }
        return nil
    }

    /// Sets `key fingerprint` in the owner-only list, replacing a line with that key. The list is
    /// replaced whole (synced, renamed), so a crash never leaves half a line; it says which intakes
    /// this person uses.
    func remember(_ key: String, _ fingerprint: SigningKeyFingerprint) {
        let dir = (knownIntakesPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let kept = readKnownIntakes().split(separator: "\n").filter { $0.split(separator: " ", maxSplits: 1).first.map(String.init) != key }
        let text = (kept.map(String.init) + ["\(key) \(fingerprint)"]).joined(separator: "\n") + "\n"
        try? DurableFile.replaceAtomically(knownIntakesPath, bytes: Array(text.utf8), mode: 0o600)
    }

    /// Whether this computer trusts any network of this intake already (`URL`, `URL#id` or
    /// `URL@country` lines).
    func knowsIntake(_ baseURL: String) -> Bool {
        readKnownIntakes().split(separator: "\n").contains { line in
            guard let key = line.split(separator: " ", maxSplits: 1).first else { return false }
            return key == baseURL || key.hasPrefix(baseURL + "#") || key.hasPrefix(baseURL + "@")
        }
    }

    /// The fingerprint to pin: the one given, else the one remembered for this URL (and network),
    /// else the one the intake presents now (trust on first use, said out loud). On an intake of
    /// several networks the server names the networks and maps countries to them, so its word is
    /// not enough (review N11): a network first seen on an intake this computer already trusts is
    /// refused unless --fingerprint is given, and the network a country's reports went to is
    /// remembered (`URL@CC fingerprint`) and a change of it refused.
    func pinnedFingerprint(client: IntakeClient, network: NetworkId?, country: String? = nil) async throws -> SigningKeyFingerprint {
        // With several networks each is trusted on its own: `URL#id fingerprint`.
        let trustKey = client.baseURL + (network.map { "#" + $0.text } ?? "")
        let remembered = rememberedFingerprint(for: trustKey)
        let pinned: SigningKeyFingerprint
        if let fingerprint {
            guard let f = SigningKeyFingerprint(text: fingerprint) else {
                throw CommandFailure(L("`{fingerprint}` is not a fingerprint (expected 32 hex digits, e.g. a036 5677 …)", ["fingerprint": "\(fingerprint)"]), status: .usage)
            }
            // Given by the person: it wins for this run, and is remembered for the next if
            // nothing was (a remembered pin is never overwritten silently).
            if remembered == nil { remember(trustKey, f) }
            pinned = f
        } else if let remembered {
            pinned = remembered
        } else {
            if knowsIntake(client.baseURL) {
                throw CommandFailure(L("this computer already trusts {url}, but not its network {network}: a network that appears on a known intake may be a taken-over intake's", ["url": "\(client.baseURL)", "network": "\(network?.text ?? "-")"]),
                                     hints: ["nothing was sealed or sent",
                                             "if the network is real, give --fingerprint with the fingerprint it publishes (through its own channels)"],
                                     status: .wrongPassphrase)
            }
            let reply = try await client.get(IntakeClient.manifestPath(network))
            guard let presented = try? SignedKeyManifest.presentedFingerprint(json: reply.body) else {
                throw CommandFailure("the intake did not serve a readable key manifest", status: .dataError)
            }
            remember(trustKey, presented)
            Console.warning(L("first use of {trust_key}: trusting signing-key fingerprint {presented}", ["trust_key": "\(trustKey)", "presented": "\(presented)"]))
            Console.warning(L("compare it with the fingerprint the network publishes; remembered in {known_intakes_path}", ["known_intakes_path": "\(knownIntakesPath)"]))
            pinned = presented
        }
        if network != nil, let country {
            let countryKey = client.baseURL + "@" + country
            let before = rememberedFingerprint(for: countryKey)
            if let before, before != pinned, fingerprint == nil {
                throw CommandFailure(L("the intake now sends reports from {country} to another network (signing key {now}); this computer sent them to {before}", ["country": "\(country)", "now": "\(pinned)", "before": "\(before)"]),
                                     hints: ["nothing was sealed or sent",
                                             "if the networks really changed, give --fingerprint with the one that country's network publishes"],
                                     status: .wrongPassphrase)
            }
            if before != pinned { remember(countryKey, pinned) }
        }
        return pinned
    }
}

extension IntakeOptions {
    /// The network a report goes to: --network if given; else, when the intake serves several,
    /// the one serving `country`; nil for an intake with one network (its manifest is /v1/keys).
    func chooseNetwork(client: IntakeClient, country: String?) async throws -> NetworkId? {
        if let network {
            guard let id = NetworkId(network) else { throw CommandFailure(L("--network `{network}` is not a network id ({rule})", ["network": "\(network)", "rule": "\(NetworkId.rule)"]), status: .usage) }
            return id
        }
        let served: [IntakeClient.NetworkEntry]
        do { served = try await client.networks() } catch is IntakeClient.Unreachable {
            // Offline: a remembered manifest may still seal the report; the single-network path says so.
            return nil
        }
        guard served.count > 1 else { return nil }
        let list = served.map { "\($0.id) (\($0.countries.joined(separator: " ")))" }.joined(separator: ", ")
        guard let country else {
            throw CommandFailure(L("this intake serves several networks: {list}", ["list": "\(list)"]), hints: ["give --network ID or --country"], status: .usage)
        }
        guard let chosen = served.first(where: { $0.countries.contains(country) }) else {
            throw CommandFailure(L("no network of this intake receives reports from {country}; it serves: {list}", ["country": "\(country)", "list": "\(list)"]), hints: ["nothing was sealed or sent"], status: .usage)
        }
        Console.note(L("sending to network {id} ({name})", ["id": "\(chosen.id)", "name": "\(TerminalText.escaped(chosen.name))"]))
        return chosen.id
    }
}

/// Sealed envelopes waiting to be sent. Never holds a plaintext.
struct Outbox {
    let path: String

    func waiting() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".rsg1") }.sorted().map { path + "/" + $0 }
    }

    /// Sends; on success prints the receipt (and removes the file if it came from the outbox);
    /// if the intake is unreachable, keeps the sealed envelope and exits 69.
    func send(_ envelope: [UInt8], with client: IntakeClient, alreadyStoredAt stored: String? = nil) async throws {
        do {
            let receipt = try await client.send(envelope)
            print(L("receipt: {receipt}", ["receipt": "\(receipt)"]))
            if let stored, stored.hasPrefix(path + "/") { try? FileManager.default.removeItem(atPath: stored) }
        } catch let unreachable as IntakeClient.Unreachable {
            var kept = stored
            if kept == nil {
                try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let name = Encoding.hex(try Random.bytes(count: 8)) + ".rsg1"
                // Synced before it is reported kept: the outbox is the only copy of the report.
                if (try? DurableFile.createExclusive(path + "/" + name, bytes: Array(envelope))) != nil {
                    kept = path + "/" + name
                }
            }
            throw CommandFailure(L("could not reach the intake: {reason}", ["reason": "\(unreachable.reason)"]),
                                 hints: [kept.map { L("the sealed report is kept in {value}; send it later with: resguardo-submit send --url {url} {value2}", ["value": "\($0)", "url": "\(client.baseURL)", "value2": "\($0)"]) }
                                         ?? "the sealed report could not be saved either; try again"],
                                 status: .unavailable)
        }
    }
}
