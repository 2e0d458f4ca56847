/* Replays files through a harness without libFuzzer (CI smoke, regression inputs):
 * replay-HARNESS FILE|DIR...; exits non-zero (abort) on the first violation. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
static int one(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return 1; }
  static uint8_t buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
  return 0;
}
int main(int argc, char **argv) {
  int count = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) { perror(argv[a]); return 1; }
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(argv[a]);
      struct dirent *e;
      while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", argv[a], e->d_name);
        struct stat fs;
        if (stat(p, &fs) != 0) continue; /* removed meanwhile (a running campaign reduces its corpus) */
        if (one(p)) { closedir(d); return 1; }
        count++;
      }
      closedir(d);
    } else {
      if (one(argv[a])) return 1;
      count++;
    }
  }
  extern uint32_t fz_polls;
  printf("replayed %d inputs: no violation (%u polls)\n", count, fz_polls);
  return 0;
}
