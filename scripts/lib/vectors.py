"""Cross-implementation vectors for Resguardo, written with PyNaCl (Debian python3-nacl).

generate DIR   write one vector per file under DIR/<kind>/
verify DIR     open and verify what the Swift code wrote into DIR (the reverse check)

Layouts follow docs/formats.md; nothing here imports or calls the Swift code.
"""
import base64
import json
import os
import struct
import sys

import nacl.bindings as b
import nacl.encoding
import nacl.hash
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.signing

BUCKETS = [1 << n for n in range(12, 25)]


def blake2b(data, size=32, key=b""):
    return nacl.hash.blake2b(data, digest_size=size, key=key, encoder=nacl.encoding.RawEncoder)


def key_id(pk):
    return blake2b(pk, 32)[:8]


def fingerprint(signing_pk):
    h = blake2b(signing_pk, 32)[:16].hex()
    return " ".join(h[i:i + 4] for i in range(0, 32, 4))


def pad(message, block):
    # ISO/IEC 7816-4, written out by hand rather than through sodium_pad.
    assert len(message) + 1 <= block
    return message + b"\x80" + b"\x00" * (block - len(message) - 1)


def bucket_for(n):
    return next(size for size in BUCKETS if size >= n + 1)


def envelope(report, pk, flags=0, block=None):
    block = block or bucket_for(len(report))
    sealed = nacl.public.SealedBox(nacl.public.PublicKey(pk)).encrypt(pad(report, block))
    return b"RSG1" + bytes([flags]) + key_id(pk) + sealed


def keyfile(secret, pk, kind, passphrase, ops, mem, version=1):
    salt = os.urandom(16)
    nonce = os.urandom(24)
    header = b"RSGK" + bytes([version, kind, 2, 0]) + struct.pack("<QQ", ops, mem) + salt + pk
    stretched = nacl.pwhash.argon2id.kdf(32, passphrase, salt, opslimit=ops, memlimit=mem)
    box_key = blake2b(b"resguardo key file v1" + header, 32, key=stretched)
    box = nacl.secret.SecretBox(box_key).encrypt(secret, nonce).ciphertext
    body = header + nonce + box
    return body + blake2b(body, 32)


# Every signature of ours covers a domain line first (docs/formats.md §0, review N1).
MANIFEST_DOMAIN = b"resguardo manifest v1\n"


def manifest(signing, organisation, keys, reply_pk, issued="2026-11-25"):
    payload = json.dumps({
        "version": 1,
        "organisation": organisation,
        "issued": issued,
        "encryption_keys": [
            {"id": key_id(pk).hex(), "public_key": base64.b64encode(pk).decode(),
             "not_before": nb, "not_after": na} for pk, nb, na in keys],
        "reply_signing_key": base64.b64encode(reply_pk).decode(),
    }, ensure_ascii=False, separators=(",", ":")).encode()
    sig = signing.sign(MANIFEST_DOMAIN + payload).signature
    return payload, sig


def wrap_manifest(payload, sig, vk):
    return json.dumps({"payload": base64.b64encode(payload).decode(),
                       "signature": base64.b64encode(sig).decode(),
                       "signing_key": base64.b64encode(vk).decode()}).encode()


REPORT = json.dumps({
    "version": 1, "language": "es", "country": "MX", "region": "MX-OAX", "setting": "rural",
    "incident_date": "2026-10", "aggression_types": ["death_threat", "surveillance"],
    "perpetrators": ["extractive_company", "local_official"], "rights_defended": ["land_territory"],
    "target_scope": "collective", "description": "Hombres armados rondan la casa de la asamblea comunitaria.",
    "urgent": True, "consent": {"registry": True, "contact": False},
}, ensure_ascii=False).encode()


class Writer:
    def __init__(self, root):
        self.root = root

    def write(self, kind, name, expect, comment, **fields):
        folder = os.path.join(self.root, kind)
        os.makedirs(folder, exist_ok=True)
        lines = [f"expect: {expect}", f"comment: {comment}"]
        for k, v in fields.items():
            lines.append(f"{k}: {v.hex() if isinstance(v, (bytes, bytearray)) else v}")
        with open(os.path.join(folder, name), "w") as f:
            f.write("\n".join(lines) + "\n")


def generate(root):
    w = Writer(root)
    producer = f"PyNaCl {nacl.__version__} (Debian python3-nacl)"
    sk = nacl.public.PrivateKey(bytes(range(32)))
    other = nacl.public.PrivateKey(bytes(range(1, 33)))
    pk = bytes(sk.public_key)

    # Sealed boxes.
    for n, msg in [("empty", b""), ("short", "amenaza de muerte".encode()), ("4k", os.urandom(4096))]:
        ct = nacl.public.SealedBox(sk.public_key).encrypt(msg)
        w.write("sealed_box", f"{n}.txt", "success", f"sealed by {producer}",
                secret_key=bytes(sk), plaintext=msg, ciphertext=ct)
    ct = bytearray(nacl.public.SealedBox(sk.public_key).encrypt(b"altered"))
    ct[40] ^= 1
    w.write("sealed_box", "altered.txt", "open failure", "one bit flipped in the ciphertext",
            secret_key=bytes(sk), plaintext=b"", ciphertext=bytes(ct))
    ct = nacl.public.SealedBox(other.public_key).encrypt(b"otra llave")
    w.write("sealed_box", "wrong_key.txt", "open failure", "sealed to a different key",
            secret_key=bytes(sk), plaintext=b"", ciphertext=ct)

    # Ed25519.
    signer = nacl.signing.SigningKey(bytes(range(100, 132)))
    for n, msg in [("empty", b""), ("text", "manifiesto".encode())]:
        w.write("signature", f"{n}.txt", "success", f"signed by {producer}",
                public_key=bytes(signer.verify_key), message=msg, signature=signer.sign(msg).signature)
    sig = bytearray(signer.sign(b"x").signature)
    sig[0] ^= 1
    w.write("signature", "altered.txt", "verify failure", "one bit flipped in the signature",
            public_key=bytes(signer.verify_key), message=b"x", signature=bytes(sig))

    # BLAKE2b: RFC 7693 appendix A anchors our reading, PyNaCl the rest.
    w.write("blake2b", "rfc7693_abc.txt", "success", "RFC 7693 appendix A, BLAKE2b-512 of \"abc\"",
            message=b"abc", key=b"", digest=bytes.fromhex(
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"))
    for n, (msg, key, size) in {"empty_32": (b"", b"", 32), "text_16": (b"resguardo", b"", 16),
                                "keyed_32": (b"mensaje", bytes(range(32)), 32),
                                "keyed_64_long": (bytes(range(256)) * 9, bytes(range(64)), 64)}.items():
        w.write("blake2b", f"{n}.txt", "success", f"digest by {producer}",
                message=msg, key=key, digest=blake2b(msg, size, key))

    # Envelopes.
    w.write("envelope", "report_4k.txt", "success", "padded, sealed and framed by PyNaCl + hand-written padding",
            secret_key=bytes(sk), envelope=envelope(REPORT, pk), report=REPORT, urgent="false", bucket=4096)
    w.write("envelope", "urgent_8k.txt", "success", "urgent flag, report in an 8 KiB bucket",
            secret_key=bytes(sk), envelope=envelope(REPORT, pk, flags=1, block=8192), report=REPORT, urgent="true", bucket=8192)
    good = envelope(REPORT, pk)
    w.write("envelope", "bad_magic.txt", "header failure", "starts with XSG1",
            secret_key=bytes(sk), envelope=b"X" + good[1:], error="envelope_bad_magic")
    w.write("envelope", "bad_version.txt", "header failure", "version byte is 2",
            secret_key=bytes(sk), envelope=good[:3] + b"2" + good[4:], error="envelope_unsupported_version")
    w.write("envelope", "unknown_flags.txt", "header failure", "flag bit 7 set",
            secret_key=bytes(sk), envelope=good[:4] + b"\x80" + good[5:], error="envelope_unknown_flags")
    w.write("envelope", "truncated_header.txt", "header failure", "12 bytes",
            secret_key=bytes(sk), envelope=good[:12], error="envelope_truncated")
    w.write("envelope", "not_a_bucket.txt", "header failure", "one byte short of 61 + 4096",
            secret_key=bytes(sk), envelope=good[:-1], error="envelope_length_not_a_bucket")
    w.write("envelope", "unknown_key.txt", "header failure", "sealed to a key not in the manifest",
            secret_key=bytes(sk), envelope=envelope(REPORT, bytes(other.public_key)), error="envelope_unknown_key")
    altered = bytearray(good)
    altered[100] ^= 1
    w.write("envelope", "altered.txt", "open failure", "one bit flipped inside the sealed box",
            secret_key=bytes(sk), envelope=bytes(altered), error="envelope_open_failed")
    unpadded = b"RSG1\x00" + key_id(pk) + nacl.public.SealedBox(sk.public_key).encrypt(b"\x00" * 4096)
    w.write("envelope", "bad_padding.txt", "open failure", "4096 zero bytes: no 0x80 marker",
            secret_key=bytes(sk), envelope=unpadded, error="envelope_bad_padding")

    # Key manifests.
    msign = nacl.signing.SigningKey(bytes(range(200, 232)))
    reply = nacl.signing.SigningKey(bytes(range(150, 182)))
    vk = bytes(msign.verify_key)
    payload, sig = manifest(msign, "Red de Defensoras (vectores)", [(pk, "2026-01-01", "2027-01-01")], bytes(reply.verify_key))
    fp = fingerprint(vk)
    w.write("manifest", "valid.txt", "success", "signed by PyNaCl", manifest=wrap_manifest(payload, sig, vk),
            fingerprint=fp, key_id=key_id(pk).hex())
    w.write("manifest", "altered_payload.txt", "signature failure", "payload changed after signing",
            manifest=wrap_manifest(payload.replace(b"2027-01-01", b"2099-01-01"), sig, vk), fingerprint=fp)
    intruder = nacl.signing.SigningKey(bytes(range(50, 82)))
    p2, s2 = manifest(intruder, "Intake capturado", [(bytes(other.public_key), "2026-01-01", "2027-01-01")], bytes(reply.verify_key))
    w.write("manifest", "swapped_key.txt", "untrusted key", "validly signed by a key that is not the pinned one",
            manifest=wrap_manifest(p2, s2, bytes(intruder.verify_key)), fingerprint=fp)
    bad_id = payload.replace(key_id(pk).hex().encode(), b"0000000000000000")
    w.write("manifest", "wrong_key_id.txt", "payload failure", "signed, but the id is not the public key's",
            manifest=wrap_manifest(bad_id, msign.sign(MANIFEST_DOMAIN + bad_id).signature, vk), fingerprint=fp)
    w.write("manifest", "undomained.txt", "undomained", "the bare payload signed, as before signature domains: refused",
            manifest=wrap_manifest(payload, msign.sign(payload).signature, vk), fingerprint=fp)

    # Key files (small Argon2id limits so the tests stay quick; the layout is what is tested).
    secret = bytes(range(32))
    ops, mem = 1, 1 << 20
    good = keyfile(secret, pk, 1, b"frase de paso larga", ops, mem)
    w.write("keyfile", "valid_encryption.txt", "success", "Argon2id + keyed BLAKE2b + secretbox by PyNaCl",
            file=good, passphrase="frase de paso larga", public_key=pk, secret=secret)
    w.write("keyfile", "wrong_passphrase.txt", "wrong passphrase", "intact file, other passphrase",
            file=good, passphrase="otra frase de paso")
    flipped = bytearray(good)
    flipped[100] ^= 1
    w.write("keyfile", "flipped_byte.txt", "corrupt", "one bit flipped in the sealed secret", file=bytes(flipped), passphrase="frase de paso larga")
    w.write("keyfile", "truncated.txt", "truncated", "last 10 bytes missing", file=good[:-10], passphrase="frase de paso larga")
    w.write("keyfile", "version_2.txt", "unsupported version", "version byte 2",
            file=keyfile(secret, pk, 1, b"frase de paso larga", ops, mem, version=2), passphrase="frase de paso larga")
    w.write("keyfile", "huge_memlimit.txt", "corrupt", "memlimit of 1 TiB must be refused before Argon2id runs",
            file=keyfile_header_only(pk, ops, 1 << 40), passphrase="frase de paso larga")
    seed = bytes(range(64, 96))
    signing_pk = bytes(nacl.signing.SigningKey(seed).verify_key)
    w.write("keyfile", "valid_signing.txt", "success", "Ed25519 seed, kind 2",
            file=keyfile(seed, signing_pk, 2, b"frase de paso larga", ops, mem), passphrase="frase de paso larga",
            public_key=signing_pk, secret=seed)


def keyfile_header_only(pk, ops, mem):
    # A well-formed checksum over absurd limits: only the bounds check can stop it.
    header = b"RSGK" + bytes([1, 1, 2, 0]) + struct.pack("<QQ", ops, mem) + os.urandom(16) + pk
    body = header + os.urandom(24) + os.urandom(48)
    return body + blake2b(body, 32)


def normalise_codename(text):
    """docs/formats.md §12: NFKD, combining marks removed, lower case, other runs → one space."""
    import re
    import unicodedata
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.combining(c) == 0).lower()
    return " ".join(re.findall("[a-z]+", kept))


def generate_codenames(root, wordlist):
    """Codename vectors: seed, reply key and mailbox id for codenames typed in various ways."""
    w = Writer(root)
    producer = f"PyNaCl {nacl.__version__} (Debian python3-nacl) with Python's unicodedata"
    words = open(wordlist, encoding="utf-8").read().split()
    assert len(words) == 7776 and len(set(words)) == 7776
    typed = {
        "plain": " ".join(words[i] for i in (0, 1000, 2000, 3000, 4000, 5000, 7775)),
        "accents_and_case": "  " + words[10].upper() + "-" + words[11].replace("a", "á", 1).replace("o", "Ó", 1) + ",   "
                            + " ".join(words[20:24]) + "\t" + words[30] + " ",
        "first_words": " ".join(words[:7]),
    }
    for name, text in typed.items():
        normalised = normalise_codename(text)
        digest = blake2b(b"resguardo codename v1\x00" + normalised.encode(), 64)
        key = nacl.public.PrivateKey.from_seed(digest[:32])
        pk = bytes(key.public_key)
        w.write("codename", f"{name}.txt", "success", f"derived by {producer}",
                typed=text.replace("\t", "\\t"), normalised=normalised, seed=digest[:32], public_key=pk,
                mailbox=blake2b(b"resguardo mailbox v1\x00" + pk, 16))


def read_fields(path):
    fields = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.rstrip("\n").partition(": ")
            fields[name] = value
    return fields


def verify(root):
    """Opens and verifies everything Swift wrote (see Tests/FormatsTests/CrossImplementationTests)."""
    passed = failed = 0

    def check(name, ok):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}", file=sys.stderr)

    for entry in sorted(os.listdir(root)):
        f = read_fields(os.path.join(root, entry))
        kind = f["kind"]
        try:
            if kind == "sealed_box":
                sk = nacl.public.PrivateKey(bytes.fromhex(f["secret_key"]))
                check(entry, nacl.public.SealedBox(sk).decrypt(bytes.fromhex(f["ciphertext"])) == bytes.fromhex(f["plaintext"]))
            elif kind == "signature":
                vk = nacl.signing.VerifyKey(bytes.fromhex(f["public_key"]))
                vk.verify(bytes.fromhex(f["message"]), bytes.fromhex(f["signature"]))
                check(entry, True)
            elif kind == "blake2b":
                key = bytes.fromhex(f["key"])
                digest = bytes.fromhex(f["digest"])
                check(entry, blake2b(bytes.fromhex(f["message"]), len(digest), key) == digest)
            elif kind == "envelope":
                env = bytes.fromhex(f["envelope"])
                sk = nacl.public.PrivateKey(bytes.fromhex(f["secret_key"]))
                ok = env[:4] == b"RSG1" and env[5:13] == key_id(bytes(sk.public_key)) and (len(env) - 61) in BUCKETS
                padded = nacl.public.SealedBox(sk).decrypt(env[13:])
                body = padded.rstrip(b"\x00")
                ok = ok and body.endswith(b"\x80") and body[:-1] == bytes.fromhex(f["report"])
                check(entry, ok)
            elif kind == "manifest":
                outer = json.loads(bytes.fromhex(f["manifest"]))
                vk_bytes = base64.b64decode(outer["signing_key"])
                payload = base64.b64decode(outer["payload"])
                nacl.signing.VerifyKey(vk_bytes).verify(MANIFEST_DOMAIN + payload, base64.b64decode(outer["signature"]))
                doc = json.loads(payload)
                ok = fingerprint(vk_bytes) == f["fingerprint"] and doc["version"] == 1
                ok = ok and all(k["id"] == key_id(base64.b64decode(k["public_key"])).hex() for k in doc["encryption_keys"])
                check(entry, ok)
            elif kind == "keyfile":
                data = bytes.fromhex(f["file"])
                ok = len(data) == 176 and data[:5] == b"RSGK\x01" and blake2b(data[:144], 32) == data[144:]
                ops, mem = struct.unpack("<QQ", data[8:24])
                stretched = nacl.pwhash.argon2id.kdf(32, f["passphrase"].encode(), data[24:40], opslimit=ops, memlimit=mem)
                box_key = blake2b(b"resguardo key file v1" + data[:72], 32, key=stretched)
                secret = nacl.secret.SecretBox(box_key).decrypt(data[96:144], data[72:96])
                if data[5] == 1:
                    ok = ok and bytes(nacl.public.PrivateKey(secret).public_key) == data[40:72]
                else:
                    ok = ok and bytes(nacl.signing.SigningKey(secret).verify_key) == data[40:72]
                check(entry, ok)
            else:
                check(f"{entry} (unknown kind {kind})", False)
        except Exception as e:  # any exception is a failed cross-check, reported by name
            print(f"FAIL {entry}: {type(e).__name__}: {e}", file=sys.stderr)
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "codenames":
        generate_codenames(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) != 3 or sys.argv[1] not in ("generate", "verify"):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    else:
        sys.exit(verify(sys.argv[2]))
