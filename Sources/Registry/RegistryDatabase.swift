public import Deidentify
import Foundation
import Formats
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
        return migrator
    }

    public func insert(_ records: [RegistryRecord]) throws {
        try writer.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO record (record_id, defender_pid, organisation_pid, country, region, period, date_precision, target_scope,
                    people_affected, state_collusion, gender_identity, age_band, ethnicity, gender_component, digital, affects_relatives,
                    setting, verification, network) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in records {
                try insert.execute(arguments: [r.recordId, r.defenderPid, r.organisationPid, r.country, r.region, r.period, r.datePrecision, r.targetScope,
                                     r.peopleAffected, r.stateCollusion, r.genderIdentity, r.ageBand, r.ethnicity, r.genderComponent, r.digital,
                                     r.affectsRelatives, r.setting, r.verification, r.network])
                for (values, (table, column)) in zip([r.aggressionTypes, r.perpetrators, r.rightsDefended, r.genderComponentTypes], Self.multiValued) {
                    for v in values {
                        try db.cachedStatement(sql: "INSERT INTO \(table) (record_id, \(column)) VALUES (?, ?)").execute(arguments: [r.recordId, v])
                    }
                }
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

    public func all() throws -> [RegistryRecord] {
        try writer.read { db in
            var multi: [String: [[String]]] = [:]
            for (index, (table, column)) in Self.multiValued.enumerated() {
                for row in try Row.fetchAll(db, sql: "SELECT record_id, \(column) FROM \(table) ORDER BY record_id, \(column)") {
                    let id: String = row["record_id"]
                    var lists = multi[id] ?? [[], [], [], []]
                    lists[index].append(row[column])
                    multi[id] = lists
                }
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM record ORDER BY record_id").map { row in
                let id: String = row["record_id"]
                let lists = multi[id] ?? [[], [], [], []]
                return RegistryRecord(
                    recordId: id, defenderPid: row["defender_pid"], organisationPid: row["organisation_pid"], country: row["country"],
                    region: row["region"], period: row["period"], datePrecision: row["date_precision"], aggressionTypes: lists[0],
                    targetScope: row["target_scope"], peopleAffected: row["people_affected"], perpetrators: lists[1],
                    stateCollusion: row["state_collusion"], rightsDefended: lists[2], genderIdentity: row["gender_identity"],
                    ageBand: row["age_band"], ethnicity: row["ethnicity"], genderComponent: row["gender_component"],
                    genderComponentTypes: lists[3], digital: row["digital"], affectsRelatives: row["affects_relatives"],
                    setting: row["setting"], verification: row["verification"], network: row["network"])
            }
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
