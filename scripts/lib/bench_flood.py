"""scripts/bench flood: what the intake does in a flood after a killing (issue 21 item 2).

usage: /usr/bin/python3 scripts/lib/bench_flood.py BIN_DIR [SECONDS] [SVG_OUT]

Same run, same machine (2 cores shared with the load generators):
  (a) new TLS 1.3 connections a second (wrk, `Connection: close`): nginx (anchor) and the intake;
  (b) the intake's CPU per request for POSTs without a proof and with a forged one, against its
      CPU per accepted envelope (proof of work off): the price of saying no;
  (c) the adaptive difficulty as a time series while flooders that solve every proof push
      accepted submissions up, and after they stop; an honest client (default settings: fetch a
      challenge, solve, send) keeps sending the whole time: its latencies, plotted with the
      difficulty as an SVG;
  (d) a flood that saturates the intake: wrk on 256 connections sending unproven and forged POSTs
      as fast as the machine lets it, the solving flooders of (c) beside it, and the honest client
      at default settings: the intake's CPU use (how saturated it is) and the honest client's
      latencies and receipts.
The floor of (b): resguardo-http-floor (Hummingbird over the same TLS, nothing of ours) answering
the same POST, whose cost no refusal at the HTTP layer can go below.
"""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import ssl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stress import seal, read_envelopes, solve  # noqa: E402  (the stress clients' sealing and proof search)
from bench_tls import certificate, nginx_config, post_script  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HZ = os.sysconf("SC_CLK_TCK")
FINGERPRINT = "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
CONTEXT = ssl.create_default_context()
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE  # loopback, a certificate made for this run


def ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def requests_in(out):
    """How many requests wrk's summary says it made (0 when it made none)."""
    return int(re.search(r"(\d+) requests in", out).group(1)) if "requests in" in out else 0


def wrk(url, seconds, lua=None, headers=()):
    argv = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--timeout", "30s"] + [x for h in headers for x in ("-H", h)] + (["-s", lua] if lua else []) + [url]
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    requests = requests_in(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) if "Requests/sec" in out else 0.0
    return requests, rps


def challenge(base):
    with urllib.request.urlopen(base + "/v1/challenge", context=CONTEXT, timeout=30) as r:
        return json.loads(r.read())


def post(base, envelope, token=None, nonce=None):
    headers = {"Content-Type": "application/octet-stream"}
    if token:
        headers["Resguardo-Token"] = token
        headers["Resguardo-Proof"] = base64.b64encode(nonce).decode()
    request = urllib.request.Request(base + "/v1/reports", data=envelope, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, context=CONTEXT, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def send_honestly(base, envelope):
    """What a default client does: challenge, solve, send. (status, seconds)."""
    t = time.monotonic()
    c = challenge(base)
    nonce = solve(base64.b64decode(c["token"]), c["difficulty"]) if c["difficulty"] > 0 else None
    status = post(base, envelope, c["token"] if nonce else None, nonce)
    return status, time.monotonic() - t, c["difficulty"]


def flooder(base, seconds, envelope_path):
    """One flooding process: solves every proof and sends, as fast as it can."""
    envelope = read_envelopes(envelope_path)[0]
    deadline = time.monotonic() + float(seconds)
    accepted = 0
    while time.monotonic() < deadline:
        status, _, _ = send_honestly(base, envelope)
        accepted += status == 201
    print(accepted)


def svg(series, honest, seconds, flood_seconds, path):
    width, height, left, bottom = 720, 300, 50, 40
    top = max([d for _, d in series] + [16])
    late = max([s for _, s, _ in honest] + [1.0])

    def x(t):
        return left + (width - left - 10) * t / seconds

    def y(v, top_value):
        return height - bottom - (height - bottom - 20) * v / top_value

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<rect x="{x(0):.0f}" y="20" width="{x(flood_seconds) - x(0):.0f}" height="{height - bottom - 20}" fill="#fde7e7"/>',
             f'<text x="{x(0) + 4:.0f}" y="32" fill="#a33">flood (proofs solved)</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>',
             f'<line x1="{left}" y1="20" x2="{left}" y2="{height - bottom}" stroke="#333"/>',
             f'<text x="{width / 2:.0f}" y="{height - 8}" text-anchor="middle">seconds</text>',
             f'<text x="8" y="16">difficulty (bits, line, 0–{top}) · honest client latency (s, dots, 0–{late:.1f})</text>']
    for t in range(0, int(seconds) + 1, 10 if seconds <= 120 else 20):
        parts.append(f'<text x="{x(t):.0f}" y="{height - bottom + 14}" text-anchor="middle">{t}</text>')
    points = " ".join(f"{x(t):.1f},{y(d, top):.1f}" for t, d in series)
    parts.append(f'<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{points}"/>')
    for t, s, status in honest:
        parts.append(f'<circle cx="{x(t):.1f}" cy="{y(s, late):.1f}" r="3" fill="{"#2a7" if status == 201 else "#d22"}"/>')
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts) + "\n")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "flooder":
        flooder(*sys.argv[2:5])
        return
    bin_dir = os.path.abspath(sys.argv[1])
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    out_svg = sys.argv[3] if len(sys.argv) > 3 else os.path.join(REPO, "Benchmarks", "out", "flood.svg")
    work = tempfile.mkdtemp(prefix="bench-flood-")
    os.chmod(work, 0o755)
    running = []
    try:
        certificate(work)
        os.makedirs(f"{work}/intake/keys-example")
        shutil.copy(os.path.join(REPO, "keys-example", "manifest.json"), f"{work}/intake/keys-example/")
        seal(os.path.join(REPO, "keys-example", "manifest.json"), 1, f"{work}/envelopes.bin")
        envelope = read_envelopes(f"{work}/envelopes.bin")[0]
        open(f"{work}/envelope.bin", "wb").write(envelope)
        post_script(f"{work}/plain.lua", f"{work}/envelope.bin")
        post_script(f"{work}/forged.lua", f"{work}/envelope.bin", (("Resguardo-Token", "AAAA"), ("Resguardo-Proof", "AAAAAAAAAAA=")))
        nginx_config(work, 18543, "204")

        def start(port, *args):
            log = open(f"{work}/intake-{port}.log", "w+")
            p = subprocess.Popen([os.path.join(bin_dir, "resguardo-intake"), "serve", "--certificate", f"{work}/cert.pem", "--private-key",
                                  f"{work}/key.pem", "--manifest", "keys-example/manifest.json", "--fingerprint", FINGERPRINT, "--port", str(port),
                                  "--vault", f"vault-{port}.sqlite", "--log-level", "warning", *args],
                                 cwd=f"{work}/intake", stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            running.append(p)
            for _ in range(300):
                try:
                    challenge(f"https://127.0.0.1:{port}")
                    return p
                except OSError:
                    time.sleep(0.1)
            sys.exit("intake did not start: " + open(f"{work}/intake-{port}.log").read()[-600:])

        def stop(p):
            p.terminate()
            p.wait(timeout=60)
            running.remove(p)

        print(f"flood: {os.cpu_count()} cores shared by the servers and the load; wrk -t2 -c64, {seconds} s a measurement")
        # (a) Handshakes.
        subprocess.run(["nginx", "-p", f"{work}/nginx", "-c", "nginx.conf"], check=True)
        time.sleep(0.5)
        _, nginx_hs = wrk("https://127.0.0.1:18543/", seconds, headers=("Connection: close",))
        subprocess.run(["nginx", "-p", f"{work}/nginx", "-c", "nginx.conf", "-s", "stop"])
        p = start(18544)
        _, intake_hs = wrk("https://127.0.0.1:18544/favicon.ico", seconds, headers=("Connection: close",))
        print(f"(a) new TLS 1.3 connections/s: nginx (anchor) {nginx_hs:.0f}; intake {intake_hs:.0f}; ratio {intake_hs / nginx_hs:.2f} (goal ≥ 0.5)")
        # (b) Saying no, against saying yes.
        costs = {}
        for name, lua in (("no proof", "plain"), ("forged proof", "forged")):
            before = ticks(p.pid)
            n, rps = wrk("https://127.0.0.1:18544/v1/reports", seconds, lua=f"{work}/{lua}.lua")
            costs[name] = ((ticks(p.pid) - before) * 1e6 / HZ / max(n, 1), rps)
        stop(p)
        floor = subprocess.Popen([os.path.join(bin_dir, "resguardo-http-floor"), f"{work}/cert.pem", f"{work}/key.pem", "18547"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        running.append(floor)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", 18547), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        before = ticks(floor.pid)
        n, floor_rps = wrk("https://127.0.0.1:18547/v1/reports", seconds, lua=f"{work}/plain.lua")
        floor_us = (ticks(floor.pid) - before) * 1e6 / HZ / max(n, 1)
        stop(floor)
        p = start(18545, "--pow-difficulty", "0", "--pow-max-difficulty", "0")
        before = ticks(p.pid)
        n, rps = wrk("https://127.0.0.1:18545/v1/reports", seconds, lua=f"{work}/plain.lua")
        accept = (ticks(p.pid) - before) * 1e6 / HZ / max(n, 1)
        stop(p)
        print(f"(b) intake CPU per request: accepting an envelope (proof off, anchor) {accept:.0f} µs at {rps:.0f}/s")
        for name, (us, r) in costs.items():
            print(f"    refusing a POST with {name}: {us:.0f} µs at {r:.0f}/s; ratio to accepting {us / accept:.2f} (goal ≤ 0.10)")
        print(f"    the framework's floor, Hummingbird reading the same POST and answering 201 with nothing of ours: {floor_us:.0f} µs at {floor_rps:.0f}/s"
              f" = {floor_us / accept:.2f} of accepting; no refusal after the request is read can cost less")
        # (c) The difficulty as accepted submissions flood in, and after; an honest client throughout.
        p = start(18546)
        base = "https://127.0.0.1:18546"
        # The load estimate spans the current and the previous minute, so the difficulty is back at
        # its base at most two minutes after the flood: watch that long, and 10 s more once it is.
        flood_seconds, longest = 45, 45 + 130
        flooders = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "flooder", base, str(flood_seconds), f"{work}/envelopes.bin"],
                                     stdout=subprocess.PIPE, text=True) for _ in range(3)]
        start_time = time.monotonic()
        series, honest = [], []
        next_honest = 0.0
        back = None
        while (now := time.monotonic() - start_time) < longest:
            series.append((now, challenge(base)["difficulty"]))
            if now > flood_seconds and series[-1][1] <= series[0][1]:
                back = back or now
                if now - back >= 10:
                    break
            if now >= next_honest:
                status, took, _ = send_honestly(base, envelope)
                honest.append((time.monotonic() - start_time, took, status))
                next_honest = now + 2
            time.sleep(0.5)
        accepted = sum(int(f.communicate()[0].strip() or 0) for f in flooders)
        stop(p)
        total = series[-1][0]
        peak = max(d for _, d in series)
        peak_at = next(t for t, d in series if d == peak)
        during = [h for h in honest if h[0] <= flood_seconds]
        print(f"(c) flood of {flood_seconds} s by 3 processes solving every proof: {accepted} accepted; difficulty {series[0][1]} → peak {peak} bits"
              f" {peak_at:.0f} s into it, back to {series[0][1]} "
              f"{f'{back - flood_seconds:.0f} s after the flood' if back else f'not within {longest - flood_seconds} s after it'}")
        worst = max((h[1] for h in during), default=0)
        print(f"    honest client: {len(honest)} sends, {sum(1 for h in honest if h[2] == 201)} receipts; during the flood the slowest took {worst:.1f} s (goal ≤ 10)")
        os.makedirs(os.path.dirname(out_svg), exist_ok=True)
        svg(series, honest, total, flood_seconds, out_svg)
        print(f"    time series plotted in {out_svg}")
        # (d) A saturating flood: cheap refusals on 256 connections plus the solving flooders.
        p = start(18548)
        base = "https://127.0.0.1:18548"
        flood_seconds = 30
        flooders = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "flooder", base, str(flood_seconds), f"{work}/envelopes.bin"],
                                     stdout=subprocess.PIPE, text=True) for _ in range(2)]
        floods = [subprocess.Popen(["wrk", "-t1", "-c128", f"-d{flood_seconds}s", "--timeout", "30s", "-s", f"{work}/{lua}.lua", base + "/v1/reports"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for lua in ("plain", "forged")]
        before, start_time = ticks(p.pid), time.monotonic()
        honest = []
        time.sleep(2)
        while time.monotonic() - start_time < flood_seconds - 3:
            status, took, difficulty = send_honestly(base, envelope)
            honest.append((took, status, difficulty))
            time.sleep(1)
        busy = (ticks(p.pid) - before) / HZ / (time.monotonic() - start_time)
        refused = sum(requests_in(f.communicate()[0]) for f in floods)
        accepted = sum(int(f.communicate()[0].strip() or 0) for f in flooders)
        stop(p)
        worst = max((h[0] for h in honest), default=0)
        median = sorted(h[0] for h in honest)[len(honest) // 2] if honest else 0
        print(f"(d) saturating flood, {flood_seconds} s: 2 × wrk -c128 (no proof, forged proof) refused {refused} ({refused / flood_seconds:.0f}/s), "
              f"2 solving flooders {accepted} accepted; the intake used {busy:.2f} of {os.cpu_count()} cores")
        print(f"    honest client: {len(honest)} sends, {sum(1 for h in honest if h[1] == 201)} receipts, difficulty {min((h[2] for h in honest), default=0)}–"
              f"{max((h[2] for h in honest), default=0)} bits; median {median:.2f} s, slowest {worst:.2f} s (goal ≤ 10)")
    finally:
        for p in running:
            p.kill()
        subprocess.run(["nginx", "-p", f"{work}/nginx", "-c", "nginx.conf", "-s", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
