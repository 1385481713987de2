/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a connection's files (src/common/uip-file.c): regular files only,
 * no final symlink, no blocking on a FIFO, a size cap; and, as root, with
 * another user's rights (the cases that need root are skipped otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "common/uip-file.h"
#include "common/uip-settings.h"

static char *dir;

static char *make_file(const char *name, const char *text, mode_t mode)
{
    char *path = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_assert_cmpint(chmod(path, mode), ==, 0);
    return path;
}

static void test_regular(void)
{
    g_autofree char *path = make_file("plain.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    struct uip_file_data d = {0};

    g_assert_cmpint(uip_file_read(path, NULL, UIP_FILE_MAX_LEN, &d), ==, 0);
    g_assert_cmpuint(d.len, ==, strlen("-----BEGIN CERTIFICATE-----\n"));
    g_assert_cmpint(d.data[d.len], ==, 0);
    g_assert_cmpmem(d.data, d.len, "-----BEGIN CERTIFICATE-----\n", d.len);
    uip_file_data_clear(&d);
    g_assert_null(d.data);
}

static void test_refused(void)
{
    g_autofree char *target = make_file("target.pem", "key", 0644);
    g_autofree char *link = g_build_filename(dir, "link.pem", NULL);
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_autofree char *big = make_file("big.pem", "0123456789", 0644);
    struct uip_file_data d = {0};

    g_assert_cmpint(symlink(target, link), ==, 0);
    g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
    /* a final symlink: refused (a user could point it at a root-only key) */
    g_assert_cmpint(uip_file_read(link, NULL, UIP_FILE_MAX_LEN, &d), ==, -ELOOP);
    /* a FIFO with no writer would block the service forever; a device never ends */
    g_assert_cmpint(uip_file_read(fifo, NULL, UIP_FILE_MAX_LEN, &d), ==, -EINVAL);
    g_assert_cmpint(uip_file_read("/dev/zero", NULL, UIP_FILE_MAX_LEN, &d), ==, -EINVAL);
    g_assert_cmpint(uip_file_read(dir, NULL, UIP_FILE_MAX_LEN, &d), ==, -EINVAL);
    g_assert_cmpint(uip_file_read(big, NULL, 9, &d), ==, -EFBIG);
    g_assert_cmpint(uip_file_read(big, NULL, 10, &d), ==, 0);
    uip_file_data_clear(&d);
    g_assert_cmpint(uip_file_read("/nonexistent/x.pem", NULL, UIP_FILE_MAX_LEN, &d), ==, -ENOENT);
    g_assert_null(d.data);
    g_assert_cmpstr(uip_file_strerror(-ELOOP), ==, "a symbolic link");
    g_assert_cmpstr(uip_file_strerror(-EINVAL), ==, "not a regular file");
}

static void test_owner_lookup(void)
{
    struct uip_file_owner o = {0};

    g_assert_cmpint(uip_file_owner_lookup("uipsec-no-such-user", &o), ==, -ENOENT);
    g_assert_cmpint(uip_file_owner_lookup("root", &o), ==, 0);
    g_assert_cmpuint(o.uid, ==, 0);
    g_assert_cmpuint(o.gid, ==, 0);
    g_assert_cmpint(o.n_groups, >=, 1);
    uip_file_owner_clear(&o);
}

/* As root: a file only root may read is refused when read as "nobody", others work. */
static void test_as_user(void)
{
    g_autofree char *secret = NULL, *open_key = NULL, *users_key = NULL, *enc = NULL;
    struct uip_file_owner nobody = {0};
    struct uip_file_data d = {0};

    if (geteuid() != 0 || uip_file_owner_lookup("nobody", &nobody) < 0) {
        g_test_skip("needs root and a user nobody");
        return;
    }
    secret = make_file("root-only.key", "root's key", 0600);
    open_key = make_file("readable.key", "anyone's key", 0644);
    users_key = make_file("nobody.key", "nobody's key", 0600);
    g_assert_cmpint(chown(users_key, nobody.uid, nobody.gid), ==, 0);
    enc = make_file("root-enc.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0600);

    g_assert_cmpint(uip_file_read(secret, NULL, UIP_FILE_MAX_LEN, &d), ==, 0); /* as root */
    uip_file_data_clear(&d);
    g_assert_cmpint(uip_file_read(secret, &nobody, UIP_FILE_MAX_LEN, &d), ==, -EACCES);
    g_assert_null(d.data);
    g_assert_cmpint(uip_file_read(open_key, &nobody, UIP_FILE_MAX_LEN, &d), ==, 0);
    g_assert_cmpmem(d.data, d.len, "anyone's key", strlen("anyone's key"));
    uip_file_data_clear(&d);
    g_assert_cmpint(uip_file_read(users_key, &nobody, UIP_FILE_MAX_LEN, &d), ==, 0);
    g_assert_cmpmem(d.data, d.len, "nobody's key", strlen("nobody's key"));
    uip_file_data_clear(&d);
    g_assert_cmpint(uip_file_read(users_key, &nobody, 3, &d), ==, -EFBIG);
    g_assert_cmpint(uip_file_read("/dev/zero", &nobody, UIP_FILE_MAX_LEN, &d), ==, -EINVAL);

    /* whether a password is needed is not revealed for a key the user cannot read */
    g_assert_true(uip_key_file_is_encrypted(enc, NULL));
    g_assert_false(uip_key_file_is_encrypted(enc, &nobody));
    uip_file_owner_clear(&nobody);
}

int main(int argc, char **argv)
{
    int r;

    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("uip-file-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_assert_cmpint(chmod(dir, 0755), ==, 0); /* "nobody" may enter, not read 0600 files */
    g_test_add_func("/file/regular", test_regular);
    g_test_add_func("/file/refused", test_refused);
    g_test_add_func("/file/owner-lookup", test_owner_lookup);
    g_test_add_func("/file/as-user", test_as_user);
    r = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    (void)!system(cmd);
    g_free(dir);
    return r;
}
