"""Two real intakes on one real PostgreSQL vault (issue 19), end to end.

usage: /usr/bin/python3 scripts/lib/pg_e2e.py BIN_DIR

Starts a throwaway PostgreSQL cluster (initdb, pg_ctl on a Unix socket in a temp dir, no TCP),
makes the vault (`resguardo-intake vault init --vault-url`), starts two intakes on it with one
shared proof-of-work key, and checks, with its own client (Python's ssl + PyNaCl, written from
docs/formats.md):

  1. submissions through both land in the one vault;
  2. a challenge from one intake is good on the other, once: spent on one, refused on the other;
  3. urgent notifications: one run per interval for the whole network, not per intake;
  4. SIGKILL one intake under load from several clients while the other keeps serving: every
     acknowledged receipt is in the vault, and only requests to the killed intake fail;
  5. PostgreSQL stopped (immediate) and started under load: the intakes answer 503 meanwhile,
     recover without a restart of their own, and lose nothing acknowledged;
  6. two exports at once: disjoint bundles holding every envelope once; unsealed offline,
     acknowledged, purged: the vault is empty;
  7. a reply imported through the admin command is read through either intake.

Every process it starts (PostgreSQL, intakes) is ended by PID on the way out.
"""
import base64
import concurrent.futures
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import nacl.encoding
import nacl.hash
import nacl.public

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stress import solve  # noqa: E402  (the proof-of-work search the stress clients use)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_FINGERPRINT = "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
# The intakes' commit window (vault.commit_window_ms; 500 by default): shorter here, so the load
# phases' sequential clients still make enough submissions for several bundles.
COMMIT_WINDOW_MS = 250
started = time.monotonic()


def say(text):
    print(f"pg: {text} ({time.monotonic() - started:.0f} s)", flush=True)


def fail(text):
    print(f"pg: FAIL {text}", flush=True)
    sys.exit(1)


def blake2b(data, size):
    return nacl.hash.blake2b(data, digest_size=size, encoder=nacl.encoding.RawEncoder)


class Cluster:
    """A throwaway PostgreSQL cluster on a Unix socket (no TCP listener at all)."""

    def __init__(self, folder):
        versions = sorted(v for v in os.listdir("/usr/lib/postgresql") if os.path.exists(f"/usr/lib/postgresql/{v}/bin/initdb"))
        if not versions:
            fail("PostgreSQL is not installed (scripts/setup installs Debian's postgresql)")
        self.bin = f"/usr/lib/postgresql/{versions[-1]}/bin"
        self.folder = folder
        self.data = os.path.join(folder, "data")
        self.socket = os.path.join(folder, "sock")
        os.makedirs(self.socket)
        self.as_postgres = os.getuid() == 0
        if self.as_postgres:
            subprocess.run(["chown", "-R", "postgres:postgres", folder], check=True)
        self.run("initdb", "-D", self.data, "--auth=trust", "--username=postgres", "--no-sync", "-E", "UTF8")
        self.start()

    def command(self, tool, *args):
        argv = [f"{self.bin}/{tool}", *args]
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_postgres else argv

    def run(self, tool, *args):
        done = subprocess.run(self.command(tool, *args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
        if done.returncode != 0:
            fail(f"{tool} failed: {done.stdout.decode(errors='replace')[-800:]}")

    def start(self, extra=""):
        self.run("pg_ctl", "-D", self.data, "-w", "-t", "30", "-l", os.path.join(self.folder, "log"),
                 "-o", f"-k {self.socket} -c listen_addresses='' -c max_connections=100 {extra}", "start")

    def sql(self, statement):
        done = subprocess.run(self.command("psql", "-h", self.socket, "-U", "postgres", "-At", "-c", statement),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=60)
        if done.returncode != 0:
            fail(f"psql: {done.stdout.decode(errors='replace')[-400:]}")
        return done.stdout.decode().strip()

    def stop(self, mode="immediate"):
        subprocess.run(self.command("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=60)

    def pid(self):
        try:
            return int(open(os.path.join(self.data, "postmaster.pid")).readline())
        except (OSError, ValueError):
            return None

    @property
    def url(self):
        return f"postgres:///postgres?host={self.socket}&user=postgres"


class Intake:
    def __init__(self, name, folder, binary, url, pow_key, notify):
        self.name = name
        self.log = open(os.path.join(folder, f"{name}.log"), "w+")
        self.process = subprocess.Popen(
            [binary, "serve", "--dev", "--port", "0", "--vault-url", url, "--pow-key-file", pow_key,
             "--pow-difficulty", "2", "--pow-max-difficulty", "2", "--notify-command", notify, "--notify-interval", "4",
             "--max-connections", "4096"],
            cwd=folder, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "RESGUARDO_INTAKE_VAULT_COMMIT_WINDOW_MS": str(COMMIT_WINDOW_MS)})
        deadline = time.monotonic() + 60
        self.port = None
        while time.monotonic() < deadline and self.port is None:
            time.sleep(0.1)
            self.log.seek(0)
            found = re.search(r"serving https://127\.0\.0\.1:(\d+)", self.log.read())
            if found:
                self.port = int(found.group(1))
            if self.process.poll() is not None:
                break
        if self.port is None:
            self.log.seek(0)
            fail(f"intake {name} did not start: {self.log.read()[-1500:]}")

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


class Client:
    """Envelopes sealed to the demo manifest's newest key, posted with a solved proof of work."""

    def __init__(self, manifest_path, certificate):
        outer = json.load(open(manifest_path))
        manifest = json.loads(base64.b64decode(outer["payload"]))
        key = sorted(manifest["encryption_keys"], key=lambda k: k["not_before"])[-1]
        self.key_id = bytes.fromhex(key["id"])
        self.box = nacl.public.SealedBox(nacl.public.PublicKey(base64.b64decode(key["public_key"])))
        self.context = ssl.create_default_context(cafile=certificate)
        self.context.check_hostname = False
        self.context.minimum_version = ssl.TLSVersion.TLSv1_3

    def envelope(self, text, urgent=False):
        report = json.dumps({"version": 1, "language": "es", "country": "HN", "description": text}, ensure_ascii=False).encode()
        padded = report + b"\x80" + b"\x00" * (4096 - len(report) - 1)
        return b"RSG1" + bytes([1 if urgent else 0]) + self.key_id + self.box.encrypt(padded)

    def request(self, port, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=self.context, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def challenge(self, port):
        status, data = self.request(port, "GET", "/v1/challenge")
        if status != 200:
            raise RuntimeError(f"challenge: {status}")
        c = json.loads(data)
        nonce = solve(base64.b64decode(c["token"]), c["difficulty"])
        return {"Resguardo-Token": c["token"], "Resguardo-Proof": base64.b64encode(nonce).decode()}

    def submit(self, port, envelope, proof=None, challenge_port=None):
        headers = {"Content-Type": "application/octet-stream"}
        headers.update(proof or self.challenge(challenge_port or port))
        status, data = self.request(port, "POST", "/v1/reports", body=envelope, headers=headers)
        return status, data


def tool(argv, expect=0, env=None):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=600,
                          env={**os.environ, **(env or {})})
    out = done.stdout.decode(errors="replace")
    if expect is not None and done.returncode != expect:
        fail(f"{' '.join(argv[:3])} exited {done.returncode}: {out[-1500:]}")
    return out


def vault_ids(bin_dir, cluster, work):
    """The ids (hex, as receipts show them) the vault holds, asked of the server with its own
    client (the cluster's psql), not through any code of ours."""
    out = subprocess.run(cluster.command("psql", "-h", cluster.socket, "-U", "postgres", "-d", "postgres", "-At", "-c",
                                         "SELECT encode(id, 'hex') FROM submission"),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
    if out.returncode != 0:
        fail(f"psql: {out.stdout.decode(errors='replace')}")
    return set(out.stdout.decode().split())


def receipt_hex(receipt):
    return receipt.replace("-", "").replace(" ", "").lower()


class Balancer:
    """What a TCP load balancer does for the test's clients: each request to the next live
    intake; an intake whose connection fails is taken out of rotation."""

    def __init__(self, intakes):
        self.intakes = list(intakes)
        self.dead = set()
        self.lock = threading.Lock()
        self.turn = 0

    def pick(self):
        with self.lock:
            live = [i for i in self.intakes if i.name not in self.dead]
            self.turn += 1
            return live[self.turn % len(live)]

    def mark_dead(self, intake):
        with self.lock:
            self.dead.add(intake.name)


def load(client, balancer, clients, stop, results, urgent_every=0):
    """Clients submitting until `stop` is set; results: list of (intake, outcome, detail)."""

    def worker(n):
        i = 0
        while not stop.is_set():
            i += 1
            intake = balancer.pick()
            try:
                envelope = client.envelope(f"carga {n}-{i}", urgent=urgent_every and i % urgent_every == 0)
                status, data = client.submit(intake.port, envelope)
                if status == 201:
                    results.append((intake.name, "receipt", json.loads(data)["receipt"], time.monotonic()))
                else:
                    # The envelope is kept: a 503 is sent again after the restart (step 5).
                    results.append((intake.name, f"status {status}", data[:200], time.monotonic(), envelope))
                    if status == 503:
                        time.sleep(0.2)
            except (OSError, http.client.HTTPException, RuntimeError) as error:
                results.append((intake.name, "connection", repr(error), time.monotonic()))
                balancer.mark_dead(intake) if intake.process.poll() is not None else time.sleep(0.1)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    return threads


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    intake_bin, resguardo = os.path.join(bin_dir, "resguardo-intake"), os.path.join(bin_dir, "resguardo")
    work = tempfile.mkdtemp(prefix="pg-e2e-")
    os.chmod(work, 0o755)
    cluster = None
    intakes = []
    try:
        cluster = Cluster(os.path.join(work, "pg"))
        say(f"PostgreSQL cluster on {cluster.socket} (no TCP)")
        folder = os.path.join(work, "intake")
        os.makedirs(folder)
        shutil.copytree(os.path.join(REPO, "keys-example"), os.path.join(folder, "keys-example"))
        for key in glob.glob(os.path.join(folder, "keys-example", "*.key")):
            os.chmod(key, 0o600)
        vpass = os.path.join(work, "vpass")
        open(vpass, "w").write("frase de la bóveda compartida\n")

        # 0. Review N2: a database that keeps each row's commit time where a login or a logical
        # replica reads it is refused, by vault init as by the intake (both migrate first).
        for setting in ("track_commit_timestamp=on", "wal_level=logical"):
            cluster.stop("fast")
            cluster.start(f"-c {setting}")
            refused = tool([intake_bin, "vault", "init", "--vault-url", cluster.url, "--signing-key", os.path.join(work, "refused.key"),
                            "--passphrase-file", vpass], expect=None)
            if setting.replace("=", " = ") not in refused:
                fail(f"vault init on a database with {setting} was not refused: {refused[-600:]}")
            for leftover in glob.glob(os.path.join(work, "refused.*")):
                os.remove(leftover)
        cluster.stop("fast")
        cluster.start()
        say("a database with track_commit_timestamp = on or wal_level = logical is refused")
        signing = os.path.join(work, "vault.signing.key")
        init = tool([intake_bin, "vault", "init", "--vault-url", cluster.url, "--signing-key", signing, "--passphrase-file", vpass])
        vault_fingerprint = re.search(r"vault signing-key fingerprint: (.+)", init).group(1).strip()
        pow_key = os.path.join(work, "pow.key")
        fd = os.open(pow_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (os.urandom(32).hex() + "\n").encode())
        os.close(fd)
        runs = os.path.join(work, "notified")
        notify = os.path.join(work, "notify.sh")
        open(notify, "w").write(f"#!/bin/sh\n/bin/date +%s.%N >> {runs}\n")
        os.chmod(notify, 0o755)

        intakes.append(Intake("a", folder, intake_bin, cluster.url, pow_key, notify))
        intakes.append(Intake("b", folder, intake_bin, cluster.url, pow_key, notify))
        a, b = intakes
        client = Client(os.path.join(folder, "keys-example", "manifest.json"), os.path.join(folder, ".resguardo-dev", "cert.pem"))
        say(f"two intakes on one vault: a on {a.port}, b on {b.port}")

        # 1. Both intakes store into the one vault.
        receipts = []
        for n in range(10):
            status, data = client.submit((a, b)[n % 2].port, client.envelope(f"informe {n}"))
            if status != 201:
                fail(f"submission {n}: {status} {data!r}")
            receipts.append(json.loads(data)["receipt"])
        if not {receipt_hex(r) for r in receipts} <= vault_ids(bin_dir, cluster, work):
            fail("a receipt from one of the intakes is not in the vault")
        say("10 submissions through both intakes, all in the one vault")

        # 2. A challenge from a is good on b, once; then refused on a (spent through b).
        proof = client.challenge(a.port)
        status, _ = client.submit(b.port, client.envelope("ficha de a, enviada a b"), proof=proof)
        if status != 201:
            fail(f"a challenge issued by a was refused by b: {status}")
        status, data = client.submit(a.port, client.envelope("la misma ficha otra vez"), proof=proof)
        if status != 429 or b"proof_replayed" not in data:
            fail(f"a token spent through b was accepted again through a: {status} {data!r}")
        say("a token issued by a is good once on b, and refused on a after it (429 proof_replayed)")

        # 3. Urgent reports to both intakes, several seconds: runs at least 4 s apart, network-wide.
        t0 = time.time()
        while time.time() - t0 < 10:
            for intake in (a, b):
                status, _ = client.submit(intake.port, client.envelope("urgente", urgent=True))
                if status != 201:
                    fail(f"urgent submission: {status}")
            time.sleep(0.5)
        time.sleep(6)
        times = sorted(float(t) for t in open(runs).read().split()) if os.path.exists(runs) else []
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        if not times or any(g < 3.5 for g in gaps) or len(times) > 5:
            fail(f"urgent notifications ran {len(times)} times, gaps {gaps} (want one per 4 s interval for both intakes together)")
        say(f"urgent reports to both intakes for 10 s: {len(times)} notifications, at least {min(gaps, default=0):.1f} s apart")

        # 4. SIGKILL intake a under load from 8 clients; b keeps serving.
        balancer = Balancer(intakes)
        results, stop = [], threading.Event()
        threads = load(client, balancer, 8, stop, results)
        time.sleep(4)
        before = len(results)
        a.kill()
        time.sleep(4)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        got = [r for r in results if r[1] == "receipt"]
        failed = [r for r in results if r[1] != "receipt"]
        if any(r[0] != "a" for r in failed):
            fail(f"requests to the surviving intake failed: {[r for r in failed if r[0] != 'a'][:3]}")
        if len(failed) > 8:
            fail(f"{len(failed)} requests failed; only the killed intake's in-flight ones (at most one per client) may")
        if not any(r[0] == "b" for r in got[before:]):
            fail("intake b stored nothing after a was killed")
        missing = {receipt_hex(r[2]) for r in got} - vault_ids(bin_dir, cluster, work)
        if missing:
            fail(f"{len(missing)} acknowledged receipts are not in the vault after SIGKILL")
        say(f"SIGKILL of a under load: {len(got)} receipts all in the vault; {len(failed)} in-flight requests to a failed, none to b")
        intakes[0] = a = Intake("a", folder, intake_bin, cluster.url, pow_key, notify)

        # 5. PostgreSQL stopped (immediate) for 8 s and started, under load on both intakes.
        balancer = Balancer(intakes)
        results, stop = [], threading.Event()
        threads = load(client, balancer, 6, stop, results)
        time.sleep(3)
        # First another session locks the table against inserts for 7 s: inserts in flight get
        # no answer within the store's deadline (5 s) and then land when the lock goes.
        cluster.sql("BEGIN; LOCK TABLE submission IN SHARE MODE; SELECT pg_sleep(7); COMMIT;")
        time.sleep(2)
        pids = (a.process.pid, b.process.pid)
        cluster.stop("immediate")
        down = time.monotonic()
        time.sleep(8)
        cluster.start()
        up = time.monotonic()
        time.sleep(12)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        # Answered while it was down, or within the store's deadline (5 s) after it came back.
        unavailable = [r for r in results if r[1] == "status 503"]
        early = [r for r in unavailable if down < r[3] < up]
        others = [r for r in results if r[1] not in ("receipt", "status 503")]
        after = [r for r in results if r[1] == "receipt" and r[3] > up + 6]
        stored_while_down = [r for r in results if r[1] == "receipt" and down + 1 < r[3] < up]
        if not early:
            fail(f"no 503 while PostgreSQL was down ({len(unavailable)} in all)")
        if stored_while_down:
            fail(f"{len(stored_while_down)} receipts while the database was down")
        if others:
            fail(f"answers other than 201/503 around the restart: {others[:3]}")
        if not {r[0] for r in after} >= {"a", "b"}:
            fail(f"the intakes did not both recover by themselves: receipts after the restart from {sorted({r[0] for r in after})}")
        if (a.process.poll(), b.process.poll()) != (None, None) or pids != (a.process.pid, b.process.pid):
            fail("an intake restarted or died during the PostgreSQL restart")
        got = [r for r in results if r[1] == "receipt"]
        missing = {receipt_hex(r[2]) for r in got} - vault_ids(bin_dir, cluster, work)
        if missing:
            fail(f"{len(missing)} acknowledged receipts lost across the PostgreSQL restart")
        # Review 2026-12-06 (also found): a 503 that says "not received" must be true, and the
        # one that cannot say (vault_outcome_unknown) must be safe to act on. Every 503 envelope
        # is sent again: each is answered 201 with the id derived from its bytes (formats.md §8);
        # one already in the vault before the resend must have been answered
        # vault_outcome_unknown; and no envelope is stored twice.
        before_resend = vault_ids(bin_dir, cluster, work)
        codes = {}
        already = []
        for r in unavailable:
            found = re.search(rb'"error":\s*"([a-z_]+)"', r[2])
            code = found.group(1).decode() if found else "?"
            codes[code] = codes.get(code, 0) + 1
            derived = blake2b(b"resguardo submission id v1\n" + r[4], 16).hex()
            if derived in before_resend:
                already.append(code)
            status, data = client.submit(b.port, r[4])
            if status != 201 or receipt_hex(json.loads(data)["receipt"]) != derived:
                fail(f"a 503 envelope ({code}) sent again: {status} {data[:200]!r}, wanted 201 with receipt {derived}")
        if any(code != "vault_outcome_unknown" for code in already):
            fail(f"envelopes answered 503 'not received' were stored: codes {already}")
        if not already:
            fail(f"no envelope answered vault_outcome_unknown during the lock was stored afterwards (503 codes: {codes})")
        duplicates = cluster.sql("SELECT count(*) - count(DISTINCT envelope) FROM submission")
        if duplicates.strip() != "0":
            fail(f"{duplicates.strip()} envelopes stored twice after the resends")
        say(f"the {len(unavailable)} envelopes answered 503 ({', '.join(f'{c} × {n}' for c, n in sorted(codes.items()))}) sent again: "
            f"all 201 with the receipt derived from the envelope; {len(already)} were already stored (each answered vault_outcome_unknown), "
            f"none stored twice")
        first = min((r[3] for r in results if r[1] == "receipt" and r[3] > up), default=up) - up
        say(f"PostgreSQL down 8 s under load: {len(unavailable)} answers 503 ({len(early)} before it was back), first receipt {first:.1f} s after, "
            f"{len(after)} receipts after it came back "
            f"through both intakes (same processes), every receipt in the vault")

        # 6. Two exports at once, then unseal offline, acknowledge, purge: nothing left.
        stored = vault_ids(bin_dir, cluster, work)
        bundles_dir = os.path.join(work, "bundles")
        os.makedirs(bundles_dir)

        def exporter(name):
            made = []
            for n in range(1000):
                path = os.path.join(bundles_dir, f"{name}-{n:03d}.rsgb")
                out = tool([intake_bin, "export", "--vault-url", cluster.url, "--signing-key", signing, "--out", path,
                            "--limit", "97", "--passphrase-file", vpass])
                count = int(re.search(r"exported (\d+)", out).group(1))
                if count == 0:
                    os.remove(path)
                    return made
                made.append(path)
            return made

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            made = list(pool.map(exporter, ["x", "y"]))
        if not made[0] or not made[1]:
            fail(f"both exporters should have made bundles: {[len(m) for m in made]}")
        counts = tool([intake_bin, "stats", "--vault-url", cluster.url])
        if f"total: {len(stored)}" not in counts or "pending" in counts:
            fail(f"stats after the exports should count {len(stored)} envelopes, all exported: {counts[-600:]}")
        workspace = os.path.join(work, "casos")
        keys = os.path.join(folder, "keys-example")
        tool([resguardo, "init", "--workspace", workspace, "--keys", keys, "--passphrase-file", os.path.join(keys, "passphrase.txt")])
        tool([resguardo, "vault", "trust", "--workspace", workspace, "--fingerprint", vault_fingerprint, "--public-key",
              signing[:-len(".key")] + ".pub"])
        all_bundles = sorted(made[0] + made[1])
        out = tool([resguardo, "unseal", "--workspace", workspace, *all_bundles, "--passphrase-file", os.path.join(keys, "passphrase.txt")])
        summary = re.findall(r"(\d+) envelopes → (\d+) new cases, (\d+) duplicates, (\d+) quarantined", out)
        new = sum(int(s[1]) for s in summary)
        duplicates = sum(int(s[2]) for s in summary)
        if duplicates or new != len(stored):
            fail(f"unsealing the bundles of two concurrent exporters: {new} new, {duplicates} duplicates, {len(stored)} stored: {out[-800:]}")
        for bundle in all_bundles:
            tool([intake_bin, "purge", "--vault-url", cluster.url, "--acknowledgement", bundle + ".ack",
                  "--manifest", os.path.join(keys, "manifest.json"), "--fingerprint", DEMO_FINGERPRINT])
        left = vault_ids(bin_dir, cluster, work)
        if left:
            fail(f"{len(left)} envelopes left after purging every acknowledged bundle")
        say(f"two exporters at once: {len(made[0])} + {len(made[1])} bundles, {new} envelopes unsealed once each, 0 duplicates; "
            f"all acknowledged and purged (vacuumed), vault empty")

        # 7. A reply (made offline for a codename) imported once, read through both intakes.
        submit = os.path.join(bin_dir, "resguardo-submit")
        described = os.path.join(work, "texto.txt")
        open(described, "w").write("Nos siguen desde la asamblea; pido respuesta por aquí.\n")
        cert = os.path.join(folder, ".resguardo-dev", "cert.pem")
        out = tool([submit, "submit", "--url", f"https://127.0.0.1:{a.port}", "--ca", cert, "--fingerprint", DEMO_FINGERPRINT,
                    "--outbox", os.path.join(work, "outbox"), "--known-intakes", os.path.join(work, "known"),
                    "--country", "HN", "--description-file", described, "--new-codename"])
        lines = out.splitlines()
        at = next(i for i, line in enumerate(lines) if "Your codename" in line)
        codename = next(line.strip() for line in lines[at + 1:] if line.strip())
        bundle = os.path.join(work, "codename.rsgb")
        tool([intake_bin, "export", "--vault-url", cluster.url, "--signing-key", signing, "--out", bundle, "--passphrase-file", vpass])
        # A workspace of its own: the vault was emptied above, so this bundle holds the one report.
        workspace = os.path.join(work, "casos-respuesta")
        tool([resguardo, "init", "--workspace", workspace, "--keys", keys, "--passphrase-file", os.path.join(keys, "passphrase.txt")])
        tool([resguardo, "vault", "trust", "--workspace", workspace, "--fingerprint", vault_fingerprint, "--public-key",
              signing[:-len(".key")] + ".pub"])
        tool([resguardo, "unseal", "--workspace", workspace, bundle, "--passphrase-file", os.path.join(keys, "passphrase.txt")])
        listing = tool([resguardo, "cases", "list", "--workspace", workspace])
        case = None
        for line in listing.splitlines():
            if " HN " in line:
                shown = tool([resguardo, "cases", "show", "--workspace", workspace, line[:12], "--passphrase-file", os.path.join(keys, "passphrase.txt")])
                if "desde la asamblea" in shown:
                    case = line[:12]
        if case is None:
            fail("the codename report did not unseal")
        message = os.path.join(work, "respuesta.txt")
        open(message, "w").write("Recibimos su denuncia; le escribiremos pronto.\n")
        tool([resguardo, "reply", case, "--workspace", workspace, "--message-file", message, "--passphrase-file", os.path.join(keys, "passphrase.txt")])
        replies = os.path.join(work, "r.rsgr")
        tool([resguardo, "reply", "export", "--workspace", workspace, "--out", replies, "--passphrase-file", os.path.join(keys, "passphrase.txt")])
        out = tool([intake_bin, "import-replies", "--vault-url", cluster.url,
                    "--manifest", os.path.join(keys, "manifest.json"), "--fingerprint", DEMO_FINGERPRINT, replies])
        if "imported 1 replies" not in out:
            fail(f"import-replies: {out}")
        for intake in (a, b):
            read = tool([submit, "replies", "--url", f"https://127.0.0.1:{intake.port}", "--ca", cert, "--codename", codename])
            if "Recibimos su denuncia" not in read:
                fail(f"the reply is not readable through intake {intake.name}: {read}")
        say("a reply imported once is read through both intakes")

        # 8. What the database host still learns (review N2), read with pg_waldump: a burst of 40
        # submissions at once through both intakes. Every commit record is dated to the
        # microsecond; the commit window gathers the submissions and the token spends, so
        # there are far fewer commits than submissions, and each dates its rows only to its window.
        before = cluster.sql("SELECT pg_current_wal_lsn()")
        burst_started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(pool.map(lambda n: client.submit((a, b)[n % 2].port, client.envelope(f"ráfaga {n}"))[0], range(40)))
        burst = time.monotonic() - burst_started
        if answers.count(201) != 40:
            fail(f"the burst: {answers}")
        cluster.sql("SELECT pg_switch_wal()")
        after = cluster.sql("SELECT pg_current_wal_lsn()")
        dump = subprocess.run(cluster.command("pg_waldump", "-p", os.path.join(cluster.data, "pg_wal"), "-s", before, "-e", after, "-r", "Transaction"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=60).stdout.decode(errors="replace")
        commits = re.findall(r"desc: COMMIT (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})", dump)
        if not commits:
            fail(f"pg_waldump shows no COMMIT record: {dump[-600:]}")
        # Per intake and window: one commit of token spends, one of submissions (and sweeps).
        bound = 2 * 2 * (int(burst * 1000 / COMMIT_WINDOW_MS) + 2)
        if len(commits) >= 80 or len(commits) > bound:
            fail(f"{len(commits)} COMMIT records for 40 submissions in {burst:.1f} s: the window does not gather them")
        say(f"pg_waldump: 40 submissions (and their 40 token spends) in {burst:.1f} s, window {COMMIT_WINDOW_MS} ms → {len(commits)} COMMIT records, "
            f"each dated to the microsecond (e.g. {commits[0]} UTC): what the database host keeps until the WAL is recycled")
    finally:
        for intake in intakes:
            intake.kill(signal.SIGTERM)
        if cluster is not None:
            cluster.stop("fast")
            pid = cluster.pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(work, ignore_errors=True)
    say("all checks passed")


if __name__ == "__main__":
    main()
