/* The anchor for scripts/bench unseal: crypto_box_seal_open over the same sealed boxes, nothing else,
 * on THREADS threads (as many as the Swift side uses: the bench passes the core count), each
 * opening its own contiguous share of the boxes.
 * usage: unseal_anchor DIR COUNT [THREADS]   (DIR/keypair.bin = sk ‖ pk, DIR/boxes.bin = COUNT boxes of 48 + 4096 bytes) */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned char keys[64];
static unsigned char *boxes;
static const size_t box = crypto_box_SEALBYTES + 4096;

struct share { size_t from, to; int status; };

static void *open_share(void *arg) {
    struct share *s = arg;
    unsigned char out[4096];
    for (size_t i = s->from; i < s->to; i++)
        if (crypto_box_seal_open(out, boxes + i * box, box, keys + 32, keys) != 0) { s->status = 65; return NULL; }
    return NULL;
}

int main(int argc, char **argv) {
    if ((argc != 3 && argc != 4) || sodium_init() < 0) return 64;
    char path[4096];
    size_t count = strtoul(argv[2], NULL, 10);
    size_t threads = argc == 4 ? strtoul(argv[3], NULL, 10) : 1;
    if (threads < 1 || threads > 64) return 64;
    snprintf(path, sizeof path, "%s/keypair.bin", argv[1]);
    FILE *f = fopen(path, "rb");
    if (!f || fread(keys, 1, 64, f) != 64) return 66;
    fclose(f);
    boxes = malloc(count * box);
    snprintf(path, sizeof path, "%s/boxes.bin", argv[1]);
    f = fopen(path, "rb");
    if (!boxes || !f || fread(boxes, 1, count * box, f) != count * box) return 66;
    fclose(f);
    pthread_t tid[64];
    struct share shares[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t t = 0; t < threads; t++) {
        shares[t] = (struct share){ count * t / threads, count * (t + 1) / threads, 0 };
        if (pthread_create(&tid[t], NULL, open_share, &shares[t]) != 0) return 71;
    }
    for (size_t t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        if (shares[t].status) return shares[t].status;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("c\tseal_open\t%zu\t%f\t%zu\n", count, count / s, threads);
    return 0;
}
