// C reference for the checksum benchmark: the classic scalar RFC 1071 loop with a
// 64-bit accumulator over 32-bit words (4 independent sums, as a careful C stack
// would write it), folded at the end. Built by bench/checksum.mjs with gcc -O2.
//
// usage: csum <len> <iters> <offset>  ->  prints "<ns per call> <accumulated sums>"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint16_t sum16(const uint8_t *p, size_t len) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  uint32_t w[4];
  while (len >= 16) {
    memcpy(w, p, 16); // unaligned-safe; compiles to plain loads
    a += w[0]; b += w[1]; c += w[2]; d += w[3];
    p += 16; len -= 16;
  }
  a += b + c + d;
  while (len >= 4) { uint32_t x; memcpy(&x, p, 4); a += x; p += 4; len -= 4; }
  if (len >= 2) { uint16_t x; memcpy(&x, p, 2); a += x; p += 2; len -= 2; }
  if (len) a += *p;
  a = (a & 0xffffffffu) + (a >> 32);
  a = (a & 0xffffffffu) + (a >> 32);
  a = (a & 0xffff) + (a >> 16);
  a = (a & 0xffff) + (a >> 16);
  a = (a & 0xffff) + (a >> 16);
  return (uint16_t)(((a & 0xff) << 8) | (a >> 8)); // little-endian sum -> network order
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: csum <len> <iters> [offset]\n"); return 2; }
  size_t len = strtoul(argv[1], 0, 10);
  long iters = strtol(argv[2], 0, 10);
  size_t off = argc > 3 ? strtoul(argv[3], 0, 10) : 0;
  uint8_t *mem = aligned_alloc(64, len + 64);
  if (!mem) return 1;
  uint8_t *buf = mem + off;
  uint32_t x = 12345;
  for (size_t i = 0; i < len; i++) { x = x * 1103515245u + 12345u; buf[i] = (uint8_t)(x >> 16); }
  struct timespec t0, t1;
  uint32_t acc = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < iters; i++) {
    acc += sum16(buf, len) ^ (uint32_t)i;
    __asm__ volatile("" ::: "memory"); // memory may have changed: every call really sums
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
  printf("%.3f %u\n", ns / (double)iters, acc);
  free(mem);
  return 0;
}
