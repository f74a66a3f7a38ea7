import GRDB

/// The case store's schema, one migration per version; a migration is never edited once
/// released (stores made by every earlier version must still open).
extension CaseDatabase {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: cases, quarantine, bundles, trust, audit") { db in
            try db.execute(sql: """
                CREATE TABLE trusted_vault (
                    public_key BLOB PRIMARY KEY NOT NULL CHECK (length(public_key) = 32),
                    fingerprint TEXT NOT NULL,
                    added_day TEXT NOT NULL
                ) STRICT;
                CREATE TABLE imported_bundle (
                    digest BLOB PRIMARY KEY NOT NULL CHECK (length(digest) = 32),
                    imported_day TEXT NOT NULL,
                    envelopes INTEGER NOT NULL,
                    new_cases INTEGER NOT NULL,
                    duplicates INTEGER NOT NULL,
                    quarantined INTEGER NOT NULL
                ) STRICT;
                -- One data key per import, sealed to the organisation's key; each item's key is
                -- derived from it (keyed BLAKE2b over the item id).
                CREATE TABLE data_key (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    sealed_key_id BLOB NOT NULL CHECK (length(sealed_key_id) = 8),
                    sealed_key BLOB NOT NULL
                ) STRICT;
                CREATE TABLE "case" (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    received_day TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('new', 'vetted', 'registered', 'rejected')),
                    country TEXT NOT NULL,
                    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
                    envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32),
                    data_key_id BLOB NOT NULL REFERENCES data_key(id),
                    nonce BLOB NOT NULL,
                    ciphertext BLOB NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE quarantine (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    received_day TEXT NOT NULL,
                    envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32),
                    reason_class TEXT NOT NULL,
                    data_key_id BLOB NOT NULL REFERENCES data_key(id),
                    nonce BLOB NOT NULL,
                    ciphertext BLOB NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE audit (
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    case_id BLOB,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL
                ) STRICT;
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v2: network secrets and case-to-record map") { db in
            try db.execute(sql: """
                -- Secrets of the country network (the pseudonym key), sealed to the organisation's key.
                CREATE TABLE network_secret (
                    name TEXT PRIMARY KEY NOT NULL,
                    sealed_key_id BLOB NOT NULL CHECK (length(sealed_key_id) = 8),
                    sealed BLOB NOT NULL
                ) STRICT;
                -- The only place a case id meets a registry record id (DESIGN.md §7 rule 5).
                CREATE TABLE case_record (
                    case_id BLOB NOT NULL REFERENCES "case"(id),
                    record_id TEXT PRIMARY KEY NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerMigration("v3: codename follow-ups and the reply queue") { db in
            try db.execute(sql: """
                -- A digest of the report's reply key (ReplyTag): reports sent with the same codename
                -- share it, so a follow-up is linked to the first case without the key in the clear.
                ALTER TABLE "case" ADD COLUMN reply_tag BLOB;
                ALTER TABLE "case" ADD COLUMN follows BLOB;
                CREATE INDEX case_by_reply_tag ON "case"(reply_tag);
                -- Replies sealed to a defender's codename key, waiting for `reply export`.
                CREATE TABLE reply_queue (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    case_id BLOB NOT NULL REFERENCES "case"(id),
                    mailbox_id BLOB NOT NULL CHECK (length(mailbox_id) = 16),
                    sealed BLOB NOT NULL,
                    queued_day TEXT NOT NULL,
                    exported_day TEXT
                ) STRICT;
                """)
        }
        migrator.registerMigration("v4: relocation coordinators") { db in
            try db.execute(sql: """
                -- Coordinators staff may refer vetted cases to (DESIGN.md §8), trusted by fingerprint.
                CREATE TABLE coordinator (
                    name TEXT PRIMARY KEY NOT NULL,
                    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
                    added_day TEXT NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerMigration("v5: case metadata apart from the sealed report; rowid tables") { db in
            // Measured (scripts/bench unseal): with the random case id as the key of a WITHOUT
            // ROWID table, every 4 KiB ciphertext went into a random leaf holding a handful of
            // rows, so storing a bundle cost ~35 µs a case, as much as opening it; and SQLite
            // rewrites a whole row on UPDATE, so each state change (vet, register) copied the
            // sealed report too. The sealed report now lives in case_content, appended in rowid
            // order and never updated; "case" keeps the small columns that change. Ids and
            // digests keep UNIQUE indexes (small entries): the foreign keys and the replay check
            // need them.
            try db.execute(sql: """
                CREATE TABLE case_content (
                    id INTEGER PRIMARY KEY,
                    nonce BLOB NOT NULL,
                    ciphertext BLOB NOT NULL
                ) STRICT;
                CREATE TABLE case_v5 (
                    id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
                    received_day TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('new', 'vetted', 'registered', 'rejected')),
                    country TEXT NOT NULL,
                    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
                    envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32),
                    data_key_id BLOB NOT NULL REFERENCES data_key(id),
                    reply_tag BLOB,
                    follows BLOB,
                    content_id INTEGER NOT NULL UNIQUE REFERENCES case_content(id)
                ) STRICT;
                INSERT INTO case_content (id, nonce, ciphertext)
                    SELECT row_number() OVER (ORDER BY received_day, id), nonce, ciphertext FROM "case";
                INSERT INTO case_v5 (id, received_day, state, country, urgent, envelope_digest, data_key_id, reply_tag, follows, content_id)
                    SELECT id, received_day, state, country, urgent, envelope_digest, data_key_id, reply_tag, follows,
                           row_number() OVER (ORDER BY received_day, id) FROM "case";
                DROP TABLE "case";
                ALTER TABLE case_v5 RENAME TO "case";
                CREATE INDEX case_by_reply_tag ON "case"(reply_tag);
                CREATE TABLE quarantine_v5 (
                    id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
                    received_day TEXT NOT NULL,
                    envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32),
                    reason_class TEXT NOT NULL,
                    data_key_id BLOB NOT NULL REFERENCES data_key(id),
                    nonce BLOB NOT NULL,
                    ciphertext BLOB NOT NULL
                ) STRICT;
                INSERT INTO quarantine_v5 SELECT id, received_day, envelope_digest, reason_class, data_key_id, nonce, ciphertext FROM quarantine;
                DROP TABLE quarantine;
                ALTER TABLE quarantine_v5 RENAME TO quarantine;
                """)
        }
        // The envelope's sealed-by-intake flag: staff must know which reports the intake saw in
        // the clear (the no-JavaScript path). Cases imported before this version did not keep
        // it; they are marked unknown (NULL), never "sealed on the device".
        migrator.registerMigration("v6: sealed by the intake") { db in
            try db.execute(sql: """
                ALTER TABLE "case" ADD COLUMN sealed_by_intake INTEGER CHECK (sealed_by_intake IN (0, 1));
                """)
        }
        // The regional office this network publishes to (DESIGN.md §9): its id for the network,
        // the key registry bundles are sealed to, the fingerprint a person compared. The
        // regional pseudonym key itself is a network_secret ('regional-pseudonym').
        migrator.registerMigration("v7: the regional office") { db in
            try db.execute(sql: """
                CREATE TABLE region (
                    only INTEGER PRIMARY KEY CHECK (only = 1),
                    network TEXT NOT NULL,
                    region_encryption_key BLOB NOT NULL CHECK (length(region_encryption_key) = 32),
                    region_fingerprint TEXT NOT NULL
                ) STRICT;
                """)
        }
        // The protection case (issue 31): each item (risk assessment, security measure, support
        // request, and the kinds later versions add) sealed to the organisation's key, one row
        // per version, so history stays; the kinds are checked in Swift so a later kind needs no
        // table rebuild. The current overall risk and its day sit on the case, in the clear like
        // the state, for `cases list` to sort by without the passphrase; so does the day a protection
        // case was closed (its outcome is sealed).
        migrator.registerMigration("v8: protection case") { db in
            try db.execute(sql: """
                CREATE TABLE protection_item (
                    seq INTEGER PRIMARY KEY,
                    case_id BLOB NOT NULL REFERENCES "case"(id),
                    item_id BLOB NOT NULL CHECK (length(item_id) = 8),
                    kind TEXT NOT NULL,
                    recorded_day TEXT NOT NULL,
                    sealed_key_id BLOB NOT NULL CHECK (length(sealed_key_id) = 8),
                    sealed BLOB NOT NULL
                ) STRICT;
                CREATE INDEX protection_by_case ON protection_item(case_id, kind, seq);
                ALTER TABLE "case" ADD COLUMN risk_level TEXT CHECK (risk_level IN ('low', 'medium', 'high', 'extreme'));
                ALTER TABLE "case" ADD COLUMN risk_day TEXT;
                ALTER TABLE "case" ADD COLUMN closed_day TEXT;
                -- A coordinator's status-update signing key, pinned like its encryption key; and
                -- every referral made, so an update names one of them and is applied only when
                -- newer than the last (the sequence it carries).
                ALTER TABLE coordinator ADD COLUMN signing_key BLOB CHECK (signing_key IS NULL OR length(signing_key) = 32);
                CREATE TABLE referral (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),
                    case_id BLOB NOT NULL REFERENCES "case"(id),
                    coordinator TEXT NOT NULL REFERENCES coordinator(name),
                    created_day TEXT NOT NULL,
                    expires TEXT NOT NULL,
                    last_update INTEGER NOT NULL DEFAULT 0
                ) STRICT;
                """)
        }
        // Merged follow-ups (issue 32): the state's CHECK names every state, and SQLite cannot
        // change a CHECK in place, so the small case table is copied (the sealed reports in
        // case_content are not touched). Rowids are kept: they are the import order.
        migrator.registerMigration("v9: merged follow-ups") { db in
            try db.execute(sql: """
                CREATE TABLE case_v9 (
                    id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
                    received_day TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('new', 'vetted', 'registered', 'rejected', 'merged')),
                    country TEXT NOT NULL,
                    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
                    envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32),
                    data_key_id BLOB NOT NULL REFERENCES data_key(id),
                    reply_tag BLOB,
                    follows BLOB,
                    content_id INTEGER NOT NULL UNIQUE REFERENCES case_content(id),
                    sealed_by_intake INTEGER CHECK (sealed_by_intake IN (0, 1)),
                    risk_level TEXT CHECK (risk_level IN ('low', 'medium', 'high', 'extreme')),
                    risk_day TEXT,
                    closed_day TEXT
                ) STRICT;
                INSERT INTO case_v9 (rowid, id, received_day, state, country, urgent, envelope_digest, data_key_id, reply_tag, follows, content_id,
                                     sealed_by_intake, risk_level, risk_day, closed_day)
                    SELECT rowid, id, received_day, state, country, urgent, envelope_digest, data_key_id, reply_tag, follows, content_id,
                           sealed_by_intake, risk_level, risk_day, closed_day FROM "case";
                DROP TABLE "case";
                ALTER TABLE case_v9 RENAME TO "case";
                CREATE INDEX case_by_reply_tag ON "case"(reply_tag);
                """)
        }
        // A coordinator removed (`coordinators remove`): the row stays, since referrals name it
        // and the audit trail speaks of it; the day and why decide what is still accepted.
        migrator.registerMigration("v10: coordinators removed") { db in
            try db.execute(sql: """
                ALTER TABLE coordinator ADD COLUMN removed_day TEXT;
                ALTER TABLE coordinator ADD COLUMN removed_reason TEXT CHECK (removed_reason IS NULL OR removed_reason IN ('left', 'compromised'));
                """)
        }
        return migrator
    }
}
