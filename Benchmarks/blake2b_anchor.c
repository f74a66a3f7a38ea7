/* The native anchor for scripts/bench web's hash rates: libsodium's BLAKE2b-256 of 49-byte
 * inputs (a 41-byte token and an 8-byte nonce, as the proof of work hashes), one thread, 1 s. */
#include <sodium.h>
#include <stdio.h>
#include <time.h>

int main(void) {
    if (sodium_init() < 0) return 1;
    unsigned char input[49] = {0}, out[32];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    unsigned long n = 0;
    double s = 0;
    do {
        for (int i = 0; i < 4096; i++, n++) {
            input[41] = n & 255; input[42] = (n >> 8) & 255; input[43] = (n >> 16) & 255;
            crypto_generichash(out, 32, input, sizeof input, NULL, 0);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    } while (s < 1.0);
    printf("%.0f\n", n / s);
    return 0;
}
