/* The proof of work's hash for the web form, compiled to WebAssembly by scripts/setup
 * (clang --target=wasm32, no libc): BLAKE2b as RFC 7693 specifies it, and the nonce search of
 * docs/formats.md §8 — the first little-endian counter nonce such that BLAKE2b-256(token ‖ nonce)
 * starts with `difficulty` zero bits — run inside WebAssembly so that a slice of the search costs
 * one call from JavaScript, not one per hash. The page checks this module against its JavaScript
 * BLAKE2b (blake2b.js, itself checked against libsodium's vectors) before using it, and falls
 * back to that JavaScript when WebAssembly is off or the check fails. */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define EXPORT(name) __attribute__((export_name(name)))

static const u64 iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const u8 sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline u64 rotr(u64 x, int n) { return (x >> n) | (x << (64 - n)); }

static inline u64 load64(const u8 *p) {
    return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 | (u64)p[3] << 24 |
           (u64)p[4] << 32 | (u64)p[5] << 40 | (u64)p[6] << 48 | (u64)p[7] << 56;
}

#define G(a, b, c, d, x, y) do { \
    v[a] = v[a] + v[b] + (x); v[d] = rotr(v[d] ^ v[a], 32); \
    v[c] = v[c] + v[d];       v[b] = rotr(v[b] ^ v[c], 24); \
    v[a] = v[a] + v[b] + (y); v[d] = rotr(v[d] ^ v[a], 16); \
    v[c] = v[c] + v[d];       v[b] = rotr(v[b] ^ v[c], 63); } while (0)

/* One compression of a 128-byte block; `t` is the byte count so far, `last` marks the final block. */
static void compress(u64 h[8], const u8 block[128], u64 t, int last) {
    u64 m[16], v[16];
    for (int i = 0; i < 16; i++) m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = iv[i]; }
    v[12] ^= t;
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const u8 *s = sigma[r];
        G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* Unkeyed BLAKE2b of in[0..len) into out[0..outlen), 1 ≤ outlen ≤ 64. */
static void blake2b(u8 *out, u32 outlen, const u8 *in, u32 len) {
    u64 h[8];
    u8 block[128];
    for (int i = 0; i < 8; i++) h[i] = iv[i];
    h[0] ^= 0x01010000ULL ^ outlen;
    u64 t = 0;
    while (len > 128) {
        t += 128;
        compress(h, in, t, 0);
        in += 128;
        len -= 128;
    }
    for (u32 i = 0; i < 128; i++) block[i] = i < len ? in[i] : 0;
    t += len;
    compress(h, block, t, 1);
    for (u32 i = 0; i < outlen; i++) out[i] = (u8)(h[i / 8] >> (8 * (i % 8)));
}

/* The page writes its input here (at most 1024 bytes) and reads digests from `digest`. */
static u8 input[1024 + 8];
static u8 digest[64];

EXPORT("input") u8 *input_address(void) { return input; }
EXPORT("digest") u8 *digest_address(void) { return digest; }

/* BLAKE2b of input[0..len) into digest[0..outlen): the page's check against its JavaScript. */
EXPORT("hash") void hash(u32 len, u32 outlen) {
    if (len > sizeof input || outlen < 1 || outlen > 64) return;
    blake2b(digest, outlen, input, len);
}

static u32 leading_zero_bits(const u8 *d, u32 n) {
    u32 bits = 0;
    for (u32 i = 0; i < n; i++) {
        if (d[i] == 0) { bits += 8; continue; }
        u8 b = d[i];
        while (!(b & 0x80)) { bits++; b <<= 1; }
        return bits;
    }
    return bits;
}

/* Tries the counter nonces from..from+count-1 (little-endian, 8 bytes after the token at
 * input[0..token_len)); returns how many were tried before the first that meets `difficulty`,
 * or `count` when none did. The nonce found is left in input[token_len..token_len+8). */
EXPORT("solve") u32 solve(u32 token_len, u32 difficulty, u32 from_low, u32 from_high, u32 count) {
    /* The counter comes as two halves: a 64-bit parameter would need BigInt on the page. */
    u64 from = (u64)from_high << 32 | from_low;
    if (token_len > 1024) return count;
    u8 d[32];
    for (u32 k = 0; k < count; k++) {
        u64 c = from + k;
        for (int i = 0; i < 8; i++) input[token_len + i] = (u8)(c >> (8 * i));
        blake2b(d, 32, input, token_len + 8);
        if (leading_zero_bits(d, 32) >= difficulty) return k;
    }
    return count;
}
