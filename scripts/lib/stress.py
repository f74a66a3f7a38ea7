#!/usr/bin/python3
"""Load and hostile clients for scripts/stress, speaking the intake's HTTP API from the spec
(docs/formats.md) over real TLS 1.3 on loopback. Envelopes are sealed by PyNaCl (python3-nacl).

    stress.py seal MANIFEST COUNT OUT          COUNT distinct 4 KiB-bucket envelopes, one file
    stress.py load HOST PORT ENVELOPES CLIENTS SECONDS OUT.json
                                               every envelope POSTed once by CLIENTS keep-alive
                                               connections; a dropped connection is reopened
                                               (a restarting server is expected); figures and
                                               receipts in OUT.json
    stress.py check VAULT RECEIPTS.json        every acknowledged receipt is in the vault file;
                                               PRAGMA integrity_check is ok
    stress.py slow HOST PORT SLOWLORIS SLOWBODY SECONDS ENVELOPES
                                               holds SLOWLORIS half-sent heads and SLOWBODY
                                               trickling bodies, meanwhile times one legitimate
                                               submission (must succeed within 2 s)
    stress.py flood HOST PORT SECONDS ENVELOPES        floods POSTs without proofs while one client
                                               solves real proofs; prints both counts
"""
import asyncio
import base64
import hashlib
import json
import os
import socket
import sqlite3
import ssl
import struct
import sys
import time

import nacl.encoding
import nacl.hash
import nacl.public


def context():
    # The stress intake uses a throwaway self-signed certificate; TLS itself is real (1.3 only).
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def seal(manifest_path, count, out):
    manifest = json.load(open(manifest_path))
    payload = json.loads(base64.b64decode(manifest["payload"]))
    key = payload["encryption_keys"][-1]
    box = nacl.public.SealedBox(nacl.public.PublicKey(base64.b64decode(key["public_key"])))
    header = b"RSG1\x00" + bytes.fromhex(key["id"])
    with open(out, "wb") as f:
        for n in range(int(count)):
            report = json.dumps({"version": 1, "language": "es", "country": "MX",
                                 "description": "prueba de carga %d %s" % (n, os.urandom(8).hex())}).encode()
            padded = report + b"\x80" + b"\x00" * (4096 - len(report) - 1)
            envelope = header + box.encrypt(padded)
            f.write(struct.pack("<I", len(envelope)) + envelope)


def read_envelopes(path):
    data = open(path, "rb").read()
    out, at = [], 0
    while at < len(data):
        (n,) = struct.unpack_from("<I", data, at)
        out.append(data[at + 4:at + 4 + n])
        at += 4 + n
    return out


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


def request(path, body, extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: intake\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


async def load(host, port, envelopes_path, clients, seconds, out):
    envelopes = read_envelopes(envelopes_path)
    queue = asyncio.Queue()
    for e in envelopes:
        queue.put_nowait(e)
    latencies, receipts, errors = [], [], {}
    deadline = time.monotonic() + float(seconds)
    ctx = context()

    def count(name):
        errors[name] = errors.get(name, 0) + 1

    async def worker():
        reader = writer = None
        while time.monotonic() < deadline:
            try:
                envelope = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            done = False
            while not done and time.monotonic() < deadline:
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port), ssl=ctx), 10)
                    started = time.monotonic()
                    writer.write(request("/v1/reports", envelope))
                    await writer.drain()
                    status, body = await asyncio.wait_for(read_response(reader), 30)
                    if status == 201:
                        latencies.append(time.monotonic() - started)
                        receipts.append(json.loads(body)["receipt"])
                        done = True
                    else:
                        count("http_%d" % status)
                        if status == 503:
                            await asyncio.sleep(0.2)  # the server said: later (the envelope is retried)
                        else:
                            done = True  # refused for good: counted, not retried
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError) as e:
                    # A connection the server dropped (SIGKILL, restart): the envelope is not
                    # acknowledged, so it is sent again on a new connection.
                    count("connection_" + type(e).__name__)
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    await asyncio.sleep(0.05)
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(int(clients))))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    result = {"envelopes": len(envelopes), "acknowledged": len(receipts), "seconds": round(elapsed, 2),
              "per_second": round(len(receipts) / elapsed, 1) if elapsed else 0, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
              "p999_ms": pct(0.999), "errors": errors, "unsent": queue.qsize(), "receipts": receipts}
    json.dump(result, open(out, "w"))
    print(json.dumps({k: v for k, v in result.items() if k != "receipts"}))


def check(vault, receipts_path):
    receipts = json.load(open(receipts_path))["receipts"]
    db = sqlite3.connect("file:%s?mode=ro" % vault, uri=True)
    ids = {row[0].hex() for row in db.execute("SELECT id FROM submission")}
    missing = [r for r in receipts if r.replace("-", "") not in ids]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    print(json.dumps({"acknowledged": len(receipts), "missing": len(missing), "integrity": integrity, "in_vault": len(ids)}))
    return 0 if not missing and integrity == "ok" else 1


async def slow(host, port, slowloris, slowbody, seconds, legit_envelope):
    ctx = context()
    held = []

    async def hold(opening, trickle):
        # Opens a connection, sends `opening`, then one `trickle` a second, for as long as the
        # server lets it: a slowloris (never-ending head) or a slow body.
        try:
            reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx)
            writer.write(opening)
            await writer.drain()
            held.append(writer)
            while True:
                await asyncio.sleep(1)
                writer.write(trickle)
                await writer.drain()
        except Exception:
            pass

    head = b"POST /v1/reports HTTP/1.1\r\nHost: x\r\n"
    body = head + b"Content-Type: application/octet-stream\r\nContent-Length: 4157\r\n\r\n"
    tasks = [asyncio.create_task(hold(head, b"X-a: b\r\n")) for _ in range(int(slowloris))]
    tasks += [asyncio.create_task(hold(body, b"\x00")) for _ in range(int(slowbody))]
    await asyncio.sleep(float(seconds))
    opened = len(held)
    started = time.monotonic()
    status = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port), ssl=ctx), 5)
        writer.write(request("/v1/reports", legit_envelope))
        await writer.drain()
        status, _ = await asyncio.wait_for(read_response(reader), 5)
        writer.close()
    except Exception as e:
        status = type(e).__name__
    elapsed = time.monotonic() - started
    for t in tasks:
        t.cancel()
    print(json.dumps({"slowloris": int(slowloris), "slow_bodies": int(slowbody), "attack_connections_open": opened,
                      "legitimate_status": status, "legitimate_seconds": round(elapsed, 3)}))
    return 0 if status == 201 and elapsed < 2 else 1


async def flood(host, port, seconds, envelope):
    ctx = context()
    deadline = time.monotonic() + float(seconds)
    counts = {"flood_sent": 0, "flood_accepted": 0, "valid_sent": 0, "valid_accepted": 0}

    async def flooder():
        reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx)
        while time.monotonic() < deadline:
            writer.write(request("/v1/reports", envelope, "Resguardo-Token: AAAA\r\nResguardo-Proof: AAAAAAAAAAA=\r\n"))
            await writer.drain()
            status, _ = await read_response(reader)
            counts["flood_sent"] += 1
            counts["flood_accepted"] += status == 201

    async def honest():
        while time.monotonic() < deadline:
            reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx)
            writer.write(b"GET /v1/challenge HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            _, body = await read_response(reader)
            challenge = json.loads(body)
            token = base64.b64decode(challenge["token"])
            nonce = solve(token, challenge["difficulty"])
            writer.write(request("/v1/reports", envelope, "Resguardo-Token: %s\r\nResguardo-Proof: %s\r\n"
                                 % (challenge["token"], base64.b64encode(nonce).decode())))
            await writer.drain()
            status, _ = await read_response(reader)
            counts["valid_sent"] += 1
            counts["valid_accepted"] += status == 201
            writer.close()
            await asyncio.sleep(0)

    await asyncio.gather(*([flooder() for _ in range(8)] + [honest()]), return_exceptions=True)
    print(json.dumps(counts))
    return 0 if counts["flood_accepted"] == 0 and counts["valid_accepted"] > 0 and counts["valid_accepted"] == counts["valid_sent"] else 1


def solve(token, difficulty):
    n = 0
    while True:
        nonce = struct.pack("<Q", n)
        digest = hashlib.blake2b(token + nonce, digest_size=32).digest()
        bits = next((i * 8 + (8 - b.bit_length()) for i, b in enumerate(digest) if b), 256)
        if bits >= difficulty:
            return nonce
        n += 1


def main(argv):
    command, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if command == "seal" and len(args) == 3:
        seal(*args)
    elif command == "load" and len(args) == 6:
        asyncio.run(load(*args))
    elif command == "check" and len(args) == 2:
        sys.exit(check(*args))
    elif command == "slow" and len(args) == 6:
        sys.exit(asyncio.run(slow(*args[:5], read_envelopes(args[5])[0])))
    elif command == "flood" and len(args) == 4:
        sys.exit(asyncio.run(flood(*args[:3], read_envelopes(args[3])[0])))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv)
