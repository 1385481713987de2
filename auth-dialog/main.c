/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nm-uipsec-auth-dialog: finds or asks for the secrets of a uipsec VPN
 * connection on behalf of a NetworkManager secret agent (nm-applet, GNOME
 * Shell, nmcli --ask), in the protocol every NM VPN plugin's dialog speaks.
 *
 * In:  --uuid --name --service [--reprompt] [--allow-interaction]
 *      [--external-ui-mode] [--hint H]...; on stdin the connection's vpn.data
 *      and vpn.secrets (DATA_KEY=/DATA_VAL=/SECRET_KEY=/SECRET_VAL= lines,
 *      then DONE), read by nm_vpn_service_plugin_read_vpn_details().
 * What: the secrets the auth method needs (uip_settings_secrets_wanted())
 *      plus those hinted ("vpn.secrets.KEY" or "KEY"); each one's value from
 *      stdin, else for an agent-owned secret from the Secret Service; asked
 *      when it has none, when it is never saved, or on --reprompt.
 * Out: --external-ui-mode: a key file describing what to ask ([VPN Plugin UI]
 *      then one group per secret), for an agent that asks itself; exit.
 *      Otherwise: ask in a window if needed and allowed, print "KEY\nVALUE\n"
 *      pairs and an empty line, then wait for "QUIT" (or EOF) on stdin.
 * Exit status 0 on success; 1 on bad input, when the user cancelled, or when
 * a secret is missing and may not or cannot be asked (a message on stderr).
 *
 * Secret values are wiped after use and never appear in a message.
 */
#include "auth-dialog.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <NetworkManager.h>

#include "common/uip-secret.h"

G_STATIC_ASSERT(UIP_SECRET_FLAG_AGENT_OWNED == NM_SETTING_SECRET_FLAG_AGENT_OWNED);
G_STATIC_ASSERT(UIP_SECRET_FLAG_NOT_SAVED == NM_SETTING_SECRET_FLAG_NOT_SAVED);
G_STATIC_ASSERT(UIP_SECRET_FLAG_NOT_REQUIRED == NM_SETTING_SECRET_FLAG_NOT_REQUIRED);

/* The key file group the agents read first (GNOME Shell, libnmc's nmcli agent). */
#define UI_GROUP   "VPN Plugin UI"
#define UI_VERSION 2
/* A hint that carries the message to show instead of a secret's name. */
#define HINT_MESSAGE "x-vpn-message:"
#define HINT_SECRET  NM_SETTING_VPN_SETTING_NAME "." NM_SETTING_VPN_SECRETS "."
/* How long to wait for "QUIT" after answering, as the other plugins' dialogs. */
#define QUIT_TIMEOUT_MS (20 * 1000)

struct options {
    char *uuid;
    char *name;
    char *service;
    gboolean reprompt;
    gboolean allow_interaction;
    gboolean external_ui_mode;
    char **hints;
};

void ad_secret_free(struct ad_secret *secret)
{
    if (!secret)
        return;
    uip_free_secret_str(secret->value);
    g_free(secret);
}

/* Wipe every value of a vpn.secrets table in place, then drop it. */
static void secrets_table_free(GHashTable *secrets)
{
    GHashTableIter iter;
    gpointer value;

    if (!secrets)
        return;
    g_hash_table_iter_init(&iter, secrets);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (value)
            uip_wipe(value, strlen(value));
    }
    g_hash_table_unref(secrets);
}

/* The secret a hint names ("vpn.secrets.psk" or "psk"), or NULL when it names none. */
static const struct uip_setting *hinted_secret(const char *hint)
{
    const struct uip_setting *s;

    if (g_str_has_prefix(hint, HINT_SECRET))
        hint += strlen(HINT_SECRET);
    s = uip_settings_lookup(hint);
    return s && s->secret ? s : NULL;
}

/*
 * The secrets to return, in table order: those the auth method needs and
 * those hinted, each with its value from @secrets or the Secret Service and
 * whether to ask for it.
 */
static GPtrArray *collect_secrets(const struct options *opt, GHashTable *data, GHashTable *secrets)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)ad_secret_free);
    g_auto(GStrv) wanted = uip_settings_secrets_wanted(data, NULL);
    const struct uip_setting *all;
    gsize n_all;

    all = uip_settings_all(&n_all);
    for (gsize i = 0; i < n_all; i++) {
        const struct uip_setting *s = &all[i];
        gboolean want = s->secret && g_strv_contains((const char *const *)wanted, s->key);
        struct ad_secret *secret;
        const char *given;
        guint flags;

        for (guint h = 0; s->secret && !want && opt->hints && opt->hints[h]; h++)
            want = hinted_secret(opt->hints[h]) == s;
        if (!want)
            continue;

        secret = g_new0(struct ad_secret, 1);
        secret->setting = s;
        secret->label = uip_setting_get_prompt_name(s, data);
        flags = uip_settings_get_uint(data, s->flags_key);
        given = g_hash_table_lookup(secrets, s->key);
        if (given && given[0])
            secret->value = g_strdup(given);
        else if ((flags & UIP_SECRET_FLAG_AGENT_OWNED) && !(flags & UIP_SECRET_FLAG_NOT_SAVED))
            secret->value = ad_keyring_lookup(opt->uuid, s->key, opt->allow_interaction);
        secret->ask = !secret->value || (flags & UIP_SECRET_FLAG_NOT_SAVED) || opt->reprompt;
        g_ptr_array_add(out, secret);
    }
    return g_steal_pointer(&out);
}

/* The message of the first "x-vpn-message:" hint, or NULL. */
static const char *hinted_message(char **hints)
{
    for (guint i = 0; hints && hints[i]; i++) {
        if (g_str_has_prefix(hints[i], HINT_MESSAGE) && hints[i][strlen(HINT_MESSAGE)])
            return hints[i] + strlen(HINT_MESSAGE);
    }
    return NULL;
}


/*
 * Print @out on stdout, then wipe and free it: the output holds secrets, so
 * it goes through no stdio buffer and is built in one pre-sized GString.
 */
static gboolean print_and_wipe(GString *out)
{
    gboolean ok = uip_write_all(STDOUT_FILENO, out->str, out->len);

    if (!ok)
        g_printerr(_("Cannot write to standard output: %s\n"), g_strerror(errno));
    uip_wipe(out->str, out->allocated_len);
    g_string_free(out, TRUE);
    return ok;
}

/* The total length of the values, to size the output buffer once. */
/*
 * More than either answer can take (escaping at most doubles a string), so that
 * the buffer never grows, which would free a copy of the secrets unwiped.
 */
static gsize output_bound(const char *title, const char *message, GPtrArray *secrets)
{
    gsize len = 256 + 2 * (strlen(title ? title : "") + strlen(message ? message : ""));

    for (guint i = 0; i < secrets->len; i++) {
        const struct ad_secret *secret = secrets->pdata[i];

        len += 128 + strlen(secret->setting->key) +
               2 * strlen(secret->label) +
               2 * (secret->value ? strlen(secret->value) : 0);
    }
    return len;
}

/* Append @s escaped as a GKeyFile value (what g_key_file_set_string() writes). */
static void append_keyfile_value(GString *out, const char *s)
{
    if (*s == ' ') {
        g_string_append(out, "\\s");
        s++;
    }
    for (; *s; s++) {
        switch (*s) {
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            g_string_append_c(out, *s);
        }
    }
}

static void append_keyfile_entry(GString *out, const char *name, const char *value)
{
    g_string_append_printf(out, "%s=", name);
    append_keyfile_value(out, value);
    g_string_append_c(out, '\n');
}

/*
 * --external-ui-mode: describe the secrets for an agent that asks itself.
 * Without --allow-interaction nothing may be asked: every ShouldAsk is false
 * and the agent returns what is known, as the other plugins' dialogs do.
 */
static gboolean print_external_ui(const struct options *opt, const char *title, const char *message,
                                  GPtrArray *secrets)
{
    GString *out = g_string_sized_new(output_bound(title, message, secrets));
    gsize cap = out->allocated_len;

    g_string_append(out, "[" UI_GROUP "]\n");
    g_string_append_printf(out, "Version=%d\n", UI_VERSION);
    append_keyfile_entry(out, "Description", message);
    append_keyfile_entry(out, "Title", title);
    for (guint i = 0; i < secrets->len; i++) {
        const struct ad_secret *secret = secrets->pdata[i];

        /* group names are keys of the settings table: no '[', ']' or control characters */
        g_string_append_printf(out, "\n[%s]\n", secret->setting->key);
        append_keyfile_entry(out, "Value", secret->value ? secret->value : "");
        append_keyfile_entry(out, "Label", secret->label);
        g_string_append(out, "IsSecret=true\n");
        g_string_append_printf(out, "ShouldAsk=%s\n",
                               secret->ask && opt->allow_interaction ? "true" : "false");
    }
    g_assert(out->allocated_len == cap); /* never grew: no unwiped copy was freed */
    return print_and_wipe(out);
}

/* The answer to nm-applet and friends: "KEY\nVALUE\n" pairs, then an empty line. */
static gboolean print_secrets(GPtrArray *secrets)
{
    GString *out = g_string_sized_new(output_bound(NULL, NULL, secrets));
    gsize cap = out->allocated_len;

    for (guint i = 0; i < secrets->len; i++) {
        const struct ad_secret *secret = secrets->pdata[i];

        if (!secret->value)
            continue;
        if (strchr(secret->value, '\n')) {
            /* the line protocol cannot carry it; the service will ask again */
            g_printerr(_("The secret “%s” contains a line break and cannot be passed on\n"),
                       secret->setting->key);
            continue;
        }
        g_string_append_printf(out, "%s\n", secret->setting->key);
        g_string_append(out, secret->value);
        g_string_append_c(out, '\n');
    }
    g_string_append(out, "\n\n");
    g_assert(out->allocated_len == cap);
    return print_and_wipe(out);
}

/*
 * The agent reads our answer until the empty line, then writes "QUIT" and
 * expects us to exit.  Return on "QUIT", on EOF or error, or after a while.
 */
static void wait_for_quit(void)
{
    static const char quit[] = "QUIT";
    gint64 deadline = g_get_monotonic_time() + QUIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
    char window[64 + sizeof(quit)];
    gsize kept = 0;

    for (;;) {
        gint64 left_ms = (deadline - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND;
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        ssize_t n;
        int r;

        if (left_ms <= 0)
            return;
        r = poll(&pfd, 1, (int)left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        n = read(STDIN_FILENO, window + kept, sizeof(window) - kept);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return;
        kept += (gsize)n;
        if (memmem(window, kept, quit, strlen(quit)))
            return;
        /* keep the tail that may begin a "QUIT" split across reads */
        if (kept >= strlen(quit)) {
            memmove(window, window + kept - (strlen(quit) - 1), strlen(quit) - 1);
            kept = strlen(quit) - 1;
        }
    }
}

/* TRUE when some secret has no value at all. */
static gboolean any_missing(GPtrArray *secrets)
{
    for (guint i = 0; i < secrets->len; i++) {
        if (!((struct ad_secret *)secrets->pdata[i])->value)
            return TRUE;
    }
    return FALSE;
}

static gboolean any_to_ask(GPtrArray *secrets)
{
    for (guint i = 0; i < secrets->len; i++) {
        if (((struct ad_secret *)secrets->pdata[i])->ask)
            return TRUE;
    }
    return FALSE;
}

/* Without --external-ui-mode: ask if needed and allowed, answer, wait for QUIT. */
static int run_standard(const struct options *opt, const char *title, const char *message,
                        GPtrArray *secrets)
{
    if (opt->allow_interaction && any_to_ask(secrets)) {
        g_autoptr(GError) error = NULL;

        if (!ad_prompt(title, message, secrets, &error)) {
            if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                g_printerr("%s\n", error->message);
            return EXIT_FAILURE;
        }
    }
    if (any_missing(secrets)) {
        g_printerr(opt->allow_interaction
                       ? _("No value was entered for a secret of the VPN connection “%s”\n")
                       : _("The VPN connection “%s” needs secrets, and asking for them is not "
                           "allowed (--allow-interaction)\n"),
                   opt->name);
        return EXIT_FAILURE;
    }
    if (!print_secrets(secrets))
        return EXIT_FAILURE;
    wait_for_quit();
    return EXIT_SUCCESS;
}

static void options_clear(struct options *opt)
{
    g_free(opt->uuid);
    g_free(opt->name);
    g_free(opt->service);
    g_strfreev(opt->hints);
}

static gboolean parse_options(int *argc, char ***argv, struct options *opt)
{
    const GOptionEntry entries[] = {
        {"reprompt", 'r', 0, G_OPTION_ARG_NONE, &opt->reprompt,
         N_("Ask again even for secrets that are known"), NULL},
        {"uuid", 'u', 0, G_OPTION_ARG_STRING, &opt->uuid, N_("UUID of the VPN connection"),
         N_("UUID")},
        {"name", 'n', 0, G_OPTION_ARG_STRING, &opt->name, N_("Name of the VPN connection"),
         N_("NAME")},
        {"service", 's', 0, G_OPTION_ARG_STRING, &opt->service, N_("VPN service type"),
         N_("SERVICE")},
        {"allow-interaction", 'i', 0, G_OPTION_ARG_NONE, &opt->allow_interaction,
         N_("Allow asking the user"), NULL},
        {"external-ui-mode", 0, 0, G_OPTION_ARG_NONE, &opt->external_ui_mode,
         N_("Describe the secrets for the agent to ask, instead of asking"), NULL},
        {"hint", 't', 0, G_OPTION_ARG_STRING_ARRAY, &opt->hints,
         N_("A secret the VPN service asks for, or a message to show"), N_("HINT")},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(_("- uipsec VPN auth dialog"));
    g_autoptr(GError) error = NULL;

    g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(context, argc, argv, &error)) {
        g_printerr("%s\n", error->message);
        return FALSE;
    }
    if (!opt->uuid || !opt->name || !opt->service) {
        g_printerr(_("--uuid, --name and --service are required\n"));
        return FALSE;
    }
    if (strcmp(opt->service, UIP_VPN_SERVICE) != 0) {
        g_printerr(_("This dialog is for the VPN service “%s”, not “%s”\n"), UIP_VPN_SERVICE,
                   opt->service);
        return FALSE;
    }
    return TRUE;
}

int main(int argc, char *argv[])
{
    struct options opt = {0};
    GHashTable *data = NULL, *secrets = NULL;
    g_autoptr(GPtrArray) wanted = NULL;
    g_autofree char *title = NULL, *message = NULL;
    int status = EXIT_FAILURE;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    if (!parse_options(&argc, &argv, &opt))
        goto out;

    if (!nm_vpn_service_plugin_read_vpn_details(STDIN_FILENO, &data, &secrets)) {
        g_printerr(_("Cannot read the data and secrets of the VPN connection “%s” (%s) from "
                     "standard input\n"),
                   opt.name, opt.uuid);
        goto out;
    }

    wanted = collect_secrets(&opt, data, secrets);
    /* TRANSLATORS: %s is the name of the VPN connection */
    title = g_strdup_printf(_("Authenticate VPN “%s”"), opt.name);
    message = g_strdup(hinted_message(opt.hints));
    if (!message)
        message = g_strdup_printf(_("You need to authenticate to access the VPN “%s”."), opt.name);

    if (opt.external_ui_mode)
        status = print_external_ui(&opt, title, message, wanted) ? EXIT_SUCCESS : EXIT_FAILURE;
    else
        status = run_standard(&opt, title, message, wanted);

out:
    g_clear_pointer(&wanted, g_ptr_array_unref);
    secrets_table_free(secrets);
    g_clear_pointer(&data, g_hash_table_unref);
    ad_keyring_close();
    options_clear(&opt);
    return status;
}
