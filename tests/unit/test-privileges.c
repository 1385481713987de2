/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service's rights once its tunnel runs (src/service/privileges.c), each
 * case in a forked child so the filter and the new user stay there:
 * what the allow-list lets through (UDP, netlink routes, threads), what it
 * refuses (packet sockets, netlink audit, TUN ioctls, fork), what kills
 * (execve), and, as root, the user, capabilities and flags /proc shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include <glib.h>

#include "service/privileges.h"

/* Run @fn in a child; its wait status. */
static int in_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(fn());
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return status;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, #cond);                      \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static gpointer thread_fn(gpointer p)
{
    return p;
}

static int refuses_errno(int r, int e)
{
    return r < 0 && errno == e;
}

static int child_allow_list(void)
{
    char err[256];
    int fd;

    CHECK(uip_seccomp_install(FALSE, err, sizeof(err)) == 0);
    /* what the tunnel uses */
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    close(fd);
    fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    close(fd);
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(fd >= 0);
    close(fd);
    GThread *t = g_thread_new("probe", thread_fn, GINT_TO_POINTER(7));
    CHECK(g_thread_join(t) == GINT_TO_POINTER(7));
    /* what it does not */
    CHECK(refuses_errno(socket(AF_PACKET, SOCK_RAW, 0), EPERM));
    CHECK(refuses_errno(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EPERM));
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(refuses_errno(ioctl(fd, TUNSETIFF, NULL), EPERM)); /* no new TUN device */
    close(fd);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(refuses_errno(fork(), EPERM)); /* clone without CLONE_THREAD (LeakSanitizer needs it) */
#endif
    return 0;
}

static int child_exec_kills(void)
{
    char err[256];
    char *const argv[] = {"/bin/true", NULL};

    if (uip_seccomp_install(FALSE, err, sizeof(err)) < 0)
        return 1;
    execv("/bin/true", argv);
    return 2; /* must not get here, nor exit from /bin/true */
}

static int child_strict_traps(void)
{
    char err[256];

    if (uip_seccomp_install(TRUE, err, sizeof(err)) < 0)
        return 1;
    (void)socket(AF_PACKET, SOCK_RAW, 0); /* strict: SIGSYS, the handler aborts */
    return 2;
}

static char *status_field(const char *text, const char *name)
{
    g_autofree char *key = g_strdup_printf("\n%s:", name);
    const char *p = strstr(text, key);

    if (!p)
        return NULL;
    p += strlen(key);
    return g_strstrip(g_strndup(p, strcspn(p, "\n")));
}

/* What /proc says of a dropped thread (@path: its status file): not root, no supplementary
 * group, no capability in any set, NO_NEW_PRIVS, the seccomp filter. */
static int dropped(const char *path)
{
    g_autofree char *st = NULL;
    g_autofree char *uid = NULL, *groups = NULL, *capeff = NULL, *capprm = NULL,
                    *capbnd = NULL, *nnp = NULL, *sec = NULL;

    CHECK(g_file_get_contents(path, &st, NULL, NULL));
    uid = status_field(st, "Uid");
    groups = status_field(st, "Groups");
    capeff = status_field(st, "CapEff");
    capprm = status_field(st, "CapPrm");
    capbnd = status_field(st, "CapBnd");
    nnp = status_field(st, "NoNewPrivs");
    sec = status_field(st, "Seccomp");
    CHECK(uid && !g_str_has_prefix(uid, "0\t"));
    CHECK(g_strcmp0(groups, "") == 0);
    CHECK(g_strcmp0(capeff, "0000000000000000") == 0);
    CHECK(g_strcmp0(capprm, "0000000000000000") == 0);
    CHECK(g_strcmp0(capbnd, "0000000000000000") == 0);
    CHECK(g_strcmp0(nnp, "1") == 0);
    CHECK(g_strcmp0(sec, "2") == 0);
    return 0;
}

static int child_drop(void)
{
    char err[256];

    /* supplementary groups, which must go too */
    const gid_t extra[] = {4, 27};
    CHECK(setgroups(G_N_ELEMENTS(extra), extra) == 0);
    /* a user that does not exist: the service falls back to nobody rather than stay root */
    CHECK(uip_privileges_drop("uipsec-test-no-such-user", err, sizeof(err)) == 0);
    CHECK(getuid() != 0 && geteuid() != 0 && getgid() != 0);
    CHECK(dropped("/proc/self/status") == 0);
    CHECK(refuses_errno(open("/proc/1/environ", O_RDONLY), EACCES));
    return 0;
}

static gpointer prepare_fn(gpointer user)
{
    uip_privileges_prepare(user);
    return NULL;
}

static gpointer idle_fn(gpointer stop)
{
    while (!g_atomic_int_get((int *)stop))
        g_usleep(1000);
    return NULL;
}

/* As the service does it: the lookup and the filter prepared on another thread (the warm-up),
 * then the drop with one more thread running, which must end up as filtered and unprivileged
 * as the caller (TSYNC, glibc's setxid on every thread). */
static int child_drop_prepared(void)
{
    char err[256];
    int stop = 0, seen = 0;
    g_autoptr(GDir) dir = NULL;
    const char *tid;

    /* the service's main() empties the bounding set before any thread starts */
    CHECK(uip_privileges_drop_bounding(err, sizeof(err)) == 0);
    g_thread_join(g_thread_new("prepare", prepare_fn, (gpointer) "nobody"));
    GThread *idle = g_thread_new("idle", idle_fn, &stop);
    CHECK(uip_privileges_drop("nobody", err, sizeof(err)) == 0);
    dir = g_dir_open("/proc/self/task", 0, NULL);
    CHECK(dir);
    while ((tid = g_dir_read_name(dir))) {
        g_autofree char *path = g_strdup_printf("/proc/self/task/%s/status", tid);
        CHECK(dropped(path) == 0);
        seen++;
    }
    CHECK(seen == 2);
    CHECK(refuses_errno(socket(AF_PACKET, SOCK_RAW, 0), EPERM));
    g_atomic_int_set(&stop, 1);
    g_thread_join(idle);
    return 0;
}

static void test_allow_list(void)
{
    int st = in_child(child_allow_list);
    g_assert_true(WIFEXITED(st));
    g_assert_cmpint(WEXITSTATUS(st), ==, 0);
}

static void test_exec_kills(void)
{
    int st = in_child(child_exec_kills);
    g_assert_true(WIFSIGNALED(st));
    g_assert_cmpint(WTERMSIG(st), ==, SIGSYS);
}

static void test_strict_traps(void)
{
    int st = in_child(child_strict_traps);
    g_assert_true(WIFSIGNALED(st));
    g_assert_cmpint(WTERMSIG(st), ==, SIGABRT);
}

/* @fn in a child as root (skipped otherwise), which must exit with 0 */
static void root_child_passes(int (*fn)(void))
{
    if (geteuid() != 0) {
        g_test_skip("needs root");
        return;
    }
    int st = in_child(fn);
    g_assert_true(WIFEXITED(st));
    g_assert_cmpint(WEXITSTATUS(st), ==, 0);
}

static void test_drop(void)
{
    root_child_passes(child_drop);
}

static void test_drop_prepared(void)
{
    root_child_passes(child_drop_prepared);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/privileges/allow-list", test_allow_list);
    g_test_add_func("/privileges/exec-kills", test_exec_kills);
    g_test_add_func("/privileges/strict-traps", test_strict_traps);
    g_test_add_func("/privileges/drop", test_drop);
    g_test_add_func("/privileges/drop-prepared", test_drop_prepared);
    return g_test_run();
}
