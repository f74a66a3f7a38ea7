"""scripts/bench intake --vault postgres: one and two intakes on a PostgreSQL vault next to one
intake on SQLite and nginx `return 201` (the anchor), same run, same wrk settings. Two intakes
on this host's two cores run one event-loop thread each (`--threads 1`, docs/deploy.md); a last
row shows them with the default (one per core each) for comparison.

usage: /usr/bin/python3 scripts/lib/bench_pg.py BIN_DIR SECONDS ROUNDS

Every configuration is loaded by two wrk processes (-t1 -c32 each, 64 connections in all); with
two intakes each wrk drives one, as a TCP balancer would split them. Every acknowledgement is
durable (SQLite synchronous=FULL; PostgreSQL synchronous_commit=on, fsync on). Printed per
configuration: requests/s, p50/p99, PostgreSQL's commits/s, and CPU time per acknowledged
submission of each process kind (intake, PostgreSQL), from /proc, over the load only.
"""
import base64
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_e2e import Cluster  # noqa: E402  (the same throwaway cluster as the test)
from bench_tls import certificate, nginx_config, post_script  # noqa: E402

import nacl.public  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HZ = os.sysconf("SC_CLK_TCK")
FINGERPRINT = "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"


def ticks(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True).stdout.split()
    return [int(p) for p in out]


def psql(cluster, sql):
    out = subprocess.run(cluster.command("psql", "-h", cluster.socket, "-U", "postgres", "-d", "postgres", "-At", "-c", sql),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    return out.stdout.strip()


def wrk(ports, seconds, lua):
    """Two wrk processes at once, one per port in `ports` (the same port twice for one server)."""
    procs = [subprocess.Popen(["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", "-s", lua, f"https://127.0.0.1:{p}/v1/reports"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for p in ports]
    outs = [p.communicate()[0] for p in procs]
    figures = []
    for out in outs:
        def field(pattern, default="0"):
            m = re.search(pattern, out)
            return m.group(1) if m else default
        figures.append({
            "rps": float(field(r"Requests/sec:\s+([\d.]+)")),
            "requests": int(field(r"(\d+) requests in")),
            "bad": int(field(r"Non-2xx or 3xx responses: (\d+)")),
            "errors": out.count("Socket errors"),
            "p50": field(r"\s50%\s+(\S+)", "?"), "p99": field(r"\s99%\s+(\S+)", "?"),
        })
    return figures


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]


def main():
    bin_dir, seconds, rounds = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    intake_bin = os.path.join(bin_dir, "resguardo-intake")
    work = tempfile.mkdtemp(prefix="bench-pg-")
    os.chmod(work, 0o755)
    running = []
    cluster = None
    try:
        certificate(work)
        outer = json.load(open(os.path.join(REPO, "keys-example", "manifest.json")))
        key = json.loads(base64.b64decode(outer["payload"]))["encryption_keys"][-1]
        report = json.dumps({"version": 1, "language": "es", "country": "MX", "description": "carga de prueba " * 100}).encode()
        padded = report + b"\x80" + b"\x00" * (4096 - len(report) - 1)
        sealed = nacl.public.SealedBox(nacl.public.PublicKey(base64.b64decode(key["public_key"]))).encrypt(padded)
        open(f"{work}/envelope.bin", "wb").write(b"RSG1\x00" + bytes.fromhex(key["id"]) + sealed)
        lua = f"{work}/post.lua"
        post_script(lua, f"{work}/envelope.bin")
        nginx_config(work, 18443, """201 '{"receipt":"0000"}'""")
        folder = f"{work}/intake"
        os.makedirs(f"{folder}/keys-example")
        shutil.copy(os.path.join(REPO, "keys-example", "manifest.json"), f"{folder}/keys-example/")
        cluster = Cluster(f"{work}/pg")
        settings = psql(cluster, "SELECT current_setting('synchronous_commit') || ' fsync=' || current_setting('fsync') || ' shared_buffers=' || current_setting('shared_buffers')")
        version = psql(cluster, "SHOW server_version")
        print(f"intake --vault postgres: 2 × wrk -t1 -c32 -d{seconds}s, 4 KiB-bucket envelopes, {os.cpu_count()} cores, {rounds} rounds; "
              f"PostgreSQL {version} (synchronous_commit={settings}), on a Unix socket", flush=True)

        def start_intake(port, vault_args, env=None):
            log = open(f"{work}/intake-{port}.log", "w+")
            p = subprocess.Popen([intake_bin, "serve", "--certificate", f"{work}/cert.pem", "--private-key", f"{work}/key.pem",
                                  "--manifest", "keys-example/manifest.json", "--fingerprint", FINGERPRINT, "--pow-difficulty", "0",
                                  "--pow-max-difficulty", "0", "--port", str(port), "--log-level", "notice", *vault_args],
                                 cwd=folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
            running.append(p)
            for _ in range(300):
                log.seek(0)
                if "serving https" in log.read():
                    return p
                time.sleep(0.1)
            log.seek(0)
            sys.exit(f"intake did not start: {log.read()[-800:]}")

        batching = {}

        def stop(p, name=None):
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
            running.remove(p)
            # The intake's one line at shutdown: submissions and durable commits (group commit).
            text = open(f"{work}/intake-{p.args[p.args.index('--port') + 1]}.log").read()
            m = re.search(r"stopped.*?commits=(\d+).*?stored=(\d+)|stopped.*?stored=(\d+).*?commits=(\d+)", text)
            if name and m:
                commits, stored = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
                c, n = batching.get(name, (0, 0))
                batching[name] = (c + commits, n + stored)

        results = {}
        for rnd in range(1, rounds + 1):
            # nginx, the anchor.
            subprocess.run(["nginx", "-p", f"{work}/nginx", "-c", "nginx.conf"], check=True)
            time.sleep(0.5)
            f = wrk([18443, 18443], seconds, lua)
            subprocess.run(["nginx", "-p", f"{work}/nginx", "-c", "nginx.conf", "-s", "stop"])
            time.sleep(0.5)
            results.setdefault("nginx return 201 (anchor)", []).append((f, None, None, 0))
            # One intake on SQLite.
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(f"{folder}/vault.sqlite{suffix}"):
                    os.remove(f"{folder}/vault.sqlite{suffix}")
            p = start_intake(18444, ["--vault", "vault.sqlite"])
            before = ticks(p.pid)
            f = wrk([18444, 18444], seconds, lua)
            intake_cpu = ticks(p.pid) - before
            stop(p, "1 intake, SQLite vault")
            results.setdefault("1 intake, SQLite vault", []).append((f, intake_cpu, None, 0))
            # One and two intakes on PostgreSQL (the table emptied between rounds).
            # Two intakes sharing this host's two cores take one event-loop thread each
            # (http.threads, as docs/deploy.md advises); the last row shows them with the default
            # of one per core each, for comparison.
            # Capacity is measured with the commit window off (vault.commit_window_ms 0); the
            # last row keeps the default 500 ms window (review N2: a commit dates only its
            # window), where each client waits up to a window per report, so 64 connections
            # can make at most ~128 reports a second: latency bought for privacy, not CPU.
            for count, threads, window, name in ((1, 0, "0", "1 intake, PostgreSQL vault"), (2, 1, "0", "2 intakes, PostgreSQL vault"),
                                                 (2, 0, "0", "2 intakes, PostgreSQL, 2 threads each"),
                                                 (2, 1, None, "2 intakes, PostgreSQL, 500 ms window")):
                if psql(cluster, "SELECT to_regclass('submission') IS NOT NULL") == "t":
                    psql(cluster, "TRUNCATE submission, spent_token")
                url = cluster.url
                env = {"RESGUARDO_INTAKE_VAULT_COMMIT_WINDOW_MS": window} if window is not None else {}
                ps = [start_intake(18445 + i, ["--vault-url", url, "--threads", str(threads)], env) for i in range(count)]
                time.sleep(0.5)
                master = cluster.pid()
                pg_before = {c: ticks(c) for c in [master] + children(master)}
                intake_before = [ticks(p.pid) for p in ps]
                commits_before = int(psql(cluster, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'") or 0)
                f = wrk([18445, 18445 + count - 1], seconds, lua)
                commits = int(psql(cluster, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'") or 0) - commits_before
                intake_cpu = sum(ticks(p.pid) - b for p, b in zip(ps, intake_before))
                pg_cpu = sum(ticks(c) - pg_before.get(c, 0) for c in [master] + children(master))
                stored = int(psql(cluster, "SELECT count(*) FROM submission") or 0)
                for p in ps:
                    stop(p, name)
                acked = sum(x["requests"] - x["bad"] for x in f)
                if stored < acked:
                    sys.exit(f"{acked} acknowledged but {stored} in the vault")
                results.setdefault(name, []).append((f, intake_cpu, pg_cpu, commits))
            print(f"round {rnd} done", flush=True)

        print(f"{'server':38} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'ratio':>6} {'commits/s':>10} {'intake µs/ack':>14} {'pg µs/ack':>10}")
        anchor = statistics.median(sum(x["rps"] for x in r[0]) for r in results["nginx return 201 (anchor)"])
        summary = {}
        for name, runs in results.items():
            rps = statistics.median(sum(x["rps"] for x in r[0]) for r in runs)
            p50 = statistics.median(max(to_ms(x["p50"]) for x in r[0]) for r in runs)
            p99 = statistics.median(max(to_ms(x["p99"]) for x in r[0]) for r in runs)
            bad = sum(sum(x["bad"] for x in r[0]) for r in runs)
            acked = [sum(x["requests"] - x["bad"] for x in r[0]) for r in runs]
            intake_us = statistics.median(r[1] * 1e6 / HZ / a for r, a in zip(runs, acked)) if runs[0][1] is not None else None
            pg_us = statistics.median(r[2] * 1e6 / HZ / a for r, a in zip(runs, acked)) if runs[0][2] is not None else None
            commits = statistics.median(r[3] / seconds for r in runs) if runs[0][2] is not None else None
            summary[name] = (rps, intake_us, pg_us)
            print(f"{name:38} {rps:9.0f} {p50:8.1f} {p99:8.1f} {bad:8d} {rps / anchor:6.2f} "
                  f"{commits if commits is not None else float('nan'):10.0f} {intake_us if intake_us is not None else float('nan'):14.0f} "
                  f"{pg_us if pg_us is not None else float('nan'):10.0f}")
        for name, (commits, stored) in batching.items():
            print(f"group commit, {name}: {stored} submissions in {commits} durable commits ({stored / max(commits, 1):.1f} a commit)")
        sqlite = summary["1 intake, SQLite vault"][0]
        two, intake_us, pg_us = summary["2 intakes, PostgreSQL vault"]
        print(f"two intakes on PostgreSQL / one intake on SQLite: {two / sqlite:.2f} (goal ≥ 0.5); "
              f"PostgreSQL CPU per submission / intake CPU per submission: {pg_us / intake_us:.2f} (goal ≤ 1)")
        # Projection from CPU per acknowledgement: N intake hosts of 2 cores, one database host of 2 cores.
        per_intake_host = 2e6 / intake_us
        db_host = 2e6 / pg_us
        print(f"projection (CPU only; 2-core hosts): one intake host ≈ {per_intake_host:.0f} acks/s, one database host ≈ {db_host:.0f} acks/s")
        for n in (1, 2, 3, 4, 6, 8):
            total = min(n * per_intake_host, db_host)
            print(f"  {n} intake host{'s' if n > 1 else ''} + 1 database host: ≈ {total:.0f} acks/s ({'database' if n * per_intake_host > db_host else 'intakes'} bound)")
        first = next((n for n in range(1, 100) if n * per_intake_host > db_host), None)
        print(f"first bottleneck: the intakes up to {first - 1 if first else '∞'} intake host(s); beyond that the database host's CPU. "
              f"What to add first: more intakes while they are the bound (and for availability: one per site or per onion service), "
              f"then a bigger database host (cores: PostgreSQL spreads the INSERTs of concurrent commits over its backends); "
              f"a streaming replica adds failover and read capacity, not write throughput. With group commit the WAL flushes "
              f"per second stay at the commits/s column, so a disk's flush rate is not the first bound here.")
    finally:
        for p in running:
            p.kill()
        subprocess.run(["nginx", "-p", f"{work}/nginx", "-c", "nginx.conf", "-s", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if cluster is not None:
            cluster.stop("fast")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
