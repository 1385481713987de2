/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dropping the service's rights (see privileges.h).
 *
 * Order: look the user up (NSS, while files can still be read; the warm-up
 * thread does it ahead, with the seccomp filter's compilation:
 * uip_privileges_prepare()) -> clear the
 * bounding and ambient sets (needs CAP_SETPCAP, so first) -> groups, gid, uid
 * (glibc applies them to every thread) -> check that root cannot come back ->
 * capset to nothing -> NO_NEW_PRIVS -> seccomp on every thread (TSYNC).
 *
 * A private key on a PKCS#11 token (issue 14) signs in a process of its own
 * (ike/pkcs11-signer.h), the service's binary executed again, and that
 * process is the exception to the user change.  The module is not done with
 * the file system or its daemon at sign time (IKE reauthentication, a
 * redirect, a restart after DPD, every EAP-TLS handshake of those): SoftHSM2
 * opens the generation, object and lock files of its tokendir
 * (/var/lib/softhsm/tokens, root:softhsm 2770, objects 0600 root) with fcntl
 * locks on every operation, signatures included (strace: 681 opens there for
 * one load and two signs), and a card's module (opensc) talks to pcscd over
 * its AF_UNIX socket, which admits root and, through polkit, active sessions
 * only, and reconnects after a card reset.  Measured (tests/unit/
 * test-pkcs11.c): after a drop to an unprivileged uid a SoftHSM2 signature
 * fails; keeping uid 0 it works.  So the signer keeps uid 0 and gives up
 * everything else, first thing, while it has one thread
 * (uip_privileges_drop_keep_uid()): every capability (bounding, ambient,
 * effective, permitted, inheritable), the securebits NOROOT /
 * NO_SETUID_FIXUP / NO_CAP_AMBIENT_RAISE set and locked (uid 0 never regains
 * capabilities), NO_NEW_PRIVS; after the login the same seccomp list
 * (uip_privileges_lock_down(), every thread: OpenSC's module starts GLib
 * threads when it loads).  What root without capabilities can still do is
 * what its uid owns: open files owned by root with their owner permissions
 * (no CAP_DAC_OVERRIDE: nothing of other users beyond what anyone may) and
 * signal root's processes.  The service itself becomes the unprivileged
 * user, a token key or not.  The alternative, granting the service user the
 * softhsm group and a polkit rule for pcscd, would be one module's layout and
 * one distribution's rule.
 */
#include "service/privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/netlink.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "common/uip-file.h"
#include "common/uip-log.h"

/* LeakSanitizer checks at exit from a tracer it clones (no CLONE_THREAD), which attaches with
 * ptrace after prctl(PR_SET_PTRACER): sanitizer builds (tests only) allow that much more. */
#if defined(__SANITIZE_ADDRESS__)
#define UIP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UIP_SANITIZED 1
#endif
#endif
#ifndef UIP_SANITIZED
#define UIP_SANITIZED 0
#endif

/* ---- seccomp --------------------------------------------------------------------------------- */

/* What GLib, GIO (D-Bus), OpenSSL, syslog and the tunnel call once running. */
static const char *const allowed[] = {
    /* I/O on descriptors we hold */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek",
    "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fsync", "fdatasync",
    /* files (CA directories of the system store, /proc/self for GLib, locale data) */
    "openat", "open", "newfstatat", "fstat", "stat", "lstat", "statx", "fstatfs", "statfs",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "getcwd",
    /* waiting */
    "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd2", "pipe", "pipe2", "timerfd_create",
    "timerfd_settime", "timerfd_gettime", "futex", "futex_waitv", "nanosleep", "clock_nanosleep",
    "sched_yield", "restart_syscall",
    /* sockets already made, and new UDP / netlink / unix ones (socket() is filtered below) */
    "bind", "connect", "getsockname", "getpeername", "setsockopt", "getsockopt", "sendto",
    "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
    /* memory */
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mlock", "munlock", "membarrier",
    /* threads (clone is filtered below), signals to ourselves, exit */
    "set_robust_list", "get_robust_list", "set_tid_address", "rseq", "exit", "exit_group",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack",
    "tgkill", "tkill",
    /* identity and time */
    "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
    "getresgid", "getgroups", "getrandom", "clock_gettime", "clock_getres", "gettimeofday",
    "time", "times", "getrusage", "sysinfo", "uname", "getrlimit", "sched_getaffinity",
    "sched_getparam", "sched_getscheduler", "getpriority", "wait4", "waitid",
};

static const char *const sanitizer_extra[] = {"ptrace", "process_vm_readv", "prctl", "clone", "kill",
                                             "getdents"};

/* Calls only an attacker would make: the process dies at once. */
static const char *const fatal[] = {
    "execve", "execveat", "fork", "vfork", "process_vm_writev",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "setuid", "setgid",
    "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
    "capset", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "bpf", "perf_event_open", "personality", "keyctl", "add_key", "request_key", "userfaultfd",
    "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "iopl", "ioperm",
    "fanotify_init", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "mount_setattr",
};

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "nm-uipsec-service: seccomp refused system call %d\n",
                     si->si_syscall);

    if (n > 0)
        (void)!write(STDERR_FILENO, msg, (size_t)n);
    abort();
}

static int add_names(scmp_filter_ctx f, uint32_t action, const char *const *names, size_t n,
                     const char **bad)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        int r;

        if (nr == __NR_SCMP_ERROR)
            continue; /* not on this architecture */
        r = seccomp_rule_add(f, action, nr, 0);
        if (r < 0) {
            *bad = names[i];
            return r;
        }
    }
    return 0;
}

/* The rules that look at arguments. */
static int add_filtered(scmp_filter_ctx f)
{
    static const int families[] = {AF_UNIX, AF_INET, AF_INET6};
    static const unsigned long ioctls[] = {TCGETS, FIONREAD, FIONBIO, SIOCGIFINDEX,
                                           SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFMTU};
    static const int prctls[] = {PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_CAPBSET_READ,
                                 PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP};
    int r = 0;

    for (size_t i = 0; r == 0 && i < G_N_ELEMENTS(families); i++)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
    /* netlink: routes and links only (path-watch.c, route-lookup.c, getifaddrs()) */
    if (r == 0)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                             SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                             SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE));
    if (r == 0)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                             SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
    for (size_t i = 0; r == 0 && i < G_N_ELEMENTS(ioctls); i++)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                             SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ioctls[i]));
    for (size_t i = 0; r == 0 && !UIP_SANITIZED && i < G_N_ELEMENTS(prctls); i++)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctls[i]));
    /* threads, never processes; clone3 passes its flags in memory, which a filter cannot
     * read: ENOSYS makes glibc fall back to clone */
    if (r == 0 && !UIP_SANITIZED)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (r == 0)
        r = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* reading our own limits, never setting any */
    if (r == 0)
        r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, SCMP_A0(SCMP_CMP_EQ, 0),
                             SCMP_A2(SCMP_CMP_EQ, 0));
    return r;
}

/* The allow-list compiled to BPF (libseccomp's generator: about 1.3 ms, the most of a drop that
 * needs no rights, so the warm-up thread does it ahead: uip_privileges_prepare()). */
static int compile_filter(gboolean strict, struct sock_fprog *out, char *err, size_t err_len)
{
    scmp_filter_ctx f;
    const char *bad = "(argument rules)";
    struct stat st;
    int fd = -1, r;

    f = seccomp_init(strict ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(EPERM));
    if (!f) {
        snprintf(err, err_len, "seccomp_init failed");
        return -ENOMEM;
    }
    r = add_names(f, SCMP_ACT_ALLOW, allowed, G_N_ELEMENTS(allowed), &bad);
    if (r == 0)
        r = add_names(f, SCMP_ACT_KILL_PROCESS, fatal, G_N_ELEMENTS(fatal), &bad);
    if (r == 0 && UIP_SANITIZED)
        r = add_names(f, SCMP_ACT_ALLOW, sanitizer_extra, G_N_ELEMENTS(sanitizer_extra), &bad);
    else if (r == 0)
        r = add_names(f, SCMP_ACT_KILL_PROCESS, sanitizer_extra, 2, &bad); /* ptrace, vm_readv */
    if (r == 0)
        r = add_filtered(f);
    if (r < 0) {
        snprintf(err, err_len, "cannot build the seccomp filter at %s: %s", bad, g_strerror(-r));
        goto out;
    }
    /* libseccomp exports to a descriptor only: the exact program seccomp_load() would load */
    fd = memfd_create("uip-seccomp", MFD_CLOEXEC);
    r = fd < 0 ? -errno : seccomp_export_bpf(f, fd);
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r == 0 && (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) ||
                   st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS))
        r = -E2BIG;
    if (r == 0) {
        out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
        out->filter = g_new(struct sock_filter, out->len);
        if (pread(fd, out->filter, (size_t)st.st_size, 0) != st.st_size) {
            r = -EIO;
            g_clear_pointer(&out->filter, g_free);
        }
    }
    if (r < 0)
        snprintf(err, err_len, "cannot compile the seccomp filter: %s", g_strerror(-r));
out:
    if (fd >= 0)
        close(fd);
    seccomp_release(f);
    return r;
}

/* What uip_privileges_prepare() did ahead of the drop, for the same user and strictness. */
static struct {
    uip_file_owner_t pw; /* pw.name NULL: not looked up (or no such user) */
    gboolean strict;
    struct sock_fprog filter; /* filter.filter NULL: not compiled */
} prepared;

static gboolean strict_wanted(void)
{
    return g_strcmp0(g_getenv("UIP_SECCOMP_STRICT"), "1") == 0;
}

int uip_seccomp_install(gboolean strict, char *err, size_t err_len)
{
    struct sock_fprog prog = {0};
    int r;

    if (prepared.filter.filter && prepared.strict == strict) {
        prog = prepared.filter;
        prepared.filter = (struct sock_fprog){0};
    } else {
        r = compile_filter(strict, &prog, err, err_len);
        if (r < 0)
            return r;
    }
    if (strict) {
        struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
        sigaction(SIGSYS, &sa, NULL);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        r = -errno;
    } else {
        /* every thread, now (TSYNC: a positive result names a thread that could not follow) */
        long t = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
        r = t < 0 ? -errno : t > 0 ? -ESRCH : 0;
    }
    if (r < 0)
        snprintf(err, err_len, "cannot load the seccomp filter: %s", g_strerror(-r));
    g_free(prog.filter);
    return r;
}

/* ---- user and capabilities ------------------------------------------------------------------- */

static int cap_last(void)
{
    char buf[16] = "";
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

    if (fd >= 0)
        close(fd);
    return n > 0 ? atoi(buf) : CAP_LAST_CAP;
}

/* The bounding and ambient sets emptied (needs CAP_SETPCAP, so before anything else). */
static int clear_bounding_set(char *err, size_t err_len)
{
    const int last = cap_last();

    for (int c = 0; c <= last; c++)
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
            int e = errno;
            snprintf(err, err_len, "cannot clear the bounding set: %s", g_strerror(e));
            errno = e;
            return -e;
        }
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    return 0;
}

static int clear_capabilities(char *err, size_t err_len)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {{0}};

    if (syscall(SYS_capset, &hdr, none) < 0) {
        snprintf(err, err_len, "cannot clear capabilities: %s", g_strerror(errno));
        return -errno;
    }
    return 0;
}

/*
 * For a key on a PKCS#11 token: uid 0 stays, everything else goes.  The
 * securebits (set while CAP_SETPCAP is still there, then locked) make uid 0
 * an ordinary user for capabilities: no capabilities regained on execve
 * (NOROOT) or through a uid change (NO_SETUID_FIXUP), no ambient raise.
 */
/* No capability in the permitted set nor in the bounding set: nothing to give up, and none to
 * regain (execve grants uid 0 no more than the bounding set). */
static bool holds_no_capability(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {{0}};
    const int last = cap_last();

    if (syscall(SYS_capget, &hdr, d) < 0)
        return false;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (d[i].permitted || d[i].effective)
            return false;
    for (int c = 0; c <= last; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0)
            return false;
    return true;
}

static int become_powerless_root(char *err, size_t err_len)
{
    const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                               SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                               SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

    /* the service empties the bounding set first thing (uip_privileges_drop_bounding()), so
     * the signer it starts has no capability at all, and no CAP_SETPCAP for the securebits */
    if (holds_no_capability()) {
        _LOGI("PKCS#11 signer: running as root with no capabilities (none given)");
        return 0;
    }
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) {
        snprintf(err, err_len, "cannot set the securebits: %s", g_strerror(errno));
        return -errno;
    }
    if (clear_bounding_set(err, err_len) < 0 || clear_capabilities(err, err_len) < 0)
        return -EPERM;
    _LOGI("PKCS#11 signer: running as root with no capabilities");
    return 0;
}

static int become(const char *user, char *err, size_t err_len)
{
    g_auto(uip_file_owner_t) pw = {0};
    const char *name = user;
    uid_t ru, eu, su;

    if (prepared.pw.name && strcmp(prepared.pw.name, user) == 0) {
        pw = prepared.pw;
        prepared.pw = (uip_file_owner_t){0};
    } else if (uip_file_owner_lookup(name, &pw) < 0) {
        _LOGW("user %s does not exist (the package or `systemd-sysusers` creates it): running as "
              "%s instead",
              name, UIP_SERVICE_USER_FALLBACK);
        name = UIP_SERVICE_USER_FALLBACK;
        if (uip_file_owner_lookup(name, &pw) < 0) {
            snprintf(err, err_len, "neither user %s nor %s exists", user, name);
            return -ENOENT;
        }
    }
    if (pw.uid == 0) {
        snprintf(err, err_len, "user %s is root", name);
        return -EINVAL;
    }
    if (clear_bounding_set(err, err_len) < 0)
        return -errno;
    /* glibc makes every thread follow each set*id call, one signal round per call: the
     * supplementary groups only when there are some (NetworkManager's children have none) */
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
        (getgroups(0, NULL) != 0 && setgroups(0, NULL) < 0) ||
        setresgid(pw.gid, pw.gid, pw.gid) < 0 ||
        setresuid(pw.uid, pw.uid, pw.uid) < 0) {
        snprintf(err, err_len, "cannot become user %s: %s", name, g_strerror(errno));
        return -errno;
    }
    if (getresuid(&ru, &eu, &su) < 0 || ru != pw.uid || eu != pw.uid || su != pw.uid ||
        setuid(0) == 0) {
        snprintf(err, err_len, "still able to become root after dropping to %s", name);
        return -EPERM;
    }
    if (clear_capabilities(err, err_len) < 0)
        return -EPERM;
    _LOGI("running as user %s (uid %u) with no capabilities", name, (unsigned)pw.uid);
    return 0;
}

static int drop_rights(const char *user, char *err, size_t err_len)
{
    int r;

    if (geteuid() == 0) {
        r = user ? become(user, err, err_len) : become_powerless_root(err, err_len);
        if (r < 0)
            return r;
    } else {
        _LOGI("not started as root: user and capabilities left as they are");
    }
    /* a process that changed its uid is not dumpable, and LeakSanitizer's tracer could not
     * attach to it at exit */
    if (UIP_SANITIZED)
        (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, err_len, "cannot set no_new_privs: %s", g_strerror(errno));
        return -errno;
    }
    return 0;
}

int uip_privileges_drop_bounding(char *err, size_t err_len)
{
    return geteuid() == 0 ? clear_bounding_set(err, err_len) : 0;
}

int uip_privileges_lock_down(char *err, size_t err_len)
{
    return uip_seccomp_install(strict_wanted(), err, err_len);
}

void uip_privileges_prepare(const char *user)
{
    char err[256];

    g_return_if_fail(!prepared.pw.name && !prepared.filter.filter);
    if (user && uip_file_owner_lookup(user, &prepared.pw) < 0)
        _LOGD("no user %s yet", user); /* the drop says what it does about it */
    prepared.strict = strict_wanted();
    if (compile_filter(prepared.strict, &prepared.filter, err, sizeof(err)) < 0)
        _LOGD("%s", err); /* the drop compiles again, and fails there */
}

int uip_privileges_drop(const char *user, char *err, size_t err_len)
{
    int r;

    g_return_val_if_fail(user, -EINVAL);
    r = drop_rights(user, err, err_len);
    if (r == 0)
        r = uip_privileges_lock_down(err, err_len);
    /* what was prepared and not used */
    uip_file_owner_clear(&prepared.pw);
    g_clear_pointer(&prepared.filter.filter, g_free);
    return r;
}

int uip_privileges_drop_keep_uid(char *err, size_t err_len)
{
    return drop_rights(NULL, err, err_len);
}
