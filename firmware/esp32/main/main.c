/* wasm-tcpip on ESP32: one FreeRTOS task owns the module (run by WAMR) and the portable
 * core's main loop. The on-chip EMAC (or, for Espressif's QEMU, the OpenCores MAC) is
 * driven by esp_eth; its receive callback only queues frames to that task. lwIP and
 * esp_netif are not attached to the interface: the module is the TCP/IP stack. */
#include "wt_core.h"
#include "wt_port.h"
#include "wt_services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_eth.h"
#include "esp_idf_version.h"
#include "esp_random.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#define RX_QUEUE_LEN 16

typedef struct { uint8_t *buf; uint32_t len; } rx_frame;

extern const uint8_t wasm_start[] asm("_binary_stack_mcu_wasm_start");
extern const uint8_t wasm_end[] asm("_binary_stack_mcu_wasm_end");

static esp_eth_handle_t eth;
static QueueHandle_t rx_queue;
static uint32_t rx_dropped;

/* ---- MAC ---- */

/* esp_eth's receive path: we own buf from here on. Runs in the driver's task. */
static esp_err_t on_frame(esp_eth_handle_t h, uint8_t *buf, uint32_t len, void *priv) {
  (void)h; (void)priv;
  rx_frame f = { buf, len };
  if (xQueueSend(rx_queue, &f, 0) != pdTRUE) { free(buf); rx_dropped++; }
  return ESP_OK;
}

int wt_mac_send(const uint8_t *frame, uint32_t len) {
  return esp_eth_transmit(eth, (void *)frame, len) == ESP_OK ? 0 : -1;
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

void wt_port_wait(int32_t ms) {
  rx_frame f;
  TickType_t ticks = ms < 0 ? portMAX_DELAY : pdMS_TO_TICKS(ms) + 1;
  xQueuePeek(rx_queue, &f, ticks);
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

static void eth_start(uint8_t mac_addr[6]) {
  eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();
  eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();
  esp_eth_mac_t *mac;
  esp_eth_phy_t *phy;
#if CONFIG_ETH_USE_OPENETH
  phy_config.autonego_timeout_ms = 100;
  mac = esp_eth_mac_new_openeth(&mac_config);
  phy = esp_eth_phy_new_dp83848(&phy_config);
#else
  eth_esp32_emac_config_t emac_config = ETH_ESP32_EMAC_DEFAULT_CONFIG();
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 0)
  emac_config.smi_gpio.mdc_num = CONFIG_WT_ETH_MDC_GPIO;
  emac_config.smi_gpio.mdio_num = CONFIG_WT_ETH_MDIO_GPIO;
#else
  emac_config.smi_mdc_gpio_num = CONFIG_WT_ETH_MDC_GPIO;
  emac_config.smi_mdio_gpio_num = CONFIG_WT_ETH_MDIO_GPIO;
#endif
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
  esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
  ESP_ERROR_CHECK(esp_eth_driver_install(&config, &eth));
  ESP_ERROR_CHECK(esp_eth_update_input_path(eth, on_frame, NULL));
  ESP_ERROR_CHECK(esp_eth_ioctl(eth, ETH_CMD_G_MAC_ADDR, mac_addr));
  ESP_ERROR_CHECK(esp_eth_start(eth));
}

/* ---- the task that owns the module ---- */

static void stack_task(void *arg) {
  (void)arg;
  static volatile int stop;
  uint8_t mac[6];
  uint32_t ip = 0, prefix = CONFIG_WT_PREFIX_LEN, gw = 0;
  if (wt_parse_ipv4(CONFIG_WT_IPV4_ADDR, &ip, 0) != 0) wt_port_fatal("bad CONFIG_WT_IPV4_ADDR");
  if (CONFIG_WT_GATEWAY[0] && wt_parse_ipv4(CONFIG_WT_GATEWAY, &gw, 0) != 0) wt_port_fatal("bad CONFIG_WT_GATEWAY");

  rx_queue = xQueueCreate(RX_QUEUE_LEN, sizeof(rx_frame));
  eth_start(mac);

  if (wt_core_start(&wt_engine_interp, wasm_start, (uint32_t)(wasm_end - wasm_start)) != 0)
    wt_port_fatal("the module did not start");
  const struct { int key; uint32_t value; } cfg[] = {
    { WT_CFG_MAC_HI, (uint32_t)mac[0] << 8 | mac[1] },
    { WT_CFG_MAC_LO, (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5] },
    { WT_CFG_IPV4_ADDR, ip }, { WT_CFG_PREFIX_LEN, prefix }, { WT_CFG_GATEWAY, gw },
    { WT_CFG_MAX_SOCKETS, CONFIG_WT_MAX_SOCKETS }, { WT_CFG_RING_PAIRS, CONFIG_WT_RING_PAIRS },
    { WT_CFG_SND_BUF, CONFIG_WT_SND_BUF },
    { WT_CFG_RCV_BUF, CONFIG_WT_RCV_BUF }, { WT_CFG_IO_BUF, 1024 },
    { WT_CFG_ARP_ENTRIES, 4 }, { WT_CFG_ARP_QUEUE, 4 }, { WT_CFG_TIME_WAIT_ENTRIES, 8 },
  };
  for (unsigned i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    if (wt_configure(cfg[i].key, cfg[i].value) != 0) printf("configure(%d) refused\n", cfg[i].key);
  if (wt_init() != 0) wt_port_fatal("init() failed: pools do not fit (see README, memory)");
  if (wt_services_start(CONFIG_WT_ECHO_PORT, CONFIG_WT_DISCARD_PORT, CONFIG_WT_HTTP_PORT) != 0)
    wt_port_fatal("services did not start");
  uint32_t mem = 0;
  wt_engine_used()->memory(&mem);
  printf("wasm-tcpip: %s/%u on %02x:%02x:%02x:%02x:%02x:%02x, pools %d bytes, linear memory %u bytes\nready\n",
         CONFIG_WT_IPV4_ADDR, (unsigned)prefix, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
         (int)wt_call(WT_FN_POOL_BYTES, 0, 0, 0), (unsigned)mem);
  wt_run(&stop);
}

void app_main(void) {
  /* Everything that touches the module runs in this one task. */
  xTaskCreate(stack_task, "wasm-tcpip", 8192, NULL, 5, NULL);
}
