/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "common/uip-log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int log_level = LOG_WARNING;
static bool log_syslog;

void uip_log_setup(int level, bool use_syslog, const char *ident)
{
    log_level = level;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(ident ? ident : "uipsec", LOG_PID, LOG_DAEMON);
}

int uip_log_level(void)
{
    return log_level;
}

bool uip_log_enabled(int level)
{
    return level <= log_level;
}

static const char *level_name(int level)
{
    switch (level) {
    case LOG_DEBUG:
        return "debug";
    case LOG_INFO:
    case LOG_NOTICE:
        return "info";
    case LOG_WARNING:
        return "warn";
    default:
        return "error";
    }
}

void uip_log(int level, const char *func, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if (log_syslog) {
        syslog(level, "%s: %s", func, msg);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(stderr, "uipsec[%ld.%03ld] %s: %s: %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000L,
            level_name(level), func, msg);
}
