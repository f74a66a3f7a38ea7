// BLAKE2b (RFC 7693) for the Resguardo web form. tweetnacl has no BLAKE2b, and the form needs it
// for the sealed-box nonce (libsodium's crypto_box_seal), key ids, the signing-key fingerprint
// and the proof of work. 64-bit words are kept as pairs of 32-bit halves (low word first) rather
// than BigInt: the proof of work hashes tens of thousands of times on slow phones.
// Checked in Chromium against libsodium (Swift) and python3-nacl by the test suite.
'use strict';
(function (global) {
  const IV = new Uint32Array([
    0xF3BCC908, 0x6A09E667, 0x84CAA73B, 0xBB67AE85, 0xFE94F82B, 0x3C6EF372, 0x5F1D36F1, 0xA54FF53A,
    0xADE682D1, 0x510E527F, 0x2B3E6C1F, 0x9B05688C, 0xFB41BD6B, 0x1F83D9AB, 0x137E2179, 0x5BE0CD19,
  ]);
  // Message schedule; rounds 10 and 11 repeat rounds 0 and 1. Doubled: indices into 32-bit halves.
  const SIGMA = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
    11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
    7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
    9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
    2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
    12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
    13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
    6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
    10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  ].map((x) => x * 2);

  const v = new Uint32Array(32);
  const m = new Uint32Array(32);

  // v[a] += v[b], 64-bit
  function add64aa(a, b) {
    const lo = v[a] + v[b];
    let hi = v[a + 1] + v[b + 1];
    if (lo >= 0x100000000) hi++;
    v[a] = lo;
    v[a + 1] = hi;
  }

  // v[a] += (hi, lo), 64-bit
  function add64ac(a, lo, hi) {
    const l = v[a] + lo;
    let h = v[a + 1] + hi;
    if (l >= 0x100000000) h++;
    v[a] = l;
    v[a + 1] = h;
  }

  function mix(a, b, c, d, ix, iy) {
    const x0 = m[ix], x1 = m[ix + 1], y0 = m[iy], y1 = m[iy + 1];
    add64aa(a, b);
    add64ac(a, x0, x1);
    let lo = v[d] ^ v[a], hi = v[d + 1] ^ v[a + 1]; // rotate right 32
    v[d] = hi;
    v[d + 1] = lo;
    add64aa(c, d);
    lo = v[b] ^ v[c]; hi = v[b + 1] ^ v[c + 1]; // rotate right 24
    v[b] = (lo >>> 24) ^ (hi << 8);
    v[b + 1] = (hi >>> 24) ^ (lo << 8);
    add64aa(a, b);
    add64ac(a, y0, y1);
    lo = v[d] ^ v[a]; hi = v[d + 1] ^ v[a + 1]; // rotate right 16
    v[d] = (lo >>> 16) ^ (hi << 16);
    v[d + 1] = (hi >>> 16) ^ (lo << 16);
    add64aa(c, d);
    lo = v[b] ^ v[c]; hi = v[b + 1] ^ v[c + 1]; // rotate right 63
    v[b] = (hi >>> 31) ^ (lo << 1);
    v[b + 1] = (lo >>> 31) ^ (hi << 1);
  }

  function compress(state, last) {
    for (let i = 0; i < 16; i++) {
      v[i] = state.h[i];
      v[i + 16] = IV[i];
    }
    // The byte counter never passes 2^53 here, so two halves of a double are enough.
    v[24] ^= state.t;
    v[25] ^= state.t / 0x100000000;
    if (last) {
      v[28] = ~v[28];
      v[29] = ~v[29];
    }
    const b = state.b;
    for (let i = 0; i < 32; i++) {
      const j = 4 * i;
      m[i] = b[j] ^ (b[j + 1] << 8) ^ (b[j + 2] << 16) ^ (b[j + 3] << 24);
    }
    for (let r = 0; r < 12; r++) {
      const s = r * 16;
      mix(0, 8, 16, 24, SIGMA[s + 0], SIGMA[s + 1]);
      mix(2, 10, 18, 26, SIGMA[s + 2], SIGMA[s + 3]);
      mix(4, 12, 20, 28, SIGMA[s + 4], SIGMA[s + 5]);
      mix(6, 14, 22, 30, SIGMA[s + 6], SIGMA[s + 7]);
      mix(0, 10, 20, 30, SIGMA[s + 8], SIGMA[s + 9]);
      mix(2, 12, 22, 24, SIGMA[s + 10], SIGMA[s + 11]);
      mix(4, 14, 16, 26, SIGMA[s + 12], SIGMA[s + 13]);
      mix(6, 8, 18, 28, SIGMA[s + 14], SIGMA[s + 15]);
    }
    for (let i = 0; i < 16; i++) state.h[i] ^= v[i] ^ v[i + 16];
    v.fill(0);
    m.fill(0);
  }

  function update(state, input) {
    for (let i = 0; i < input.length; i++) {
      if (state.c === 128) {
        state.t += state.c;
        compress(state, false);
        state.c = 0;
      }
      state.b[state.c++] = input[i];
    }
  }

  // blake2b(input, outlen = 64, key = none) → Uint8Array(outlen), as libsodium's crypto_generichash.
  function blake2b(input, outlen, key) {
    outlen = outlen === undefined ? 64 : outlen;
    if (!(input instanceof Uint8Array)) throw new TypeError('blake2b: input must be a Uint8Array');
    if (!(outlen >= 1 && outlen <= 64)) throw new RangeError('blake2b: output length must be 1 to 64');
    const keylen = key ? key.length : 0;
    if (keylen > 64) throw new RangeError('blake2b: key must be at most 64 bytes');
    const state = { b: new Uint8Array(128), h: new Uint32Array(IV), t: 0, c: 0 };
    state.h[0] ^= 0x01010000 ^ (keylen << 8) ^ outlen;
    if (keylen > 0) {
      update(state, key);
      state.c = 128;
    }
    update(state, input);
    state.t += state.c;
    state.b.fill(0, state.c);
    compress(state, true);
    const out = new Uint8Array(outlen);
    for (let i = 0; i < outlen; i++) out[i] = state.h[i >> 2] >> (8 * (i & 3));
    state.b.fill(0);
    state.h.fill(0);
    return out;
  }

  global.ResguardoBlake2b = blake2b;
})(typeof self !== 'undefined' ? self : globalThis);
