/*
 * An attacker who knows the export's string hash (src/export/string-pool.ts:
 * h = h * K + w over little-endian 32-bit words, mod 2^32) tries to stall it:
 * COUNT failed opens of distinct paths DIR/aaaaW1W2 whose hashes are all
 * equal. W1 is four random printable bytes and W2 = C - W1 * K (kept when
 * its bytes are printable too, ~1 in 60), so W1 * K + W2 is the
 * same for every path; the test puts the words on word boundaries of the path
 * (and of the name). Each path is printed on stdout (all its bytes are
 * printable ASCII), then opened (ENOENT: recorded with the directory joined
 * with the name). After every PACE opens it sleeps 1 ms, so the capture's
 * ring keeps up. Usage: hash-flood DIR COUNT
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define K 0x9e3779b1u
#define C 0x41414141u
#define PACE 256

/* Printable ASCII but '/': the bytes a crafted word may hold. */
#define FIRST 0x21
#define SPAN 94

static uint32_t seed = 12345;
/* A byte FIRST..FIRST+SPAN-1 (its index is the result minus FIRST); '/' is rejected with the word. */
static unsigned byte(void) {
  seed = seed * 1103515245u + 12345u;
  return FIRST + ((seed >> 8) % SPAN);
}

static int printable(uint32_t w) {
  for (int i = 0; i < 4; i++) {
    unsigned b = (w >> (8 * i)) & 0xff;
    if (b < 0x21 || b > 0x7e || b == '/') return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  const char *dir = argv[1];
  long count = atol(argv[2]);
  if ((strlen(dir) + 1) % 4 != 0 || count <= 0) return 2;
  /* Which W1 were used: a bit per combination of four bytes. */
  static unsigned char used[SPAN * SPAN * SPAN * SPAN / 8 + 1];
  char path[4096];
  struct timespec ms = { 0, 1000000 };
  for (long n = 0; n < count;) {
    unsigned a = byte(), b = byte(), c = byte(), d = byte();
    uint32_t idx = (((a - FIRST) * SPAN + (b - FIRST)) * SPAN + (c - FIRST)) * SPAN + (d - FIRST);
    uint32_t w1 = a | b << 8 | c << 16 | (uint32_t)d << 24;
    uint32_t w2 = C - w1 * K;
    if (used[idx >> 3] & (1u << (idx & 7)) || !printable(w1) || !printable(w2)) continue;
    used[idx >> 3] |= 1u << (idx & 7);
    char words[9];
    memcpy(words, &w1, 4);
    memcpy(words + 4, &w2, 4);
    words[8] = 0;
    snprintf(path, sizeof path, "%s/aaaa%s", dir, words);
    printf("%s\n", path);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) return 3;
    if (++n % PACE == 0) nanosleep(&ms, NULL);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
