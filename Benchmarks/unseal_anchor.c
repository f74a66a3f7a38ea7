/* The anchor for scripts/bench unseal: crypto_box_seal_open over the same sealed boxes, nothing else.
 * usage: unseal_anchor DIR COUNT   (DIR/keypair.bin = sk ‖ pk, DIR/boxes.bin = COUNT boxes of 48 + 4096 bytes) */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 3 || sodium_init() < 0) return 64;
    char path[4096];
    size_t count = strtoul(argv[2], NULL, 10), box = crypto_box_SEALBYTES + 4096;
    unsigned char keys[64], out[4096];
    snprintf(path, sizeof path, "%s/keypair.bin", argv[1]);
    FILE *f = fopen(path, "rb");
    if (!f || fread(keys, 1, 64, f) != 64) return 66;
    fclose(f);
    unsigned char *boxes = malloc(count * box);
    snprintf(path, sizeof path, "%s/boxes.bin", argv[1]);
    f = fopen(path, "rb");
    if (!f || fread(boxes, 1, count * box, f) != count * box) return 66;
    fclose(f);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < count; i++)
        if (crypto_box_seal_open(out, boxes + i * box, box, keys + 32, keys) != 0) return 65;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("c\tseal_open\t%zu\t%f\n", count, count / s);
    return 0;
}
