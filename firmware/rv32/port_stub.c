/* Size build for an rv32imc MCU (ESP32-C3/P4 class): the portable core, the runtime and
 * the stack translated by wasm2c, linked with a port whose MAC, clock and console do
 * nothing, so the footprint report can split stack / runtime / core / port. It links
 * and would run the main loop, but there is no board here: not a firmware. */
#include "wt_core.h"
#include "wt_mcu_config.h"
#include "wt_port.h"
#include "wt_services.h"

int wt_mac_send(const uint8_t *frame, uint32_t len) { (void)frame; (void)len; return 0; }
int wt_mac_recv(uint8_t *buf, uint32_t cap) { (void)buf; (void)cap; return 0; }
void wt_port_wait(int32_t ms) { (void)ms; }
static uint32_t ticks;
uint32_t wt_port_now_ms(void) { return ticks++; }
void wt_port_entropy(uint8_t *buf, uint32_t len) { while (len--) *buf++ = (uint8_t)(ticks++ * 131u); }
void wt_port_puts(const char *s) { (void)s; }
void wt_port_fatal(const char *why) { (void)why; for (;;) {} }

int main(void) {
  static volatile int stop;
  if (wt_core_start(&wt_engine_aot, 0, 0) != 0) return 1;
#define WT_APPLY(key, value) wt_configure(key, value);
  WT_MCU_CONFIG(WT_APPLY)
#undef WT_APPLY
  if (wt_init() != 0 || wt_services_start(7, 9, 80) != 0) return 1;
  wt_run(&stop);
  return 0;
}
