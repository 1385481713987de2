/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading the files a connection names (CA, certificate, private key) the
 * way a root service must: regular files only, never through a final
 * symlink, never blocking on a FIFO or device, at most a size cap, into a
 * buffer that is wiped when freed; and, for a connection private to a user,
 * opened with that user's rights (in a child process that takes the user's
 * uid, gid and groups), so that a user cannot authenticate with a key only
 * root may read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#define UIP_FILE_MAX_LEN (1024 * 1024) /* certificate, key and CA files */

/* Whose rights a file is opened with. */
struct uip_file_owner {
    char *name;
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups */
    int n_groups;
};

/* A file's contents, NUL-terminated (data[len] == 0); free with uip_file_data_clear(). */
struct uip_file_data {
    uint8_t *data;
    size_t len;
};

/*
 * Look up a user by name (getpwnam_r, getgrouplist).  0, -ENOENT (no such
 * user), -ENOMEM, -EINVAL.
 */
int uip_file_owner_lookup(const char *name, struct uip_file_owner *out);
void uip_file_owner_clear(struct uip_file_owner *o);
typedef struct uip_file_owner uip_file_owner_t;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(uip_file_owner_t, uip_file_owner_clear)

/*
 * Read @path, as @as when not NULL (else with the caller's rights).
 * 0 and *out filled, or: -ENOENT, -EACCES, -ELOOP (a symlink), -EINVAL (not a
 * regular file), -EFBIG (over @max_len), -EIO, -ENOMEM, or another -errno
 * from open/read.  *out is untouched on failure.
 */
int uip_file_read(const char *path, const struct uip_file_owner *as, size_t max_len,
                  struct uip_file_data *out);

/* Wipe and free. */
void uip_file_data_clear(struct uip_file_data *d);

/* All of @len bytes to / from @fd, retrying after EINTR; false on an error (errno) or EOF. */
bool uip_write_all(int fd, const void *p, size_t len);
bool uip_read_exact(int fd, void *p, size_t len);

/* A short English reason for a result of uip_file_read() ("not a regular file", ...). */
const char *uip_file_strerror(int r);
