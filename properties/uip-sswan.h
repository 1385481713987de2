/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Import and export of strongSwan ".sswan" VPN profiles (the JSON files of the
 * strongSwan VPN Client for Android, media type application/vnd.strongswan.profile).
 * GTK-free: the core editor plugin, the unit tests and the fuzzer link it.
 *
 * Import is two steps so that parsing can run without touching the disk:
 *   uip_sswan_parse()               bytes -> a validated NMConnection, and the
 *                                   certificate / key files it refers to, held
 *                                   in memory under the paths they will have
 *                                   (CERT_DIR/<uuid>-ca.pem, -cert.pem, -key.pem);
 *   uip_sswan_import_write_files()  writes them (folder 0700, files 0600).
 * uip_sswan_import_data() and uip_sswan_import_file() do both.
 *
 * What cannot be mapped is reported, never dropped: libnm's import API has no
 * channel for warnings, so an unknown field, or a known one whose value
 * uipsec cannot honour, fails the import with a GError naming the field(s).
 * Export likewise fails on anything the format cannot express.  The mapping,
 * field by field, is described at the top of uip-sswan.c.
 *
 * Errors: NM_CONNECTION_ERROR_FAILED for the file and its format;
 * UIP_SETTINGS_ERROR (from uip_settings_validate) for a value of the profile
 * that uipsec refuses, with a prefix naming the profile field; GFileError for
 * files that cannot be read or written.
 */
#pragma once

#include <NetworkManager.h>

/* Profiles larger than this are refused (a real one is a few kilobytes). */
#define UIP_SSWAN_MAX_SIZE (1024 * 1024)

/* The folder below g_get_user_data_dir() that receives imported certificates and keys. */
#define UIP_SSWAN_DATA_SUBDIR "NetworkManager-uipsec"

/* The file name extension of the format, without the dot. */
#define UIP_SSWAN_EXTENSION "sswan"

typedef struct _UipSswanImport UipSswanImport;

/*
 * Parse @len bytes of a profile.  @cert_dir is the absolute folder that the
 * certificate and key files will go to (nothing is written here).  Returns the
 * parsed import (free with uip_sswan_import_free) or NULL with @error set.
 * Never writes a file, never prompts; safe on any input.
 */
UipSswanImport *uip_sswan_parse(const char *data, gsize len, const char *cert_dir, GError **error);

/* The connection (borrowed): connection id and uuid, vpn.data, DNS servers in ipv4/ipv6. */
NMConnection *uip_sswan_import_get_connection(UipSswanImport *imp);

/* The number of files uip_sswan_import_write_files() would write (0..3). */
guint uip_sswan_import_get_n_files(UipSswanImport *imp);

/* Create the certificate folder (0700) and write the files (0600).  FALSE with @error. */
gboolean uip_sswan_import_write_files(UipSswanImport *imp, GError **error);

/*
 * The files that imports in this process wrote for the connection @uuid and that were not there
 * before (a file already there with the same contents is reused, not counted), forgotten here;
 * NULL-terminated (g_strfreev), or NULL.  The core plugin removes them when the connection
 * editor opened on an imported connection closes without saving it.
 */
char **uip_sswan_import_take_created(const char *uuid);

void uip_sswan_import_free(UipSswanImport *imp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UipSswanImport, uip_sswan_import_free)

/*
 * For the importers of other formats (uip-mobileconfig.c), which build the same import object
 * (a connection and the files it refers to) and share the certificate handling.  @field in
 * messages names the other format's key.
 */
UipSswanImport *uip_sswan_import_new(const char *cert_dir);
/* The start of the file names for connection @id in the import's folder (newly allocated). */
char *uip_sswan_import_file_base(UipSswanImport *imp, const char *id, const char *uuid);
/* Hold @data (taken over; wiped when freed if @secret) for CERT_DIR/@base@suffix: its path. */
const char *uip_sswan_import_add_file(UipSswanImport *imp, const char *base, const char *suffix,
                                      guint8 *data, gsize len, gboolean secret);
void uip_sswan_import_set_connection(UipSswanImport *imp, NMConnection *connection /* taken */);
/* One certificate (DER or PEM; with @several, one or more in PEM: a chain) -> PEM. */
gboolean uip_sswan_cert_to_pem(const char *field, const guint8 *der, gsize len, gboolean several,
                               guint8 **pem, gsize *pem_len, GError **error);
/* A PKCS#12 bundle -> its certificates and key as PEM; with @password (NULL: none) the key is
 * written encrypted with it, without one a bundle that needs a password is refused. */
gboolean uip_sswan_p12_to_pem(const char *field, const guint8 *der, gsize len,
                              const char *password, guint8 **cert_pem, gsize *cert_len,
                              guint8 **key_pem, gsize *key_len, GError **error);
/* Validate @value for @key and put it in @data (nothing for NULL/""); the error names @field. */
gboolean uip_sswan_set_key(GHashTable *data, const char *key, const char *value,
                           const char *field, GError **error);
/* A string from a profile made safe to quote in a message (newly allocated). */
char *uip_sswan_shown(const char *s);
/* Strict base64 (blanks and line breaks allowed) -> newly allocated bytes; NULL with @error. */
guint8 *uip_sswan_base64_decode(const char *field, const char *s, gsize *out_len, GError **error);
/* "The profile has fields uipsec does not know ...: “a”, “b”" for the names in @unknown (sorted
 * here; at least one), newly allocated. */
char *uip_sswan_unknown_fields_message(GPtrArray *unknown);
/* @problems (GErrors, at least one) as one error: the only one as it is, else one a line. */
gboolean uip_sswan_report_problems(GPtrArray *problems, GError **error);
/* The connection: id, uuid, vpn.data from @data (key -> value), DNS servers (addresses of each
 * family, replacing the gateway's ones; NULL = none), normalized. */
NMConnection *uip_sswan_build_connection(const char *id, const char *uuid, GHashTable *data,
                                         GPtrArray *dns4, GPtrArray *dns6, GError **error);

/* Parse, write the files, return a new connection; @cert_dir NULL = the default folder. */
NMConnection *uip_sswan_import_data(const char *data, gsize len, const char *cert_dir,
                                    GError **error);
NMConnection *uip_sswan_import_file(const char *path, const char *cert_dir, GError **error);

/* g_get_user_data_dir()/NetworkManager-uipsec, or NULL with @error if that is not absolute. */
char *uip_sswan_default_cert_dir(GError **error);

/*
 * The profile for @connection as JSON text (newly allocated), or NULL with
 * @error when the connection is not a uipsec one or uses something the format
 * cannot express.  Reads the CA, certificate and key files it refers to.
 */
char *uip_sswan_export_data(NMConnection *connection, GError **error);

/* The same written to @path (mode 0600: it may hold a private key). */
gboolean uip_sswan_export_file(NMConnection *connection, const char *path, GError **error);

/* TRUE when export has a rule for vpn.data key @key (every key of the settings table must). */
gboolean uip_sswan_export_knows_key(const char *key);

/* "<connection id>.sswan" with characters unsafe in file names replaced; newly allocated. */
char *uip_sswan_suggested_filename(NMConnection *connection);
