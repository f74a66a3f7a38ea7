public import Deidentify
import Foundation
public import Formats
import GRDB

/// The registry: de-identified records only, one row per aggression, multi-valued fields in their
/// own tables (DESIGN.md §7). It holds no case id: only the offline case store maps cases to records.
public struct RegistryDatabase: Sendable {
    /// Private: every statement on the registry is one of the methods below.
    private let writer: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.publicStatementArguments = false
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
        writer = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    static let multiValued = [("record_aggression", "aggression_type"), ("record_perpetrator", "perpetrator"),
                              ("record_right", "right_defended"), ("record_gender_type", "gender_component_type")]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: records") { db in
            try db.execute(sql: """
                CREATE TABLE record (
                    record_id TEXT PRIMARY KEY NOT NULL,
                    defender_pid TEXT NOT NULL,
                    organisation_pid TEXT,
                    country TEXT NOT NULL,
                    region TEXT,
                    period TEXT,
                    date_precision TEXT NOT NULL CHECK (date_precision IN ('day', 'month', 'year', 'approximate')),
                    target_scope TEXT CHECK (target_scope IN ('personal', 'collective', 'organisation')),
                    people_affected INTEGER CHECK (people_affected BETWEEN 1 AND 50),
                    state_collusion INTEGER NOT NULL CHECK (state_collusion IN (0, 1)),
                    gender_identity TEXT NOT NULL,
                    age_band TEXT,
                    ethnicity TEXT NOT NULL,
                    gender_component INTEGER NOT NULL CHECK (gender_component IN (0, 1)),
                    digital INTEGER NOT NULL CHECK (digital IN (0, 1)),
                    affects_relatives INTEGER CHECK (affects_relatives IN (0, 1)),
                    setting TEXT CHECK (setting IN ('urban', 'rural')),
                    verification TEXT NOT NULL,
                    network TEXT NOT NULL
                ) STRICT;
                """)
            for (table, column) in multiValued {
                try db.execute(sql: """
                    CREATE TABLE \(table) (
                        record_id TEXT NOT NULL REFERENCES record(record_id) ON DELETE CASCADE,
                        \(column) TEXT NOT NULL,
                        PRIMARY KEY (record_id, \(column))
                    ) STRICT, WITHOUT ROWID;
                    """)
            }
        }
        // Several networks (DESIGN.md §9). Nationally: each record's regional pseudonyms (what
        // travels in registry bundles), and a log of additions, corrections and withdrawals
        // with the bundles published from it. Regionally: the pinned networks and the last
        // sequence imported from each (a replay or a rollback is refused).
        migrator.registerMigration("v2: networks") { db in
            try db.execute(sql: """
                CREATE TABLE record_regional (
                    record_id TEXT PRIMARY KEY NOT NULL REFERENCES record(record_id) ON DELETE CASCADE,
                    defender_pid TEXT NOT NULL,
                    organisation_pid TEXT
                ) STRICT;
                CREATE TABLE change_log (
                    serial INTEGER PRIMARY KEY AUTOINCREMENT,
                    record_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('add', 'correct', 'withdraw'))
                ) STRICT;
                INSERT INTO change_log (record_id, kind) SELECT record_id, 'add' FROM record ORDER BY record_id;
                CREATE TABLE publication (
                    sequence INTEGER PRIMARY KEY NOT NULL CHECK (sequence >= 1),
                    through_serial INTEGER NOT NULL,
                    full INTEGER NOT NULL CHECK (full IN (0, 1))
                ) STRICT;
                CREATE TABLE network (
                    id TEXT PRIMARY KEY NOT NULL,
                    fingerprint TEXT NOT NULL UNIQUE,
                    last_sequence INTEGER NOT NULL DEFAULT 0
                ) STRICT;
                """)
        }
        // Review N5: each network's countries, pinned with its fingerprint; a record outside
        // them is refused (a network could otherwise add and subtract cells of another's country).
        // Empty for a network pinned before: its imports wait until `networks add` names them.
        migrator.registerMigration("v3: network countries") { db in
            try db.execute(sql: "ALTER TABLE network ADD COLUMN countries TEXT NOT NULL DEFAULT ''")
        }
        return migrator
    }

    /// Records with their regional pseudonyms (keyed by record id; absent when the network has
    /// no regional key yet), each logged as an addition for the next registry bundle.
    public func insert(_ records: [RegistryRecord], regional: [String: RegionalPseudonyms] = [:]) throws {
        try writer.write { db in
            for r in records {
                try Self.insertRow(db, r)
                try db.execute(sql: "INSERT INTO change_log (record_id, kind) VALUES (?, 'add')", arguments: [r.recordId])
                if let p = regional[r.recordId] {
                    try db.execute(sql: "INSERT INTO record_regional (record_id, defender_pid, organisation_pid) VALUES (?, ?, ?)",
                                   arguments: [r.recordId, p.defender, p.organisation])
                }
            }
        }
    }

    static func insertRow(_ db: Database, _ r: RegistryRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO record (record_id, defender_pid, organisation_pid, country, region, period, date_precision, target_scope,
                people_affected, state_collusion, gender_identity, age_band, ethnicity, gender_component, digital, affects_relatives,
                setting, verification, network) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [r.recordId, r.defenderPid, r.organisationPid, r.country, r.region, r.period, r.datePrecision, r.targetScope,
                                     r.peopleAffected, r.stateCollusion, r.genderIdentity, r.ageBand, r.ethnicity, r.genderComponent, r.digital,
                                     r.affectsRelatives, r.setting, r.verification, r.network])
        for (values, (table, column)) in zip([r.aggressionTypes, r.perpetrators, r.rightsDefended, r.genderComponentTypes], Self.multiValued) {
            for v in values {
                try db.cachedStatement(sql: "INSERT INTO \(table) (record_id, \(column)) VALUES (?, ?)").execute(arguments: [r.recordId, v])
            }
        }
    }

    /// The equivalence key of DESIGN.md §7 rule 3 (`RegistryRecord.equivalenceKey`), in SQL. The
    /// rights are concatenated in the order of record_right's primary key (record_id,
    /// right_defended), which the ordered subquery walks: sorted, as the Swift key sorts them.
    static let equivalenceKeySQL = """
        r.country || '|' || coalesce(r.region, '*') || '|' || coalesce(r.period, '*') || '|' ||
        coalesce((SELECT group_concat(right_defended, '+') FROM
                  (SELECT right_defended FROM record_right x WHERE x.record_id = r.record_id ORDER BY right_defended)), '') ||
        '|' || r.gender_identity || '|' || r.ethnicity
        """

    /// What the k-check needs of the registry (`KAnonymity.ExistingGroups`), asked of SQL rather
    /// than by loading every record: the distinct defenders of each group, and the groups
    /// already holding any of `defenders` (the candidates' pseudonyms).
    public func existingGroups(forDefenders defenders: Set<String>) throws -> KAnonymity.ExistingGroups {
        try writer.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT key, COUNT(DISTINCT pid) AS n FROM (SELECT \(Self.equivalenceKeySQL) AS key, r.defender_pid AS pid FROM record r) GROUP BY key
                """) {
                counts[row["key"]] = row["n"]
            }
            var members = Set<KAnonymity.ExistingGroups.Member>()
            let pids = Array(defenders)
            for start in stride(from: 0, to: pids.count, by: 500) {
                let chunk = Array(pids[start..<min(start + 500, pids.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                for row in try Row.fetchAll(db, sql: """
                    SELECT DISTINCT \(Self.equivalenceKeySQL) AS key, r.defender_pid AS pid FROM record r WHERE r.defender_pid IN (\(marks))
                    """, arguments: StatementArguments(chunk)) {
                    members.insert(.init(key: row["key"], defenderPid: row["pid"]))
                }
            }
            return KAnonymity.ExistingGroups(defenders: counts, members: members)
        }
    }

    /// Those of `ids` the registry holds now (a withdrawn record is gone), in id order.
    public func held(_ ids: [String]) throws -> [String] {
        try writer.read { db in
            try ids.filter { try Bool.fetchOne(db, sql: "SELECT 1 FROM record WHERE record_id = ?", arguments: [$0]) != nil }.sorted()
        }
    }

    public func all() throws -> [RegistryRecord] {
        try writer.read { db in try Self.records(db) }
    }

    /// Every record (or those in `ids`), in record-id order. The record table and each
    /// multi-valued table are read once each, in record-id order, and merged in one pass, with
    /// columns read by position: measured with scripts/bench report (100,000 records), reading
    /// by column name into a dictionary of lists was over half of `registry report`'s time.
    /// (Record ids are hex, so SQLite's byte order and Swift's string order agree.)
    static func records(_ db: Database, ids: Set<String>? = nil) throws -> [RegistryRecord] {
        let lists = try Self.multiValued.map { table, column in
            var pairs: [(id: String, value: String)] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT record_id, \(column) FROM \(table) ORDER BY record_id, \(column)")
            while let row = try cursor.next() { pairs.append((row[0], row[1])) }
            return pairs
        }
        var next = [Int](repeating: 0, count: lists.count)
        /// The values of `id` in list `i`, advancing past them (and past ids of filtered-out records).
        func values(_ i: Int, of id: String) -> [String] {
            let list = lists[i]
            var k = next[i]
            while k < list.count, list[k].id < id { k += 1 }
            var found: [String] = []
            while k < list.count, list[k].id == id { found.append(list[k].value); k += 1 }
            next[i] = k
            return found
        }
        var out: [RegistryRecord] = []
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT record_id, defender_pid, organisation_pid, country, region, period, date_precision, target_scope, people_affected,
                   state_collusion, gender_identity, age_band, ethnicity, gender_component, digital, affects_relatives, setting,
                   verification, network
            FROM record ORDER BY record_id
            """)
        while let row = try cursor.next() {
            let id: String = row[0]
            if let ids, !ids.contains(id) { continue }
            out.append(RegistryRecord(
                recordId: id, defenderPid: row[1], organisationPid: row[2], country: row[3],
                region: row[4], period: row[5], datePrecision: row[6], aggressionTypes: values(0, of: id),
                targetScope: row[7], peopleAffected: row[8], perpetrators: values(1, of: id),
                stateCollusion: row[9], rightsDefended: values(2, of: id), genderIdentity: row[10],
                ageBand: row[11], ethnicity: row[12], genderComponent: row[13],
                genderComponentTypes: values(3, of: id), digital: row[14], affectsRelatives: row[15],
                setting: row[16], verification: row[17], network: row[18]))
        }
        return out
    }

    // MARK: national side: changes and publications

    /// Records whose regional pseudonyms are not stored yet (registered before the regional key came).
    public func recordIdsWithoutRegionalPseudonyms() throws -> [String] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT r.record_id FROM record r LEFT JOIN record_regional x USING (record_id) WHERE x.record_id IS NULL ORDER BY r.record_id")
        }
    }

    public func storeRegionalPseudonyms(_ pseudonyms: [String: RegionalPseudonyms]) throws {
        try writer.write { db in
            for (id, p) in pseudonyms {
                try db.execute(sql: "INSERT OR REPLACE INTO record_regional (record_id, defender_pid, organisation_pid) VALUES (?, ?, ?)",
                               arguments: [id, p.defender, p.organisation])
            }
        }
    }

    /// Removes a record (consent withdrawn, a duplicate found); the next registry bundle carries
    /// the withdrawal. False when no such record exists.
    public func withdraw(_ recordId: String) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [recordId])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "INSERT INTO change_log (record_id, kind) VALUES (?, 'withdraw')", arguments: [recordId])
            return true
        }
    }

    /// Corrects what vetting can change after registration; the next bundle carries the record as it stands.
    public func correct(_ recordId: String, verification: String?, stateCollusion: Bool?) throws -> Bool {
        try writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM record WHERE record_id = ?", arguments: [recordId]) != nil else { return false }
            if let verification { try db.execute(sql: "UPDATE record SET verification = ? WHERE record_id = ?", arguments: [verification, recordId]) }
            if let stateCollusion { try db.execute(sql: "UPDATE record SET state_collusion = ? WHERE record_id = ?", arguments: [stateCollusion, recordId]) }
            try db.execute(sql: "INSERT INTO change_log (record_id, kind) VALUES (?, 'correct')", arguments: [recordId])
            return true
        }
    }

    /// What the next registry bundle carries: every change since the last published bundle (or
    /// every record, `full`), with the regional pseudonyms in place of the national ones.
    public struct PendingPublication: Sendable {
        public let sequence: Int
        public let throughSerial: Int
        public let additions: [RegistryRecord]
        public let corrections: [RegistryRecord]
        public let withdrawals: [String]
        /// Records that cannot travel: no regional pseudonym stored for them.
        public let missingRegionalPseudonyms: Int
    }

    public func pendingPublication(full: Bool) throws -> PendingPublication {
        try writer.read { db in
            let last = try Row.fetchOne(db, sql: "SELECT sequence, through_serial FROM publication ORDER BY sequence DESC LIMIT 1")
            let lastSequence: Int = last?["sequence"] ?? 0, lastSerial: Int = last?["through_serial"] ?? 0
            let through = try Int.fetchOne(db, sql: "SELECT coalesce(max(serial), 0) FROM change_log") ?? 0
            // Sent before: an addition that a published bundle already carried.
            let sent = Set(try String.fetchAll(db, sql: "SELECT DISTINCT record_id FROM change_log WHERE serial <= ?", arguments: [lastSerial]))
            let changed = full ? nil : Set(try String.fetchAll(db, sql: "SELECT DISTINCT record_id FROM change_log WHERE serial > ?", arguments: [lastSerial]))
            var regional: [String: RegionalPseudonyms] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT record_id, defender_pid, organisation_pid FROM record_regional") {
                regional[row["record_id"]] = RegionalPseudonyms(defender: row["defender_pid"], organisation: row["organisation_pid"])
            }
            let current = try Self.records(db, ids: changed)
            var additions: [RegistryRecord] = [], corrections: [RegistryRecord] = []
            var missing = 0
            for var r in current {
                guard let p = regional[r.recordId] else { missing += 1; continue }
                r.defenderPid = p.defender
                r.organisationPid = p.organisation
                if full || !sent.contains(r.recordId) { additions.append(r) } else { corrections.append(r) }
            }
            let present = Set(current.map(\.recordId))
            // Withdrawn: sent before and gone now (a record added and withdrawn between two
            // bundles never reached the region: nothing to say).
            let withdrawals = full ? [] : (changed ?? []).subtracting(present).filter { sent.contains($0) }.sorted()
            return PendingPublication(sequence: lastSequence + 1, throughSerial: through, additions: additions, corrections: corrections,
                                      withdrawals: withdrawals, missingRegionalPseudonyms: missing)
        }
    }

    /// Called once the bundle is written and synced: the next one starts after it.
    public func recordPublication(_ pending: PendingPublication, full: Bool) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO publication (sequence, through_serial, full) VALUES (?, ?, ?)", arguments: [pending.sequence, pending.throughSerial, full])
        }
    }

    // MARK: regional side: pinned networks and imports

    public struct PinnedNetwork: Sendable, Equatable {
        public let id: NetworkId
        public let fingerprint: SigningKeyFingerprint
        public let lastSequence: Int
        /// ISO 3166-1 codes its records may name; empty for a pin made before countries were.
        public let countries: [String]
    }

    /// Pins a network's fingerprint and countries. Pinning again with the same fingerprint names
    /// the countries of a network pinned before they existed; other countries than those pinned
    /// are refused (a network's reach is changed only by a new pin, after removing the old).
    public func pin(_ id: NetworkId, fingerprint: SigningKeyFingerprint, countries: [String]) throws(RegionalImportError) {
        let list = Array(Set(countries)).sorted()
        for c in list where !Vocabulary.countries.contains(c) { throw .store(L("`{c}` is not a country of the vocabulary", ["c": c])) }
        guard !list.isEmpty else { throw .store(L("a network needs at least one country")) }
        do {
            try writer.write { db in
                if let row = try Row.fetchOne(db, sql: "SELECT fingerprint, countries FROM network WHERE id = ?", arguments: [id.text]) {
                    let existing: String = row["fingerprint"], pinned: String = row["countries"]
                    guard existing == fingerprint.description else { throw RegionalImportError.alreadyPinned(id, existing) }
                    if pinned.isEmpty {
                        try db.execute(sql: "UPDATE network SET countries = ? WHERE id = ?", arguments: [list.joined(separator: " "), id.text])
                    } else if pinned != list.joined(separator: " ") {
                        throw RegionalImportError.countriesPinned(id, pinned)
                    }
                    return
                }
                if let other = try String.fetchOne(db, sql: "SELECT id FROM network WHERE fingerprint = ?", arguments: [fingerprint.description]) {
                    throw RegionalImportError.fingerprintInUse(other)
                }
                try db.execute(sql: "INSERT INTO network (id, fingerprint, countries) VALUES (?, ?, ?)", arguments: [id.text, fingerprint.description, list.joined(separator: " ")])
            }
        } catch let e as RegionalImportError { throw e } catch { throw .store("\(error)") }
    }

    public func pinnedNetworks() throws -> [PinnedNetwork] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, fingerprint, last_sequence, countries FROM network ORDER BY id").compactMap { row in
                guard let id = NetworkId(row["id"]), let f = SigningKeyFingerprint(text: row["fingerprint"]) else { return nil }
                let countries: String = row["countries"]
                return PinnedNetwork(id: id, fingerprint: f, lastSequence: row["last_sequence"], countries: countries.split(separator: " ").map(String.init))
            }
        }
    }

    /// What one import changed.
    public struct ImportOutcome: Sendable, Equatable {
        public let added: Int
        public let corrected: Int
        public let withdrawn: Int
        public let replaced: Int
    }

    /// Applies an opened, verified bundle in one transaction: the sequence must follow the last
    /// one imported from this network; a full bundle replaces the network's records; records are
    /// stored as `network:record_id`, so a network can only ever touch its own.
    public func apply(_ payload: RegistryBundlePayload) throws(RegionalImportError) -> ImportOutcome {
        do {
            return try writer.write { db in
                guard let pin = try Row.fetchOne(db, sql: "SELECT last_sequence, countries FROM network WHERE id = ?", arguments: [payload.network.text]) else {
                    throw RegionalImportError.notPinned(payload.network)
                }
                let last: Int = pin["last_sequence"], pinnedText: String = pin["countries"]
                let countries = Set(pinnedText.split(separator: " ").map(String.init))
                guard !countries.isEmpty else { throw RegionalImportError.noCountries(payload.network) }
                for r in payload.additions + payload.corrections where !countries.contains(r.country) {
                    throw RegionalImportError.outsideCountries(payload.network, r.country, pinnedText)
                }
                guard payload.sequence > last else {
                    throw payload.sequence == last ? RegionalImportError.replay(payload.network, payload.sequence)
                        : RegionalImportError.rollback(payload.network, payload.sequence, last: last)
                }
                func scoped(_ r: RegistryRecord) -> RegistryRecord {
                    var r = r
                    r.recordId = payload.network.text + ":" + r.recordId
                    r.network = payload.network.text
                    return r
                }
                var replaced = 0
                if payload.isFull {
                    try db.execute(sql: "DELETE FROM record WHERE network = ?", arguments: [payload.network.text])
                    replaced = db.changesCount
                }
                var added = 0, corrected = 0, withdrawn = 0
                for r in payload.additions.map(scoped) {
                    try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [r.recordId])
                    try Self.insertRow(db, r)
                    added += 1
                }
                for r in payload.corrections.map(scoped) {
                    try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [r.recordId])
                    try Self.insertRow(db, r)
                    corrected += 1
                }
                for id in payload.withdrawals {
                    try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [payload.network.text + ":" + id])
                    withdrawn += db.changesCount
                }
                try db.execute(sql: "UPDATE network SET last_sequence = ? WHERE id = ?", arguments: [payload.sequence, payload.network.text])
                return ImportOutcome(added: added, corrected: corrected, withdrawn: withdrawn, replaced: replaced)
            }
        } catch let e as RegionalImportError { throw e } catch { throw .store("\(error)") }
    }
}

/// A record's pseudonyms under the regional key (what replaces the national ones in a bundle).
public struct RegionalPseudonyms: Sendable, Equatable {
    public let defender: String
    public let organisation: String?
    public init(defender: String, organisation: String?) {
        self.defender = defender
        self.organisation = organisation
    }
}

public enum RegionalImportError: Error, Equatable, CustomStringConvertible {
    case notPinned(NetworkId)
    case alreadyPinned(NetworkId, String)
    case fingerprintInUse(String)
    case replay(NetworkId, Int)
    case rollback(NetworkId, Int, last: Int)
    /// A changes bundle that is not the next one: the ones between could hold withdrawals.
    case gap(NetworkId, Int, expected: Int)
    case countriesPinned(NetworkId, String)
    case noCountries(NetworkId)
    case outsideCountries(NetworkId, String, String)
    case store(String)

    public var description: String {
        switch self {
        case .notPinned(let id): return L("network {id} is not pinned at this regional office (resguardo networks add {id} --fingerprint …)", ["id": "\(id)"])
        case .alreadyPinned(let id, let f): return L("network {id} is already pinned to fingerprint {f}", ["id": "\(id)", "f": "\(f)"])
        case .fingerprintInUse(let other): return L("that fingerprint is already pinned for network {other}", ["other": "\(other)"])
        case .replay(let id, let n): return L("bundle {n} of network {id} was imported already (a replay); nothing changed", ["n": "\(n)", "id": "\(id)"])
        case .rollback(let id, let n, let last): return L("bundle {n} of network {id} is older than bundle {last}, imported already (a rollback); nothing changed", ["n": "\(n)", "id": "\(id)", "last": "\(last)"])
        case .gap(let id, let n, let expected): return L("bundle {n} of network {id} holds changes, but the next one is {expected}: the bundles in between are missing (they may hold withdrawals someone is holding back); import them first, or ask the network for a full bundle (resguardo registry publish --full); nothing changed", ["n": "\(n)", "id": "\(id)", "expected": "\(expected)"])
        case .countriesPinned(let id, let c): return L("network {id} is already pinned to the countries {c}", ["id": "\(id)", "c": c])
        case .noCountries(let id): return L("network {id} was pinned before networks had countries: name them (resguardo networks add {id} --fingerprint … --countries …); nothing changed", ["id": "\(id)"])
        case .outsideCountries(let id, let c, let pinned): return L("a record of network {id} is in {c}, outside its pinned countries ({pinned}): the whole bundle is refused; nothing changed", ["id": "\(id)", "c": c, "pinned": pinned])
        case .store(let why): return L("the regional registry could not be written: {why}", ["why": "\(why)"])
        }
    }
}

/// Machine-readable exports of the de-identified records, with HURIDOCS MT codes beside ours.
public enum RegistryExport {
    /// What every record file says about itself, in its first column (CSV) or member (JSON):
    /// record-level data stays with the initiative, like an `--internal` report.
    public static let classification = "INTERNO - NO PUBLICAR / INTERNAL - DO NOT PUBLISH"

    /// The records as they stand in the registry (the preview staff see before loading).
    public static func csv(_ records: [RegistryRecord]) -> String {
        csv(records.map { ($0, $0.peopleAffected.map(String.init)) }, classified: false)
    }

    public static func json(_ records: [RegistryRecord]) -> [UInt8] {
        JSONValue.array(records.map { object($0, peopleAffected: $0.peopleAffected.map(JSONValue.int) ?? .null) }).serialized() + [0x0A]
    }

    /// A record file to hand over (`resguardo registry export`): the output of `RecordRelease`,
    /// every row classified internal.
    public static func csv(_ release: RecordRelease.Outcome) -> String {
        csv(release.records.map { ($0.record, $0.peopleAffectedBand) }, classified: true)
    }

    public static func json(_ release: RecordRelease.Outcome, linkable: Bool) -> [UInt8] {
        JSONValue.object([
            ("classification", .string(classification)),
            ("pseudonyms", .string(linkable ? "linkable: the registry's own; never share this file" : "this export only: not comparable with any other file")),
            ("withheld_below_k", .int(release.withheld)),
            ("records", .array(release.records.map { object($0.record, peopleAffected: $0.peopleAffectedBand.map(JSONValue.string) ?? .null) })),
        ]).serialized() + [0x0A]
    }

    static func csv(_ rows: [(RegistryRecord, String?)], classified: Bool) -> String {
        var header = ["record_id", "defender_pid", "organisation_pid", "country", "region", "period", "date_precision", "aggression_types",
                      "aggression_types_mt04", "perpetrators", "perpetrators_mt24", "state_collusion", "rights_defended", "target_scope",
                      "people_affected", "gender_identity", "age_band", "ethnicity", "gender_component", "gender_component_types",
                      "digital", "affects_relatives", "setting", "verification", "network"]
        if classified { header.insert("classification", at: 0) }
        var lines = [header.joined(separator: ",")]
        for (r, people) in rows {
            var fields: [String] = [
                r.recordId, r.defenderPid, r.organisationPid ?? "", r.country, r.region ?? "", r.period ?? "", r.datePrecision,
                r.aggressionTypes.joined(separator: ";"), r.aggressionTypes.map { Vocabulary.aggressionTypes.term($0)?.esf ?? "" }.joined(separator: ";"),
                r.perpetrators.joined(separator: ";"), r.perpetrators.map { Vocabulary.perpetrators.term($0)?.esf ?? "" }.joined(separator: ";"),
                r.stateCollusion ? "1" : "0", r.rightsDefended.joined(separator: ";"), r.targetScope ?? "",
                people ?? "", r.genderIdentity, r.ageBand ?? "", r.ethnicity, r.genderComponent ? "1" : "0",
                r.genderComponentTypes.joined(separator: ";"), r.digital ? "1" : "0", r.affectsRelatives.map { $0 ? "1" : "0" } ?? "",
                r.setting ?? "", r.verification, r.network,
            ]
            if classified { fields.insert(classification, at: 0) }
            lines.append(fields.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting, plus a leading apostrophe for cells a spreadsheet would run as a formula.
    static func quote(_ field: String) -> String {
        var f = field
        if let first = f.first, "=+-@".contains(first) { f = "'" + f }
        guard f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return f }
        return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func object(_ r: RegistryRecord, peopleAffected: JSONValue) -> JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return .object([
            ("record_id", .string(r.recordId)), ("defender_pid", .string(r.defenderPid)), ("organisation_pid", optional(r.organisationPid)),
            ("country", .string(r.country)), ("region", optional(r.region)), ("period", optional(r.period)),
            ("date_precision", .string(r.datePrecision)), ("aggression_types", strings(r.aggressionTypes)),
            ("aggression_types_mt04", strings(r.aggressionTypes.map { Vocabulary.aggressionTypes.term($0)?.esf ?? "" })),
            ("perpetrators", strings(r.perpetrators)),
            ("perpetrators_mt24", strings(r.perpetrators.map { Vocabulary.perpetrators.term($0)?.esf ?? "" })),
            ("state_collusion", .bool(r.stateCollusion)), ("rights_defended", strings(r.rightsDefended)),
            ("target_scope", optional(r.targetScope)), ("people_affected", peopleAffected),
            ("gender_identity", .string(r.genderIdentity)), ("age_band", optional(r.ageBand)), ("ethnicity", .string(r.ethnicity)),
            ("gender_component", .bool(r.genderComponent)), ("gender_component_types", strings(r.genderComponentTypes)),
            ("digital", .bool(r.digital)), ("affects_relatives", r.affectsRelatives.map(JSONValue.bool) ?? .null),
            ("setting", optional(r.setting)), ("verification", .string(r.verification)), ("network", .string(r.network)),
        ])
    }
}
