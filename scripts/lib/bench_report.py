"""scripts/bench report: `resguardo registry report` over a 100,000-record registry, against the
same aggregates computed by one raw SQL GROUP BY per table, in the same run (issue 21 item 4).

usage: /usr/bin/python3 scripts/lib/bench_report.py BIN_DIR [RECORDS] [RUNS]

The registry is made here: a workspace from keys-example, then RECORDS de-identified records
written straight into its registry.sqlite with codes drawn from Formats/Vocabulary.swift (the
registry holds de-identified records only, so no case is needed). Each figure is the median of
RUNS runs. The report's time is the whole command (start, read every record, aggregate, suppress,
check, render, write); the anchor's is the queries alone, in SQLite's C code through Python's
sqlite3, so the ratio is an upper bound on what the report adds.
"""
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


VOCABULARY = os.path.join(REPO, "Sources", "Formats", "Vocabulary.swift")


def state_actors():
    """Vocabulary.stateActorCodes, as the report's state_actor table reads it."""
    text = open(VOCABULARY, encoding="utf-8").read()
    return re.findall(r'"([a-z_]+)"', re.search(r"stateActorCodes: Set<String> = \[([^\]]*)\]", text).group(1))


def vocabulary():
    """{block name: [codes]} from Vocabulary.swift."""
    text = open(VOCABULARY, encoding="utf-8").read()
    blocks = [(m.start(), m.group(1)) for m in re.finditer(r'Vocabulary\("([a-z_]+)"', text)]
    codes = {}
    for m in re.finditer(r'\bt\(\s*"([a-zA-Z0-9_\-]+)"\s*,', text):
        before = [b for b in blocks if b[0] < m.start()]
        if before:
            codes.setdefault(before[-1][1], []).append(m.group(1))
    return codes


def fill(path, count, codes, rng):
    db = sqlite3.connect(path)
    countries = [c for c in codes["country"] if c in ("MX", "GT", "HN", "SV")]
    records, multi = [], {"record_aggression": [], "record_perpetrator": [], "record_right": [], "record_gender_type": []}
    for i in range(count):
        rid = f"{i:032x}"
        country = rng.choice(countries)
        period = f"{rng.choice((2024, 2025, 2026))}-{rng.randint(1, 12):02d}"
        component = rng.random() < 0.4
        records.append((rid, f"d{rng.randrange(count // 3):08x}", f"o{rng.randrange(500):04x}" if rng.random() < 0.6 else None,
                        country, None, period, "month", rng.choice(codes["target_scope"]), rng.randint(1, 50), int(rng.random() < 0.2),
                        rng.choice(codes["gender_identity"]), rng.choice(codes["age_band"]), rng.choice(codes["ethnicity"]), int(component),
                        int(rng.random() < 0.3), int(rng.random() < 0.5), rng.choice(codes["setting"]), "vetted", country.lower()))
        for table, vocab, most in (("record_aggression", "aggression_types", 3), ("record_perpetrator", "perpetrators", 2),
                                   ("record_right", "rights_defended", 2)):
            for code in rng.sample(codes[vocab], rng.randint(1, most)):
                multi[table].append((rid, code))
        if component:
            multi["record_gender_type"].append((rid, rng.choice(codes["gender_component_types"])))
    with db:
        db.executemany("INSERT INTO record (record_id, defender_pid, organisation_pid, country, region, period, date_precision, target_scope, "
                       "people_affected, state_collusion, gender_identity, age_band, ethnicity, gender_component, digital, affects_relatives, "
                       "setting, verification, network) VALUES (" + ", ".join("?" * 19) + ")", records)
        for table, column in (("record_aggression", "aggression_type"), ("record_perpetrator", "perpetrator"),
                              ("record_right", "right_defended"), ("record_gender_type", "gender_component_type")):
            db.executemany(f"INSERT INTO {table} (record_id, {column}) VALUES (?, ?)", multi[table])
    db.close()


# One GROUP BY per table the report publishes (RegistryReport: years, countries, types,
# perpetrators, rights, scope, gender identity, gender component, state actor, killings, the top
# types per country), and the headline counts.
QUERIES = [
    "SELECT substr(period, 1, 4), count(*) FROM record GROUP BY 1",
    "SELECT country, count(*) FROM record GROUP BY 1",
    "SELECT aggression_type, count(*) FROM record_aggression GROUP BY 1",
    "SELECT perpetrator, count(*) FROM record_perpetrator GROUP BY 1",
    "SELECT right_defended, count(*) FROM record_right GROUP BY 1",
    "SELECT coalesce(target_scope, 'not_stated'), count(*) FROM record GROUP BY 1",
    "SELECT gender_identity, count(*) FROM record GROUP BY 1",
    "SELECT gender_component, count(*) FROM record GROUP BY 1",
    "SELECT EXISTS (SELECT 1 FROM record_perpetrator p WHERE p.record_id = r.record_id AND p.perpetrator IN ("
    + ", ".join(f"'{c}'" for c in state_actors()) + ")), count(*) FROM record r GROUP BY 1",
    "SELECT substr(r.period, 1, 4), r.country, a.aggression_type, count(*) FROM record r JOIN record_aggression a USING (record_id) "
    "WHERE a.aggression_type IN ('killing', 'attempted_killing') GROUP BY 1, 2, 3",
    "SELECT r.country, a.aggression_type, count(*) FROM record r JOIN record_aggression a USING (record_id) GROUP BY 1, 2",
    "SELECT count(*), count(DISTINCT defender_pid), count(DISTINCT organisation_pid) FROM record",
]


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    resguardo = os.path.join(bin_dir, "resguardo")
    work = tempfile.mkdtemp(prefix="bench-report-")
    try:
        keys = os.path.join(work, "keys")
        shutil.copytree(os.path.join(REPO, "keys-example"), keys)
        os.chmod(keys, 0o700)
        for name in os.listdir(keys):
            os.chmod(os.path.join(keys, name), 0o600)
        workspace = os.path.join(work, "ws")
        env = {**os.environ, "LANG": "C.UTF-8"}
        subprocess.run([resguardo, "init", "--workspace", workspace, "--keys", keys, "--passphrase-file", os.path.join(keys, "passphrase.txt")], check=True, env=env, stdout=subprocess.DEVNULL)
        # The first report makes the registry file with its schema (the migrations).
        subprocess.run([resguardo, "registry", "report", "--workspace", workspace, "--from", "2024", "--to", "2026", "--format", "json",
                        "--out", os.path.join(work, "empty.json")], check=True, env=env, stdout=subprocess.DEVNULL)
        started = time.monotonic()
        fill(os.path.join(workspace, "registry.sqlite"), count, vocabulary(), random.Random(21))
        print(f"report: {count} records made in {time.monotonic() - started:.1f} s; {runs} runs each, medians; {os.cpu_count()} cores")

        def report(fmt, n):
            out = os.path.join(work, f"report-{fmt}-{n}.{fmt}")
            t = time.monotonic()
            done = subprocess.run([resguardo, "registry", "report", "--workspace", workspace, "--from", "2024", "--to", "2026",
                                   "--format", fmt, "--out", out], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            elapsed = time.monotonic() - t
            if done.returncode != 0:
                sys.exit(f"registry report --format {fmt} failed: {done.stdout[-600:]}")
            return elapsed

        def anchor():
            db = sqlite3.connect(os.path.join(workspace, "registry.sqlite"))
            t = time.monotonic()
            rows = sum(len(db.execute(q).fetchall()) for q in QUERIES)
            elapsed = time.monotonic() - t
            db.close()
            return elapsed, rows

        sql, rows = [], 0
        json_times, html_times = [], []
        for n in range(runs):
            s, rows = anchor()
            sql.append(s)
            json_times.append(report("json", n))
            html_times.append(report("html", n))
        a = statistics.median(sql)
        print(f"{'raw SQL, one GROUP BY per table (anchor)':52} {a * 1000:9.0f} ms  ({len(QUERIES)} queries, {rows} rows)")
        for name, times in (("registry report --format json", json_times), ("registry report --format html", html_times)):
            m = statistics.median(times)
            print(f"{name:52} {m * 1000:9.0f} ms  ratio {m / a:5.2f} (goal ≤ 2)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
