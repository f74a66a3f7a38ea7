"""An export bundle v1 (docs/formats.md §9) made from the spec alone with PyNaCl, for tests that
have no vault at hand (the package test in a chroot): reports sealed to a manifest's current key,
signed by a fresh vault key.

    make_bundle.py MANIFEST.json OUT.rsgb VAULT.pub REPORT.json…    prints the vault key's fingerprint
"""
import base64, json, os, struct, sys, datetime
import nacl.hash, nacl.public, nacl.signing, nacl.encoding

def bucket(n):
    size = 4096
    while size < n + 1:
        size *= 2
    return size

manifest, out, pub, reports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
payload = json.loads(base64.b64decode(json.load(open(manifest))["payload"]))
key = payload["encryption_keys"][-1]
recipient = nacl.public.PublicKey(base64.b64decode(key["public_key"]))
today = datetime.date.today().isoformat().encode()
entries = b""
for path in reports:
    report = open(path, "rb").read()
    padded = report + b"\x80" + b"\x00" * (bucket(len(report)) - len(report) - 1)
    envelope = b"RSG1\x00" + bytes.fromhex(key["id"]) + nacl.public.SealedBox(recipient).encrypt(padded)
    entries += os.urandom(16) + today + struct.pack("<I", len(envelope)) + envelope
head = b"RSGB\x01\x00\x00\x00" + os.urandom(16) + today + b"\x00\x00" + struct.pack("<I", len(reports)) + struct.pack("<Q", len(entries))
body = head + entries
digest = nacl.hash.blake2b(b"resguardo export bundle v1" + body, digest_size=32, encoder=nacl.encoding.RawEncoder)
signer = nacl.signing.SigningKey.generate()
open(out, "wb").write(body + digest + bytes(signer.verify_key) + signer.sign(b"resguardo export bundle v1\n" + digest).signature)
open(pub, "w").write(base64.b64encode(bytes(signer.verify_key)).decode() + "\n")
fp = nacl.hash.blake2b(bytes(signer.verify_key), digest_size=32, encoder=nacl.encoding.RawEncoder)[:16].hex()
print(" ".join(fp[i:i + 4] for i in range(0, 32, 4)))
