/* wasm-tcpip on ESP32: one FreeRTOS task owns the module (translated by wasm2c, or run by
 * WAMR: CONFIG_WT_ENGINE_*) and the portable core's main loop. The on-chip EMAC (or, for
 * Espressif's QEMU, the OpenCores MAC) is driven by esp_eth; its receive callback only queues
 * frames to that task. lwIP and esp_netif are not attached to the interface: the module is
 * the TCP/IP stack. Board presets (Kconfig "Board") set the PHY and its pins. IPv6 is on with the
 * dual-stack module (CONFIG_WT_IPV6, the default): link-local and SLAAC addresses are logged as they
 * become preferred ("ip6 preferred ..."); off, the IPv4-only module runs. */
#include "wt_core.h"
#include "wt_ip6.h"
#include "wt_mcu_config.h"
#include "wt_port.h"
#include "wt_services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/gpio.h"
#include "esp_eth.h"
#include "esp_event.h"
#include "esp_heap_caps.h"
#include "esp_idf_version.h"
#include "esp_random.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#if CONFIG_WT_ENGINE_WAMR && CONFIG_WT_WAMR_MODULE_PARTITION
#include "esp_partition.h"
#endif

/* ESP-IDF 6 moved the PHY drivers to registry components (idf_component.yml). */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 0) && CONFIG_ETH_USE_ESP32_EMAC
#if CONFIG_WT_ETH_PHY_IP101
#include "esp_eth_phy_ip101.h"
#elif CONFIG_WT_ETH_PHY_RTL8201
#include "esp_eth_phy_rtl8201.h"
#else
#include "esp_eth_phy_lan87xx.h"
#endif
#endif

typedef struct { uint8_t *buf; uint32_t len; } rx_frame;

static esp_eth_handle_t eth;
static QueueHandle_t rx_queue;
static uint32_t rx_dropped, tx_retries;

/* ---- MAC ---- */

/* esp_eth's receive path: we own buf from here on. Runs in the driver's task. */
static esp_err_t on_frame(esp_eth_handle_t h, uint8_t *buf, uint32_t len, void *priv) {
  (void)h; (void)priv;
  rx_frame f = { buf, len };
  if (xQueueSend(rx_queue, &f, 0) != pdTRUE) { free(buf); rx_dropped++; }
  return ESP_OK;
}

/* A full TX descriptor ring is transient at 100 Mbit/s (a 1514-byte frame leaves in ~0.12 ms):
 * wait a tick and try again, a few times, before reporting the frame dropped. */
int wt_mac_send(const uint8_t *frame, uint32_t len) {
  for (int attempt = 0; attempt < 4; attempt++) {
    if (esp_eth_transmit(eth, (void *)frame, len) == ESP_OK) return 0;
    tx_retries++;
    vTaskDelay(1);
  }
  return -1;
}

int wt_mac_recv(uint8_t *buf, uint32_t cap) {
  rx_frame f;
  while (xQueueReceive(rx_queue, &f, 0) == pdTRUE) {
    uint32_t n = f.len;
    if (n <= cap) memcpy(buf, f.buf, n);
    free(f.buf);
    if (n <= cap) return (int)n;
    rx_dropped++;
  }
  return 0;
}

/* Sleep on the queue until a frame or the deadline. Under sustained load wt_run calls this
 * with 0 (or frames are already waiting), so the task would never block: the idle task would
 * starve and the task watchdog fire. Block for one tick at least every CONFIG_WT_YIELD_MS. */
void wt_port_wait(int32_t ms) {
  static TickType_t last_block;
  rx_frame f;
  if (ms != 0 && uxQueueMessagesWaiting(rx_queue) == 0) {
    xQueuePeek(rx_queue, &f, ms < 0 ? portMAX_DELAY : pdMS_TO_TICKS(ms) + 1);
    last_block = xTaskGetTickCount();
  } else if (xTaskGetTickCount() - last_block >= pdMS_TO_TICKS(CONFIG_WT_YIELD_MS)) {
    vTaskDelay(1);
    last_block = xTaskGetTickCount();
  }
}

/* ---- clock, entropy, console ---- */

uint32_t wt_port_now_ms(void) { return (uint32_t)(esp_timer_get_time() / 1000); }

/* Hardware RNG: truly random while the RF subsystem or the bootloader's entropy source
 * is on; see ESP-IDF "Random Number Generation". */
void wt_port_entropy(uint8_t *buf, uint32_t len) { esp_fill_random(buf, len); }

void wt_port_puts(const char *s) { fputs(s, stdout); }

void wt_port_fatal(const char *why) {
  printf("fatal: %s; restarting\n", why);
  fflush(stdout);
  esp_restart();
}

/* ---- Ethernet ---- */

#if CONFIG_ETH_USE_ESP32_EMAC
static void drive_high(int gpio) {
  if (gpio < 0) return;
  gpio_reset_pin((gpio_num_t)gpio);
  gpio_set_direction((gpio_num_t)gpio, GPIO_MODE_OUTPUT);
  gpio_set_level((gpio_num_t)gpio, 1);
}
#endif

static void eth_start(uint8_t mac_addr[6]) {
  eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();
  eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();
  esp_eth_mac_t *mac;
  esp_eth_phy_t *phy;
#if CONFIG_ETH_USE_OPENETH
  phy_config.autonego_timeout_ms = 100;
  mac = esp_eth_mac_new_openeth(&mac_config);
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 0)
  phy = esp_eth_phy_new_generic(&phy_config);
#else
  phy = esp_eth_phy_new_dp83848(&phy_config);
#endif
#else
  /* Power the PHY and its 50 MHz oscillator first (WT32-ETH01: GPIO16; Olimex ESP32-POE:
   * GPIO12); they stay off through reset because GPIO0 is a strapping pin. */
  drive_high(CONFIG_WT_ETH_PHY_POWER_GPIO);
  drive_high(CONFIG_WT_ETH_OSC_EN_GPIO);
  if (CONFIG_WT_ETH_PHY_POWER_GPIO >= 0 || CONFIG_WT_ETH_OSC_EN_GPIO >= 0) vTaskDelay(pdMS_TO_TICKS(10));

  eth_esp32_emac_config_t emac_config = ETH_ESP32_EMAC_DEFAULT_CONFIG();
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 0)
  emac_config.smi_gpio.mdc_num = CONFIG_WT_ETH_MDC_GPIO;
  emac_config.smi_gpio.mdio_num = CONFIG_WT_ETH_MDIO_GPIO;
#else
  emac_config.smi_mdc_gpio_num = CONFIG_WT_ETH_MDC_GPIO;
  emac_config.smi_mdio_gpio_num = CONFIG_WT_ETH_MDIO_GPIO;
#endif
  /* RMII clock: on the ESP32 the input is GPIO0 and the APLL outputs are GPIO16 and GPIO17. */
  emac_config.clock_config.rmii.clock_mode = CONFIG_WT_ETH_CLOCK_GPIO == 0 ? EMAC_CLK_EXT_IN : EMAC_CLK_OUT;
  emac_config.clock_config.rmii.clock_gpio = CONFIG_WT_ETH_CLOCK_GPIO;
  phy_config.phy_addr = CONFIG_WT_ETH_PHY_ADDR;
  phy_config.reset_gpio_num = CONFIG_WT_ETH_PHY_RST_GPIO;
  mac = esp_eth_mac_new_esp32(&emac_config, &mac_config);
#if CONFIG_WT_ETH_PHY_IP101
  phy = esp_eth_phy_new_ip101(&phy_config);
#elif CONFIG_WT_ETH_PHY_RTL8201
  phy = esp_eth_phy_new_rtl8201(&phy_config);
#else
  phy = esp_eth_phy_new_lan87xx(&phy_config);
#endif
#endif
  if (!mac || !phy) wt_port_fatal("esp_eth: MAC or PHY driver not created (check the board preset)");
  esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
  ESP_ERROR_CHECK(esp_eth_driver_install(&config, &eth));
  ESP_ERROR_CHECK(esp_eth_update_input_path(eth, on_frame, NULL));
  ESP_ERROR_CHECK(esp_eth_ioctl(eth, ETH_CMD_G_MAC_ADDR, mac_addr));
#if CONFIG_WT_IPV6 && CONFIG_ETH_USE_ESP32_EMAC && ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 5, 0)
  /* Up to ESP-IDF 5.4 the EMAC passes every multicast frame; from 5.5 it filters them unless told.
   * IPv6 needs the all-nodes group (router advertisements), the solicited-node groups of our
   * addresses (neighbor solicitations, DAD) and MLD: pass them all, as before, and let the
   * module's own filter (McastFilter) decide. (OpenETH under QEMU runs promiscuous.) */
  bool all_multicast = true;
  ESP_ERROR_CHECK(esp_eth_ioctl(eth, ETH_CMD_S_ALL_MULTICAST, &all_multicast));
#endif
  /* esp_eth_start posts ETHERNET_EVENT_START to the default event loop (and the driver posts
   * link events): without the loop it fails with ESP_ERR_INVALID_STATE. */
  ESP_ERROR_CHECK(esp_eth_start(eth));
}

/* ---- the module ---- */

#if CONFIG_WT_ENGINE_WAMR && CONFIG_WT_WAMR_MODULE_PARTITION
/* The "wasm" partition (partitions.csv: type 0x40, application-defined) holds "WTM1", the module's length (u32, little
 * endian) and the module (module-image.sh writes it). Mapped in place: WAMR reads it there. */
static const uint8_t *module_image(uint32_t *len) {
  const esp_partition_t *p = esp_partition_find_first((esp_partition_type_t)0x40, ESP_PARTITION_SUBTYPE_ANY, "wasm");
  const void *map;
  esp_partition_mmap_handle_t handle;
  if (!p) wt_port_fatal("no \"wasm\" partition (partitions.csv)");
  if (esp_partition_mmap(p, 0, p->size, ESP_PARTITION_MMAP_DATA, &map, &handle) != ESP_OK)
    wt_port_fatal("cannot map the \"wasm\" partition");
  const uint8_t *b = map;
  uint32_t n = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
  if (memcmp(b, "WTM1", 4) != 0 || n > p->size - 8)
    wt_port_fatal("the \"wasm\" partition holds no module image (module-image.sh, README)");
  *len = n;
  return b + 8;
}
#elif CONFIG_WT_ENGINE_WAMR
extern const uint8_t wasm_start[] asm("_binary_stack_wamr_wasm_start");
extern const uint8_t wasm_end[] asm("_binary_stack_wamr_wasm_end");
static const uint8_t *module_image(uint32_t *len) {
  *len = (uint32_t)(wasm_end - wasm_start);
  return wasm_start;
}
#endif

static void stack_task(void *arg) {
  (void)arg;
  static volatile int stop;
  uint8_t mac[6];
  uint32_t ip = 0, prefix = CONFIG_WT_PREFIX_LEN, gw = 0;
  if (wt_parse_ipv4(CONFIG_WT_IPV4_ADDR, &ip, 0) != 0) wt_port_fatal("bad CONFIG_WT_IPV4_ADDR");
  if (CONFIG_WT_GATEWAY[0] && wt_parse_ipv4(CONFIG_WT_GATEWAY, &gw, 0) != 0) wt_port_fatal("bad CONFIG_WT_GATEWAY");

  rx_queue = xQueueCreate(CONFIG_WT_RX_QUEUE_LEN, sizeof(rx_frame));
  if (!rx_queue) wt_port_fatal("no memory for the receive queue");
  eth_start(mac);

  size_t heap_before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
#if CONFIG_WT_ENGINE_WAMR
  uint32_t len = 0;
  const uint8_t *wasm = module_image(&len);
  if (wt_core_start(&wt_engine_interp, wasm, len) != 0) wt_port_fatal("the module did not start");
#else
  if (wt_core_start(&wt_engine_aot, 0, 0) != 0) wt_port_fatal("the module did not start");
#endif
  int32_t r;
  r = wt_configure(WT_CFG_MAC_HI, (uint32_t)mac[0] << 8 | mac[1]);
  r |= wt_configure(WT_CFG_MAC_LO, (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5]);
  r |= wt_configure(WT_CFG_IPV4_ADDR, ip);
  r |= wt_configure(WT_CFG_PREFIX_LEN, prefix);
  r |= wt_configure(WT_CFG_GATEWAY, gw);
  /* The buffers and tables: the one MCU configuration of firmware/core/wt_mcu_config.h. */
#define WT_APPLY(key, value) r |= wt_configure(key, value);
  WT_MCU_CONFIG(WT_APPLY)
#undef WT_APPLY
#if !CONFIG_WT_IPV6
  r |= wt_configure(WT_CFG_IP6_ENABLE, 0);  /* (the IPv4-only module ignores it anyway) */
#endif
  if (r != 0) wt_port_fatal("configure() refused a value");
  if (wt_init() != 0) wt_port_fatal("init() failed: pools do not fit (see README, memory)");
#if CONFIG_WT_IPV6
  /* Log the addresses as they change state; a module without IPv6 runs IPv4 only. */
  if (wt_ip6_start(0) != 0) printf("ip6: not in this module (IPv4 only)\n");
#endif
  if (wt_services_start(CONFIG_WT_ECHO_PORT, CONFIG_WT_DISCARD_PORT, CONFIG_WT_HTTP_PORT) != 0)
    wt_port_fatal("services did not start");
  uint32_t mem = 0;
  wt_engine_used()->memory(&mem);
  printf("wasm-tcpip: engine %s, %s, %s/%u on %02x:%02x:%02x:%02x:%02x:%02x, pools %d bytes, linear memory %u bytes,"
         " heap taken by the engine %u bytes, heap free %u (largest block %u)\nready\n",
         wt_engine_used()->name, wt_ip6_on() ? "IPv4 + IPv6" : "IPv4 only", CONFIG_WT_IPV4_ADDR, (unsigned)prefix, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
         (int)wt_call(WT_FN_POOL_BYTES, 0, 0, 0), (unsigned)mem,
         (unsigned)(heap_before - heap_caps_get_free_size(MALLOC_CAP_8BIT)),
         (unsigned)heap_caps_get_free_size(MALLOC_CAP_8BIT), (unsigned)heap_caps_get_largest_free_block(MALLOC_CAP_8BIT));
  wt_run(&stop);
}

void app_main(void) {
  /* esp_eth posts its events to the default loop; an application may have made it already. */
  esp_err_t err = esp_event_loop_create_default();
  if (err != ESP_OK && err != ESP_ERR_INVALID_STATE) ESP_ERROR_CHECK(err);
  /* Everything that touches the module runs in this one task. */
  if (xTaskCreate(stack_task, "wasm-tcpip", CONFIG_WT_TASK_STACK, NULL, 5, NULL) != pdPASS)
    wt_port_fatal("no memory for the stack's task");
}
