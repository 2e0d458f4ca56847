/* picolibc has no sys/mman.h. wasm-rt-impl.c includes it and compiles (static, unused)
 * mmap helpers; built with WASM_RT_MEMCHECK_SIGNAL_HANDLER=0 it allocates linear memory
 * with calloc/realloc and never calls these, so --gc-sections drops them. */
#ifndef WT_STUB_SYS_MMAN_H
#define WT_STUB_SYS_MMAN_H
#include <stddef.h>
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void *)-1)
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
#endif
