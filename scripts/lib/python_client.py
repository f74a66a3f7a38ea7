"""An independent Resguardo client, written from docs/formats.md alone: Python's ssl and
http.client for HTTPS, PyNaCl (Debian python3-nacl) for the cryptography.

usage: python_client.py BASE_URL CA_FILE FINGERPRINT

Fetches and verifies the key manifest against FINGERPRINT, builds a Report v1, pads it to its
bucket, seals it, frames Envelope v1, solves the proof of work and posts it. Prints 'receipt: R'.
"""
import base64
import http.client
import json
import ssl
import sys
import urllib.parse

import nacl.encoding
import nacl.hash
import nacl.public
import nacl.signing


def blake2b(data, size):
    return nacl.hash.blake2b(data, digest_size=size, encoder=nacl.encoding.RawEncoder)


def main():
    base, ca, pinned = sys.argv[1], sys.argv[2], sys.argv[3]
    url = urllib.parse.urlparse(base)
    context = ssl.create_default_context(cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False  # the demo certificate names localhost and 127.0.0.1

    def request(method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    status, data = request("GET", "/v1/keys")
    assert status == 200, status
    outer = json.loads(data)
    signing_key = base64.b64decode(outer["signing_key"])
    fingerprint = blake2b(signing_key, 32)[:16].hex()
    fingerprint = " ".join(fingerprint[i:i + 4] for i in range(0, 32, 4))
    if fingerprint != pinned:
        sys.exit(f"fingerprint mismatch: {fingerprint} != {pinned}")
    payload = base64.b64decode(outer["payload"])
    nacl.signing.VerifyKey(signing_key).verify(b"resguardo manifest v1\n" + payload, base64.b64decode(outer["signature"]))
    manifest = json.loads(payload)
    key = sorted(manifest["encryption_keys"], key=lambda k: k["not_before"])[-1]
    public_key = base64.b64decode(key["public_key"])
    assert blake2b(public_key, 32)[:8].hex() == key["id"]

    report = json.dumps({"version": 1, "language": "es", "country": "GT", "region": "GT-16",
                         "description": "Cliente independiente en Python: amenazas contra la radio comunitaria.",
                         "aggression_types": ["threat", "information_obstruction"]}, ensure_ascii=False).encode()
    bucket = next(1 << n for n in range(12, 25) if (1 << n) >= len(report) + 1)
    padded = report + b"\x80" + b"\x00" * (bucket - len(report) - 1)
    sealed = nacl.public.SealedBox(nacl.public.PublicKey(public_key)).encrypt(padded)
    envelope = b"RSG1" + b"\x00" + bytes.fromhex(key["id"]) + sealed
    assert len(envelope) == 61 + bucket

    headers = {"Content-Type": "application/octet-stream"}
    status, data = request("GET", "/v1/challenge")
    challenge = json.loads(data)
    if challenge["difficulty"] > 0:
        token = base64.b64decode(challenge["token"])
        counter = 0
        while True:
            nonce = counter.to_bytes(8, "little")
            digest = blake2b(token + nonce, 32)
            bits = 0
            for byte in digest:
                if byte == 0:
                    bits += 8
                    continue
                bits += 8 - byte.bit_length()
                break
            if bits >= challenge["difficulty"]:
                break
            counter += 1
        headers["Resguardo-Token"] = challenge["token"]
        headers["Resguardo-Proof"] = base64.b64encode(nonce).decode()
    status, data = request("POST", "/v1/reports", body=envelope, headers=headers)
    if status != 201:
        sys.exit(f"intake answered {status}: {data!r}")
    print("receipt: " + json.loads(data)["receipt"])


if __name__ == "__main__":
    main()
