/* The default MCU configuration (qemu-xtensa, the size report; the ESP32 Kconfig
 * defaults mirror it): three listeners (echo, discard, HTTP) hold only connection blocks
 * (listeners never hold buffers), and 4 ring pairs give 4 simultaneous connections of
 * 4 KiB send + 4 KiB receive buffers; the module's pools then fit its first 64 KiB page
 * of linear memory (a connection block costs ~0.3 KiB, a ring pair SND_BUF + RCV_BUF).
 * firmware/size.mjs reads these lines: keep one "#define NAME value" per line. */
#ifndef WT_MCU_CONFIG_H
#define WT_MCU_CONFIG_H
#define WT_MCU_MAX_SOCKETS 8
#define WT_MCU_RING_PAIRS 4
#define WT_MCU_SND_BUF 4096
#define WT_MCU_RCV_BUF 4096
#define WT_MCU_IO_BUF 1024
#define WT_MCU_ARP_ENTRIES 4
#define WT_MCU_TIME_WAIT_ENTRIES 8
#endif
