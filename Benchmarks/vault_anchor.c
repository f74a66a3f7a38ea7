/* The anchor for `scripts/bench vault`: raw sqlite3 inserting N rows shaped like the vault's
 * (16-byte random id, day, key id, bucket, urgent, sealed-by, one 4 KiB-bucket envelope) into the
 * vault's v3 schema with its pragmas (WAL, synchronous=FULL, 32 MiB cache, secure_delete), BATCH
 * rows a transaction. Prints "c<TAB>vault<TAB>N<TAB>rows/s". */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void run(sqlite3 *db, const char *sql) {
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "vault_anchor: %s: %s\n", sql, error);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: vault_anchor FILE N BATCH\n"); return 64; }
    int n = atoi(argv[2]), batch = atoi(argv[3]);
    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) { fprintf(stderr, "vault_anchor: cannot open %s\n", argv[1]); return 1; }
    run(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -32768; PRAGMA secure_delete = ON;");
    run(db, "CREATE TABLE submission (id BLOB NOT NULL CHECK (length(id) = 16), "
            "received_day TEXT NOT NULL CHECK (received_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'), "
            "key_id BLOB NOT NULL CHECK (length(key_id) = 8), bucket INTEGER NOT NULL CHECK (bucket >= 4096), "
            "urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)), sealed_by TEXT NOT NULL CHECK (sealed_by IN ('device', 'server')), "
            "export_id BLOB, envelope BLOB NOT NULL) STRICT;"
            "CREATE INDEX submission_by_export ON submission(export_id) WHERE export_id IS NOT NULL;");
    sqlite3_stmt *insert;
    sqlite3_prepare_v2(db, "INSERT INTO submission (id, received_day, key_id, bucket, urgent, sealed_by, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &insert, NULL);
    unsigned char envelope[4157], id[16], key_id[8];
    if (getrandom(envelope, sizeof envelope, 0) < 0 || getrandom(key_id, sizeof key_id, 0) < 0) return 1;
    double start = now();
    for (int i = 0; i < n; i += batch) {
        run(db, "BEGIN");
        for (int j = 0; j < batch && i + j < n; j++) {
            if (getrandom(id, sizeof id, 0) < 0) return 1;
            sqlite3_bind_blob(insert, 1, id, sizeof id, SQLITE_STATIC);
            sqlite3_bind_text(insert, 2, "2026-11-25", -1, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 3, key_id, sizeof key_id, SQLITE_STATIC);
            sqlite3_bind_int(insert, 4, 4096);
            sqlite3_bind_int(insert, 5, 0);
            sqlite3_bind_text(insert, 6, "device", -1, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 7, envelope, sizeof envelope, SQLITE_STATIC);
            if (sqlite3_step(insert) != SQLITE_DONE) { fprintf(stderr, "vault_anchor: %s\n", sqlite3_errmsg(db)); return 1; }
            sqlite3_reset(insert);
        }
        run(db, "COMMIT");
    }
    printf("c\tvault\t%d\t%f\n", n, n / (now() - start));
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return 0;
}
