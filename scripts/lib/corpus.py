"""Seed corpora for the libFuzzer harnesses (see scripts/gen-corpus). Files the parsers accept
come first; each folder also gets a few near-misses. The fixed keys match FuzzTargets.swift:
Ed25519 seed 07×32 signs, X25519 secret 09×32 receives, so seeds reach past the signature checks."""
import glob
import hashlib
import json
import os
import struct
import sys

import nacl.encoding
import nacl.hash
import nacl.public
import nacl.signing

SIGNER = nacl.signing.SigningKey(bytes([7] * 32))
RECIPIENT = nacl.public.PrivateKey(bytes([9] * 32))


def blake2b(data, size, key=b""):
    return nacl.hash.blake2b(data, digest_size=size, key=key, encoder=nacl.encoding.RawEncoder)


def pad(message, block):
    size = block
    while size < len(message) + 1:
        size *= 2
    return message + b"\x80" + b"\x00" * (size - len(message) - 1)


def fields(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        name, _, value = line.rstrip("\n").partition(": ")
        out[name] = value
    return out


def write(root, kind, name, data):
    folder = os.path.join(root, kind)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main(root):
    # Envelopes: the vectors, and one sealed to the harness's key.
    for path in glob.glob("Tests/Vectors/envelope/*.txt"):
        write(root, "envelope", os.path.basename(path)[:-4], bytes.fromhex(fields(path)["envelope"]))
    report = json.dumps({"version": 1, "language": "es", "country": "MX", "description": "semilla"}).encode()
    pk = bytes(RECIPIENT.public_key)
    sealed = nacl.public.SealedBox(RECIPIENT.public_key).encrypt(pad(report, 4096))
    write(root, "envelope", "to_fuzz_key", b"RSG1\x01" + blake2b(pk, 32)[:8] + sealed)

    # Reports: every fixture, and a few edge shapes.
    for path in sorted(glob.glob("Tests/Fixtures/reports/*.json"))[:12]:
        write(root, "report", os.path.basename(path)[:-5], open(path, "rb").read())
    write(root, "report", "minimal", report)
    write(root, "report", "unknown_field", b'{"version":1,"language":"en","country":"GT","description":"x","apodo":{"a":[1,2.5e3,null]}}')
    write(root, "report", "deep", b'{"version":1,"d":' + b"[" * 40 + b"]" * 40 + b"}")

    # Key files and manifests: the vectors and the demo keys.
    for path in glob.glob("Tests/Vectors/keyfile/*.txt"):
        write(root, "keyfile", os.path.basename(path)[:-4], bytes.fromhex(fields(path)["file"]))
    for path in glob.glob("keys-example/*.key"):
        write(root, "keyfile", "demo_" + os.path.basename(path), open(path, "rb").read())
    for path in glob.glob("Tests/Vectors/manifest/*.txt"):
        write(root, "manifest", os.path.basename(path)[:-4], bytes.fromhex(fields(path)["manifest"]))
    write(root, "manifest", "demo", open("keys-example/manifest.json", "rb").read())

    # Export bundle v1 (§9), signed by the harness's trusted key.
    entries = b""
    for n in range(3):
        envelope = b"RSG1\x00" + blake2b(pk, 32)[:8] + nacl.public.SealedBox(RECIPIENT.public_key).encrypt(pad(report, 4096))
        entries += os.urandom(16) + b"2026-11-25" + struct.pack("<I", len(envelope)) + envelope
    header = b"RSGB\x01\x00\x00\x00" + os.urandom(16) + b"2026-11-25" + b"\x00\x00" + struct.pack("<IQ", 3, len(entries))
    digest = blake2b(b"resguardo export bundle v1" + header + entries, 32)
    write(root, "export_bundle", "three_envelopes", header + entries + digest + bytes(SIGNER.verify_key) + SIGNER.sign(b"resguardo export bundle v1\n" + digest).signature)
    write(root, "export_bundle", "empty", (lambda h: h + blake2b(b"resguardo export bundle v1" + h, 32) + bytes(SIGNER.verify_key)
          + SIGNER.sign(b"resguardo export bundle v1\n" + blake2b(b"resguardo export bundle v1" + h, 32)).signature)(
        b"RSGB\x01\x00\x00\x00" + bytes(16) + b"2026-11-25\x00\x00" + struct.pack("<IQ", 0, 0)))

    # Reply bundle v1 (§13) and a sealed reply.
    reply = json.dumps({"version": 1, "day": "2026-11-25", "message": "Recibimos su denuncia."}).encode()
    sealed_reply = nacl.public.SealedBox(RECIPIENT.public_key).encrypt(pad(reply, 4096))
    body = b"RSGR\x01\x00\x00\x00" + b"2026-11-25" + struct.pack("<I", 2)
    for _ in range(2):
        body += os.urandom(16) + struct.pack("<I", len(sealed_reply)) + sealed_reply
    write(root, "reply_bundle", "two_replies", body + bytes(SIGNER.verify_key) + SIGNER.sign(b"resguardo reply bundle v1\n" + body).signature)
    write(root, "reply_bundle", "sealed_reply", sealed_reply)

    # Referral v1 (§14): a record, and a file sealed to the harness's key.
    record = {"version": 1, "referral_id": "00" * 16, "defender_pid": "ab" * 16, "vetted_by": "Red", "vetted_day": "2026-11-25",
              "origin_country": "HN", "origin_region": "HN-AT", "aggression_types": ["threat"], "perpetrators": ["police"],
              "urgency": "immediate", "alternatives_tried": ["none"], "relocation_type": "in_country",
              "window_from": "2026-11-25", "window_to": "2026-12-25", "duration_weeks": 4, "dependants_count": 1,
              "dependants_age_bands": ["under_18"], "medical_needs": False, "psychosocial_needs": True,
              "accessibility_needs": False, "languages": ["es"], "passport": False, "transit_security": True,
              "work_continues": True, "consent_scope": "relocation_only", "consent_expires": "2027-01-25", "expires": "2099-12-31"}
    record_bytes = json.dumps(record).encode()
    write(root, "referral", "record", record_bytes)
    sealed_record = nacl.public.SealedBox(RECIPIENT.public_key).encrypt(pad(record_bytes, 4096))
    body = b"RSGF\x01\x00\x00\x00" + b"2099-12-31" + blake2b(pk, 32)[:8] + struct.pack("<I", len(sealed_record)) + sealed_record
    write(root, "referral", "file", body + bytes(SIGNER.verify_key) + SIGNER.sign(b"resguardo referral v1\n" + body).signature)


if __name__ == "__main__":
    main(sys.argv[1])
