// The defender-side cryptography of the Resguardo web form, as pure functions (no page access),
// so the test suite can run them in Chromium against libsodium and python3-nacl.
// Formats: docs/formats.md (envelope §2, key manifest §3, proof of work §8).
// Needs tweetnacl (global `nacl`, Debian's node-tweetnacl) and blake2b.js.
'use strict';
(function (global) {
  const nacl = global.nacl;
  const blake2b = global.ResguardoBlake2b;
  const BUCKETS = [];
  for (let e = 12; e <= 24; e++) BUCKETS.push(2 ** e);

  // An error whose `code` the page turns into a bilingual message.
  class SealingError extends Error {
    constructor(code, detail) {
      super(code + (detail ? ': ' + detail : ''));
      this.code = code;
    }
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function fromBase64(text) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new SealingError('bad_base64');
    }
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function toBase64(bytes) {
    let raw = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(raw);
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // First 16 bytes of BLAKE2b-256(signing key), lowercase hex in groups of 4.
  function fingerprint(signingKey) {
    return hex(blake2b(signingKey, 32).subarray(0, 16)).match(/.{4}/g).join(' ');
  }

  // Key id: first 8 bytes of BLAKE2b-256(public key).
  function keyId(publicKey) {
    return blake2b(publicKey, 32).subarray(0, 8);
  }

  // libsodium's crypto_box_seal: ephemeral key pair, nonce = BLAKE2b-192(epk ‖ pk).
  function sealedBox(message, recipient) {
    const ephemeral = nacl.box.keyPair();
    const nonce = blake2b(concat(ephemeral.publicKey, recipient), 24);
    const boxed = nacl.box(message, nonce, recipient, ephemeral.secretKey);
    ephemeral.secretKey.fill(0);
    return concat(ephemeral.publicKey, boxed);
  }

  // The smallest bucket that holds the report and the 0x80 marker of ISO/IEC 7816-4 padding.
  function bucketFor(length) {
    const bucket = BUCKETS.find((b) => b >= length + 1);
    if (bucket === undefined) throw new SealingError('too_large', String(length));
    return bucket;
  }

  function pad(report) {
    const out = new Uint8Array(bucketFor(report.length));
    out.set(report);
    out[report.length] = 0x80;
    return out;
  }

  // Envelope v1: "RSG1" ‖ flags ‖ key id ‖ crypto_box_seal(padded report).
  function envelope(report, key, urgent) {
    const padded = pad(report);
    try {
      const header = concat(new TextEncoder().encode('RSG1'), new Uint8Array([urgent ? 1 : 0]), key.id);
      return concat(header, sealedBox(padded, key.publicKey));
    } finally {
      padded.fill(0);
    }
  }

  // Checks a signed key manifest against the pinned fingerprint and picks the encryption key
  // valid on `today` (YYYY-MM-DD). Throws SealingError with a code the page explains.
  const MANIFEST_DOMAIN = new TextEncoder().encode('resguardo manifest v1\n');

  function verifyManifest(text, pinned, today, notIssuedBefore) {
    let outer;
    try {
      outer = JSON.parse(text);
    } catch (e) {
      throw new SealingError('manifest_malformed');
    }
    if (!outer || typeof outer !== 'object') throw new SealingError('manifest_malformed');
    const signingKey = fromBase64(outer.signing_key);
    const signature = fromBase64(outer.signature);
    const payload = fromBase64(outer.payload);
    if (signingKey.length !== 32 || signature.length !== 64) throw new SealingError('manifest_malformed');
    if (fingerprint(signingKey) !== pinned) throw new SealingError('manifest_wrong_signer', fingerprint(signingKey));
    // The signature covers the manifest domain, then the payload (docs/formats.md §0): a file the
    // organisation's key signed for another purpose is never a manifest.
    if (!nacl.sign.detached.verify(concat(MANIFEST_DOMAIN, payload), signature, signingKey)) throw new SealingError('manifest_bad_signature');
    let body;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch (e) {
      throw new SealingError('manifest_malformed');
    }
    if (body.version !== 1 || !Array.isArray(body.encryption_keys)) throw new SealingError('manifest_malformed');
    // The manifest's own expiry (without one, its last key's): an old manifest replayed by a
    // compromised intake is refused once it has expired. `notIssuedBefore` (the offline form
    // carries the date of the manifest it was made with) refuses anything older than that.
    const lastKeyDay = body.encryption_keys.reduce((d, k) => (k.not_after > d ? k.not_after : d), '');
    const expires = typeof body.expires === 'string' ? body.expires : lastKeyDay;
    if (expires < today) throw new SealingError('manifest_expired');
    if (notIssuedBefore && !(body.issued >= notIssuedBefore)) throw new SealingError('manifest_rolled_back');
    const valid = body.encryption_keys.filter((k) => k.not_before <= today && today <= k.not_after);
    if (valid.length === 0) throw new SealingError('manifest_no_current_key');
    // The newest key in force, the later one on a tie: as the Swift client picks it.
    const chosen = valid.reduce((best, k) => (k.not_before >= best.not_before ? k : best));
    const publicKey = fromBase64(chosen.public_key);
    if (publicKey.length !== 32 || hex(keyId(publicKey)) !== chosen.id) throw new SealingError('manifest_bad_key_id');
    return { organisation: String(body.organisation), fingerprint: pinned, key: { id: keyId(publicKey), publicKey } };
  }

  function leadingZeroBits(bytes) {
    let bits = 0;
    for (const b of bytes) {
      if (b === 0) {
        bits += 8;
        continue;
      }
      return bits + Math.clz32(b) - 24;
    }
    return bits;
  }

  // The proof of work's hash as WebAssembly (pow.wasm, built from pow.c by the build), fetched
  // with its integrity hash and checked against blake2b.js on a fixed input before it is used.
  // Null, and the JavaScript search is used, when WebAssembly is off (Tor Browser's Safest
  // mode), the file is not served or does not load, or the check fails.
  async function loadPowEngine(url, integrity) {
    try {
      if (!url || !integrity || typeof WebAssembly !== 'object') return null;
      const response = await fetch(url, { integrity, cache: 'no-store', credentials: 'omit' });
      if (!response.ok) return null;
      const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), {});
      const e = instance.exports;
      const probe = new Uint8Array(200).map((_, i) => (i * 31 + 7) & 0xff);
      new Uint8Array(e.memory.buffer).set(probe, e.input());
      e.hash(probe.length, 32);
      const got = new Uint8Array(e.memory.buffer).slice(e.digest(), e.digest() + 32);
      const want = blake2b(probe, 32);
      return got.every((b, i) => b === want[i]) ? e : null;
    } catch (_) {
      return null;
    }
  }

  // Proof of work: the first little-endian counter nonce with enough leading zero bits in
  // BLAKE2b-256(token ‖ nonce). Works in slices so the page stays responsive and can show
  // progress; with `engine` (loadPowEngine) each slice is a few calls into WebAssembly.
  function solve(tokenBytes, difficulty, onProgress, engine) {
    const input = new Uint8Array(tokenBytes.length + 8);
    input.set(tokenBytes);
    const at = tokenBytes.length;
    const expected = difficulty > 0 ? 2 ** difficulty : 1;
    let counter = 0;
    if (engine) new Uint8Array(engine.memory.buffer).set(tokenBytes, engine.input());
    return new Promise((resolve) => {
      // Slices of about 50 ms: long enough that the pauses (timers are clamped to 4 ms) cost
      // little, short enough that the page still answers taps and shows progress.
      function slice() {
        const until = Date.now() + 50;
        do {
          if (engine) {
            // The counter in two 32-bit halves (no BigInt needed); 4096 nonces a call.
            const tried = engine.solve(at, difficulty, counter >>> 0, Math.floor(counter / 4294967296), 4096);
            if (tried < 4096) {
              const found = engine.input() + at;
              resolve(new Uint8Array(engine.memory.buffer).slice(found, found + 8));
              return;
            }
            counter += 4096;
            continue;
          }
          for (const stop = counter + 1024; counter < stop; counter++) {
            let c = counter;
            for (let i = 0; i < 8; i++) {
              input[at + i] = c & 0xff;
              c = Math.floor(c / 256);
            }
            if (leadingZeroBits(blake2b(input, 32)) >= difficulty) {
              resolve(input.slice(at));
              return;
            }
          }
        } while (Date.now() < until);
        if (onProgress) onProgress(Math.min(0.99, counter / (expected * 2)));
        setTimeout(slice, 0);
      }
      slice();
    });
  }

  const utf8 = (text) => new TextEncoder().encode(text);

  // Codename v1 (docs/formats.md §12). Marks are removed by Unicode category, which for anything
  // a person types here is what the Swift and Python code remove by combining class.
  function normaliseCodename(text) {
    return (text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[a-z]+/g) || []).join(' ');
  }

  // The reply key pair (libsodium's crypto_box_seed_keypair: sk = SHA-512(seed)[0..32]) and the
  // mailbox id for a normalised codename.
  function codenameKeys(normalised) {
    const digest = blake2b(concat(utf8('resguardo codename v1\0'), utf8(normalised)), 64);
    const secret = nacl.hash(digest.subarray(0, 32)).slice(0, 32);
    digest.fill(0);
    const pair = nacl.box.keyPair.fromSecretKey(secret);
    secret.fill(0);
    const mailbox = hex(blake2b(concat(utf8('resguardo mailbox v1\0'), pair.publicKey), 16));
    return { publicKey: pair.publicKey, secretKey: pair.secretKey, mailbox };
  }

  // crypto_box_seal_open, then the padding and the Reply v1 JSON.
  function openReply(sealed, pair) {
    if (sealed.length < 48) return null;
    const ephemeral = sealed.subarray(0, 32);
    const nonce = blake2b(concat(ephemeral, pair.publicKey), 24);
    const padded = nacl.box.open(sealed.subarray(32), nonce, ephemeral, pair.secretKey);
    if (!padded) return null;
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (end < 0 || padded[end] !== 0x80) return null;
    try {
      const reply = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(padded.subarray(0, end)));
      return reply.version === 1 && typeof reply.message === 'string' ? { day: String(reply.day), message: reply.message } : null;
    } catch (e) {
      return null;
    } finally {
      padded.fill(0);
    }
  }

  // Seven words chosen uniformly (rejection sampling over 16-bit values) from the 7,776.
  function generateCodename(words) {
    if (words.length !== 7776) throw new SealingError('wordlist');
    const chosen = [];
    const random = new Uint16Array(1);
    while (chosen.length < 7) {
      crypto.getRandomValues(random);
      if (random[0] < 62208) chosen.push(words[random[0] % 7776]);
    }
    return chosen.join(' ');
  }

  global.ResguardoSealing = {
    normaliseCodename, codenameKeys, openReply, generateCodename,
    SealingError, concat, fromBase64, toBase64, hex, fingerprint, keyId, sealedBox, bucketFor, pad,
    envelope, verifyManifest, leadingZeroBits, solve, loadPowEngine, blake2b,
  };
})(typeof self !== 'undefined' ? self : globalThis);
