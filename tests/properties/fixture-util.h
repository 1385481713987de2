/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the import tests (test-import-export.c, test-mobileconfig.c) check the same way. */
#pragma once

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

/* Remove @path and everything below it (links are removed, not followed). */
static inline void fixture_rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            fixture_rm_rf(child);
        else
            g_unlink(child);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(path);
}

/* Fixture @file was refused with @domain / @code, and a message that holds each of the first
 * @n @words (up to a NULL). */
static inline void fixture_assert_refused(const char *file, const GError *error, GQuark domain,
                                          int code, const char *const *words, gsize n)
{
    g_assert_nonnull(error);
    if (g_test_verbose())
        g_printerr("%s: %s\n", file, error->message);
    g_assert_error(error, domain, code);
    for (gsize i = 0; i < n && words[i]; i++)
        if (!strstr(error->message, words[i]))
            g_error("%s: “%s” not in: %s", file, words[i], error->message);
}

/* Add the .file of each row of the table @rows to @names (for fixture_assert_listed()). */
#define FIXTURE_ADD_NAMES(names, rows)                                                             \
    for (gsize row_ = 0; row_ < G_N_ELEMENTS(rows); row_++)                                        \
    g_ptr_array_add((names), (gpointer)(rows)[row_].file)

/* The files in the fixture folder @subdir are the @names (each has a row in @test). */
static inline void fixture_assert_listed(const char *subdir, GPtrArray *names, const char *test)
{
    g_autofree char *dir = g_test_build_filename(G_TEST_DIST, subdir, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        gboolean found = FALSE;
        for (guint i = 0; i < names->len && !found; i++)
            found = strcmp(names->pdata[i], name) == 0;
        if (!found)
            g_error("fixture %s has no row in %s", name, test);
        n++;
    }
    g_assert_cmpuint(n, ==, names->len);
}
