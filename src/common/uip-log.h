/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for every part of NetworkManager-uipsec.
 *
 * One line per event, never one per packet: the data path counts instead
 * (see engine counters).  Never pass a secret, key or password to these.
 * Levels are syslog levels; the service maps NM_VPN_LOG_LEVEL onto them.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>
#include <glib.h>

void uip_log_setup(int level, bool use_syslog, const char *ident);
int uip_log_level(void);
bool uip_log_enabled(int level);
void uip_log(int level, const char *func, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

#define _LOG(level, ...)                                                                           \
    do {                                                                                           \
        if (uip_log_enabled(level))                                                                \
            uip_log(level, G_STRFUNC, __VA_ARGS__);                                                \
    } while (0)
#define _LOGD(...) _LOG(LOG_DEBUG, __VA_ARGS__)
#define _LOGI(...) _LOG(LOG_INFO, __VA_ARGS__)
#define _LOGW(...) _LOG(LOG_WARNING, __VA_ARGS__)
#define _LOGE(...) _LOG(LOG_ERR, __VA_ARGS__)
