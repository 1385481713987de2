/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files named by a connection (see uip-file.h).
 *
 * Flow: uip_file_read(path, as) -> as == NULL: read_regular() here;
 *       else fork(); the child drops to the user's groups, gid and uid,
 *       runs read_regular() and writes [result][length][bytes] into a pipe;
 *       the parent reads that and reaps the child.
 * Every buffer that held file bytes is wiped before it is freed (keys).
 */
#include "common/uip-file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/uip-secret.h"

void uip_file_data_clear(struct uip_file_data *d)
{
    if (!d)
        return;
    uip_free_secret(d->data, d->data ? d->len + 1 : 0);
    d->data = NULL;
    d->len = 0;
}

void uip_file_owner_clear(struct uip_file_owner *o)
{
    if (!o)
        return;
    g_free(o->name);
    g_free(o->groups);
    memset(o, 0, sizeof(*o));
}

int uip_file_owner_lookup(const char *name, struct uip_file_owner *out)
{
    struct passwd pw, *res = NULL;
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    g_autofree char *buf = NULL;
    g_autofree gid_t *groups = NULL;
    int n = 16, e;

    if (!name || !*name || !out)
        return -EINVAL;
    buf = g_malloc(sz > 0 ? (size_t)sz : 16384);
    e = getpwnam_r(name, &pw, buf, sz > 0 ? (size_t)sz : 16384, &res);
    if (e != 0 || !res)
        return e == 0 || e == ENOENT || e == ESRCH ? -ENOENT : -e;
    for (;;) {
        int want = n;
        groups = g_renew(gid_t, groups, (gsize)n);
        if (getgrouplist(name, pw.pw_gid, groups, &want) >= 0) {
            n = want;
            break;
        }
        if (want <= n || want > 65536)
            return -ENOMEM;
        n = want;
    }
    memset(out, 0, sizeof(*out));
    out->name = g_strdup(name);
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    out->groups = g_steal_pointer(&groups);
    out->n_groups = n;
    return 0;
}

const char *uip_file_strerror(int r)
{
    switch (r) {
    case -EINVAL:
        return "not a regular file";
    case -ELOOP:
        return "a symbolic link";
    case -EFBIG:
        return "too large";
    case -EACCES:
    case -EPERM:
        return "permission denied";
    case -ENOENT:
        return "no such file";
    default:
        return g_strerror(-r);
    }
}

/* Open with the current rights, check, read it all (the buffer is wiped on every failure). */
static int read_regular(const char *path, size_t max_len, struct uip_file_data *out)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0, size;
    int fd, r = 0;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        goto out;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max_len) {
        r = -EFBIG;
        goto out;
    }
    size = (size_t)st.st_size;
    buf = g_malloc(size + 1);
    /* read one byte past the size fstat gave: a file that grew meanwhile is refused */
    while (len <= size) {
        ssize_t k = read(fd, buf + len, size + 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            r = -errno;
            break;
        }
        if (k == 0)
            break;
        len += (size_t)k;
    }
    if (r == 0 && len > size)
        r = -EFBIG;
    if (r < 0) {
        uip_free_secret(buf, size + 1);
        goto out;
    }
    buf[len] = 0;
    out->data = buf;
    out->len = len;
out:
    close(fd);
    return r;
}

/* One loop for both directions: all @len bytes, or false (EOF, an error). */
static bool xfer_all(int fd, uint8_t *b, size_t len, bool out)
{
    while (len > 0) {
        ssize_t k = out ? write(fd, b, len) : read(fd, b, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k;
        len -= (size_t)k;
    }
    return true;
}

bool uip_write_all(int fd, const void *p, size_t len)
{
    return xfer_all(fd, (uint8_t *)p, len, true);
}

bool uip_read_exact(int fd, void *p, size_t len)
{
    return xfer_all(fd, p, len, false);
}

/* In the forked child: become the user, read, report through @fd, never return. */
static G_NORETURN void child_read(const char *path, const struct uip_file_owner *as,
                                  size_t max_len, int fd)
{
    struct uip_file_data d = {0};
    int32_t r = 0;
    uint64_t len = 0;

    if (setgroups((size_t)as->n_groups, as->groups) < 0 || setgid(as->gid) < 0 ||
        setuid(as->uid) < 0 || getuid() != as->uid || geteuid() != as->uid)
        r = -EPERM;
    if (r == 0)
        r = read_regular(path, max_len, &d);
    len = d.len;
    if (uip_write_all(fd, &r, sizeof(r)) && r == 0 && uip_write_all(fd, &len, sizeof(len)))
        (void)uip_write_all(fd, d.data, d.len);
    uip_wipe(d.data, d.len);
    _exit(0);
}

static int read_as(const char *path, const struct uip_file_owner *as, size_t max_len,
                   struct uip_file_data *out)
{
    int p[2], status, r = -EIO;
    int32_t cr;
    uint64_t len;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        r = -errno;
        close(p[0]);
        close(p[1]);
        return r;
    }
    if (pid == 0) {
        close(p[0]);
        child_read(path, as, max_len, p[1]);
    }
    close(p[1]);
    if (uip_read_exact(p[0], &cr, sizeof(cr))) {
        r = cr > 0 ? -EIO : cr;
        if (r == 0 && (!uip_read_exact(p[0], &len, sizeof(len)) || len > max_len))
            r = -EIO;
        if (r == 0) {
            uint8_t *buf = g_malloc((size_t)len + 1);
            if (uip_read_exact(p[0], buf, (size_t)len)) {
                buf[len] = 0;
                out->data = buf;
                out->len = (size_t)len;
            } else {
                uip_free_secret(buf, (size_t)len + 1);
                r = -EIO;
            }
        }
    }
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return r;
}

int uip_file_read(const char *path, const struct uip_file_owner *as, size_t max_len,
                  struct uip_file_data *out)
{
    struct uip_file_data d = {0};
    int r;

    if (!path || !*path || !out)
        return -EINVAL;
    r = as ? read_as(path, as, max_len, &d) : read_regular(path, max_len, &d);
    if (r == 0)
        *out = d;
    return r;
}
