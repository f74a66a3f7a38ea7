/* The anchor for scripts/bench crypto: the same envelope operations as the Swift benchmark,
 * written directly against libsodium with no wrapper. Output: tab-separated ops/s. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (sodium_init() < 0) return 1;
    unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    crypto_box_keypair(pk, sk);
    struct { const char *label; size_t report, bucket; } sizes[] = {{"4KiB", 3000, 4096}, {"64KiB", 50000, 65536}};
    for (int s = 0; s < 2; s++) {
        size_t bucket = sizes[s].bucket, len = sizes[s].report;
        unsigned char *report = malloc(len), *padded = malloc(bucket), *opened = malloc(bucket);
        unsigned char *envelope = malloc(13 + crypto_box_SEALBYTES + bucket);
        randombytes_buf(report, len);
        long n = 0;
        double start = now();
        while (now() - start < seconds) {
            size_t padded_len;
            memcpy(padded, report, len);
            sodium_pad(&padded_len, padded, len, bucket, bucket);
            memcpy(envelope, "RSG1\0", 5);
            memset(envelope + 5, 0, 8);
            crypto_box_seal(envelope + 13, padded, padded_len, pk);
            n++;
        }
        printf("c\tseal\t%s\t%f\n", sizes[s].label, n / (now() - start));
        n = 0;
        start = now();
        while (now() - start < seconds) {
            size_t unpadded;
            if (crypto_box_seal_open(opened, envelope + 13, crypto_box_SEALBYTES + bucket, pk, sk) != 0) return 2;
            if (sodium_unpad(&unpadded, opened, bucket, bucket) != 0 || unpadded != len) return 3;
            n++;
        }
        printf("c\topen\t%s\t%f\n", sizes[s].label, n / (now() - start));
        free(report); free(padded); free(opened); free(envelope);
    }
    return 0;
}
