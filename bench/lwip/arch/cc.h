/* Compiler/platform glue lwIP's arch.h includes: a hosted Linux build (glibc, gcc or clang). */
#ifndef BENCH_LWIP_ARCH_CC_H
#define BENCH_LWIP_ARCH_CC_H
#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { fprintf(stderr, "lwIP assertion: %s (%s:%d)\n", x, __FILE__, __LINE__); abort(); } while (0)
#define LWIP_RAND() ((u32_t)random())
#endif
