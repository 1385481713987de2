/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Anti-replay window: table-driven edge cases (in the manner of wireguard-go
 * replay_test.go), the API contract (check changes nothing, commit after a
 * concurrent commit, init bounds), and a randomized cross-check of the RFC
 * 6479 ring against a naive model (a set of seen numbers and a top).
 */
#include "engine/replay.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <glib.h>

#define HI(h, l) (((uint64_t)(h) << 32) | (uint32_t)(l))

/* One received packet: the low 32 bits on the wire, the expected outcome. */
struct step {
    uint32_t lo;
    int ret;      /* expected uip_replay_check() result */
    uint64_t seq; /* expected inferred number when ret == 0 */
    bool commit;  /* commit it (as if the ICV verified) */
};

/* accepted and committed; accepted but not committed (ICV failed); rejected */
/* clang-format off */
#define OK(l, s)   {(l), 0, (s), true}
#define PEEK(l, s) {(l), 0, (s), false}
#define DUP(l)     {(l), -EALREADY, 0, false}
#define OLD(l)     {(l), -ESTALE, 0, false}
#define BAD(l)     {(l), -EINVAL, 0, false}
/* clang-format on */

struct replay_case {
    const char *name;
    uint32_t window; /* asked of uip_replay_init() */
    bool esn;
    uint64_t prime; /* if not 0: committed first, to place top */
    const struct step *steps;
    size_t nsteps;
};

/* clang-format off */
#define CASE(n, w, e, p, s) {(n), (w), (e), (p), (s), G_N_ELEMENTS(s)}
/* clang-format on */

/* --- without ESN, window 1024 ------------------------------------------- */

static const struct step first_packet[] = {
    BAD(0), OK(1, 1), DUP(1), BAD(0), OK(2, 2), DUP(2), DUP(1),
};

static const struct step in_order[] = {
    OK(1, 1), OK(2, 2), OK(3, 3), OK(4, 4), OK(5, 5), DUP(3), DUP(5), OK(6, 6),
};

static const struct step out_of_order[] = {
    OK(10, 10), OK(5, 5), OK(9, 9), DUP(5),     OK(1, 1),   OK(2, 2), DUP(10), OK(11, 11),
    DUP(9),     OK(8, 8), DUP(8),   PEEK(7, 7), PEEK(7, 7), OK(7, 7), DUP(7),
};

/* top 2000, window [977, 2000] */
static const struct step left_edge_1024[] = {
    OK(2000, 2000), OLD(976),  OK(977, 977), DUP(977),     OLD(1),   OK(1500, 1500),
    OK(2001, 2001), DUP(2000), OLD(977),     OK(978, 978), DUP(978), BAD(0),
};

/*
 * Jumps further than both the window (1024) and the ring (32 blocks = 2048
 * numbers); afterwards everything left of the new window is stale, and ring
 * slots that alias old marks are free again.
 */
static const struct step far_ahead[] = {
    OK(5, 5),
    OK(3, 3),
    OK(100005, 100005),
    OLD(5),
    OLD(3),
    OLD(6),
    OLD(100005 - 1024),
    OK(100005 - 1023, 100005 - 1023),
    DUP(100005),
    OK(100005 + 2048, 100005 + 2048), /* same ring slot as 100005 */
    OK(100005 + 2047, 100005 + 2047),
    OLD(100005),
    OK(100005 + 1025, 100005 + 1025), /* left edge of the new window */
    DUP(100005 + 2048),
    OK(UINT32_MAX, UINT32_MAX),
    OLD(100005 + 2048),
    DUP(UINT32_MAX),
};

/*
 * Window 64: ring of 2 blocks (128 numbers).  Jumps shorter than the ring
 * must free the slots they step into; the left edge is arithmetic.
 */
/* clang-format off */
static const struct step ring_alias_64[] = {
    OK(1, 1),     OK(2, 2),     OK(3, 3),     OK(64, 64),
    OK(130, 130), /* block 2 takes the slot of block 0: 1, 2, 3 forgotten */
    OK(129, 129), OK(128, 128), OK(131, 131), OLD(64),
    OLD(67),      OK(68, 68),   DUP(68),      OLD(3),
    OK(192, 192), /* block 3 takes the slot of block 1: 64, 68 forgotten */
    OLD(128),     DUP(129),     DUP(130),     DUP(131),
    OK(132, 132), OK(191, 191), DUP(192),     PEEK(256, 256),
    PEEK(320, 320),
};
/* clang-format on */

/*
 * Window edges around a primed top t: t - w + 1 is in, t - w is out.  With
 * ESN "out" means "placed in the next subspace" (RFC 4303 A2.1), and so
 * does 0: @old and @zero say which.
 */
/* clang-format off */
#define EDGE_STEPS(t, w, old, zero) {                  \
    DUP(t),                                            \
    old((t) - (w)),                                    \
    OK((t) - (w) + 1, (t) - (w) + 1),                  \
    DUP((t) - (w) + 1),                                \
    OK((t) - (w) + 2, (t) - (w) + 2),                  \
    OK((t) - 1, (t) - 1),                              \
    OK((t) + 1, (t) + 1),   /* edge moves up by one */ \
    old((t) - (w) + 1),                                \
    OK((t) - (w) + 3, (t) - (w) + 3),                  \
    PEEK((t) + 10000, (t) + 10000),                    \
    zero(0),                                           \
}
#define NEXT_SUBSPACE(l) PEEK((l), HI(1, (l)))
/* clang-format on */

static const struct step edge_64[] = EDGE_STEPS(10000, 64, OLD, BAD);
static const struct step edge_1024[] = EDGE_STEPS(10000, 1024, OLD, BAD);
static const struct step edge_4096[] = EDGE_STEPS(10000, 4096, OLD, BAD);
static const struct step edge_128[] = EDGE_STEPS(10000, 128, OLD, BAD); /* asked 65 or 100 */
static const struct step edge_max[] = EDGE_STEPS(200000, UIP_REPLAY_MAX_WINDOW, OLD, BAD);
static const struct step esn_edge_64[] = EDGE_STEPS(10000, 64, NEXT_SUBSPACE, NEXT_SUBSPACE);
static const struct step esn_edge_1024[] = EDGE_STEPS(10000, 1024, NEXT_SUBSPACE, NEXT_SUBSPACE);
static const struct step esn_edge_128[] = EDGE_STEPS(10000, 128, NEXT_SUBSPACE, NEXT_SUBSPACE);
static const struct step esn_edge_max[] =
    EDGE_STEPS(200000, UIP_REPLAY_MAX_WINDOW, NEXT_SUBSPACE, NEXT_SUBSPACE);

/* Without ESN the receiver never wraps: low values after 2^32 - 1 are old. */
static const struct step no_esn_top[] = {
    OK(UINT32_MAX - 1, UINT32_MAX - 1),
    OK(UINT32_MAX, UINT32_MAX),
    OLD(1),
    BAD(0),
    OLD(5),
    DUP(UINT32_MAX),
    OK(UINT32_MAX - 1023, UINT32_MAX - 1023),
    OLD(UINT32_MAX - 1024),
};

/* --- with ESN, window 1024 ---------------------------------------------- */

/*
 * Fresh SA: top 0, the window spans into the (absent) subspace before 0.  Its
 * bottom is 0 - 1024 + 1 = 0xfffffc01 mod 2^32.
 */
static const struct step esn_first[] = {
    BAD(0),                       /* 0:0 is never sent */
    OLD(UINT32_MAX),              /* would be subspace -1 */
    OLD(0xfffffc01),              /* bottom: still subspace -1 */
    PEEK(0xfffffc00, 0xfffffc00), /* below the bottom: far ahead in subspace 0 */
    OK(1, 1),
    DUP(1),
    OK(3, 3),
    OK(2, 2),
    BAD(0),          /* still 0:0 */
    OLD(0xfffffc04), /* bottom is now 3 - 1023 */
    PEEK(0xfffffc03, 0xfffffc03),
};

/* Low 32 bits wrap: top 0:fffffff0, then 1:2, then late packets from 0:*. */
static const struct step esn_wrap[] = {
    OK(0xfffffff5, 0xfffffff5),
    DUP(0xfffffff0),
    OK(2, HI(1, 2)),            /* Tl >= W - 1, lo < Bl: Th + 1 */
    OK(0xfffffff8, 0xfffffff8), /* Tl < W - 1, lo >= Bl (0xfffffc03): Th - 1 */
    DUP(0xfffffff5),
    DUP(0xfffffff0),
    DUP(2),
    PEEK(0xfffffc03, 0xfffffc03),        /* left edge: 1:2 - 1023 */
    PEEK(0xfffffc02, HI(1, 0xfffffc02)), /* lo < Bl: Th, far ahead */
    OK(0, HI(1, 0)),                     /* 1:0 is a valid number */
    OK(1, HI(1, 1)),
    OK(UINT32_MAX, UINT32_MAX),
    OK(0xfffffc03, 0xfffffc03),
    DUP(0xfffffc03),
    OK(1021, HI(1, 1021)),               /* Bl now 0xfffffffe */
    PEEK(0xfffffff8, HI(1, 0xfffffff8)), /* 0:fffffff8 left the window */
    PEEK(0xfffffffe, 0xfffffffe),        /* left edge, not seen */
    DUP(UINT32_MAX),
    DUP(0),
    OK(1022, HI(1, 1022)), /* Bl 0xffffffff: still spans */
    DUP(UINT32_MAX),       /* 0:ffffffff, the left edge */
    DUP(0),
    OK(1023, HI(1, 1023)), /* Tl = W - 1: inside subspace 1, Bl 0 */
    PEEK(UINT32_MAX, HI(1, UINT32_MAX)),
    DUP(0),
    OK(1024, HI(1, 1024)), /* Bl 1 */
    PEEK(0, HI(2, 0)),
    DUP(1),
};

/* Top 5:5000 (window inside one subspace): Bl = 3977. */
static const struct step esn_high5[] = {
    OK(4000, HI(5, 4000)),
    PEEK(3977, HI(5, 3977)),
    PEEK(3976, HI(6, 3976)),
    DUP(5000),
    DUP(4000),
    PEEK(0, HI(6, 0)),
    PEEK(UINT32_MAX, HI(5, UINT32_MAX)),
    OK(5001, HI(5, 5001)),
    OK(3978, HI(5, 3978)),
    PEEK(3977, HI(6, 3977)),
};

/* Top 5:10 (window spans subspaces 4 and 5): Bl = 10 - 1023 = 0xfffffc0b. */
static const struct step esn_high5_span[] = {
    PEEK(0xfffffc0b, HI(4, 0xfffffc0b)),
    PEEK(0xfffffc0a, HI(5, 0xfffffc0a)),
    OK(0, HI(5, 0)),
    OK(UINT32_MAX, HI(4, UINT32_MAX)),
    DUP(10),
    DUP(UINT32_MAX),
    OK(11, HI(5, 11)),
    PEEK(0xfffffc0b, HI(5, 0xfffffc0b)),
    PEEK(0xfffffc0c, HI(4, 0xfffffc0c)),
};

/* Top ffffffff:ffffff00, window 64: there is no subspace after the last. */
static const struct step esn_last[] = {
    BAD(5),
    BAD(0),
    PEEK(0xfffffec1, HI(UINT32_MAX, 0xfffffec1)),
    OK(UINT32_MAX, UINT64_MAX),
    DUP(UINT32_MAX),
    BAD(0xffffff80),
    PEEK(0xffffffc0, HI(UINT32_MAX, 0xffffffc0)),
    BAD(0xffffffbf),
    OK(0xffffffc1, HI(UINT32_MAX, 0xffffffc1)),
};

static const struct replay_case cases[] = {
    CASE("first-packet", 1024, false, 0, first_packet),
    CASE("in-order", 1024, false, 0, in_order),
    CASE("out-of-order", 1024, false, 0, out_of_order),
    CASE("left-edge", 1024, false, 0, left_edge_1024),
    CASE("far-ahead", 1024, false, 0, far_ahead),
    CASE("ring-alias-64", 64, false, 0, ring_alias_64),
    CASE("edge-64", 64, false, 10000, edge_64),
    CASE("edge-1024", 1024, false, 10000, edge_1024),
    CASE("edge-default", 0, false, 10000, edge_1024),
    CASE("edge-4096", 4096, false, 10000, edge_4096),
    CASE("edge-65", 65, false, 10000, edge_128),
    CASE("edge-100", 100, false, 10000, edge_128),
    CASE("edge-max", UIP_REPLAY_MAX_WINDOW, false, 200000, edge_max),
    CASE("no-esn-top", 1024, false, 0, no_esn_top),
    CASE("esn-first", 1024, true, 0, esn_first),
    CASE("esn-wrap", 1024, true, 0xfffffff0, esn_wrap),
    CASE("esn-high5", 1024, true, HI(5, 5000), esn_high5),
    CASE("esn-high5-span", 1024, true, HI(5, 10), esn_high5_span),
    CASE("esn-last", 64, true, HI(UINT32_MAX, 0xffffff00), esn_last),
    CASE("esn-edge-64", 64, true, 10000, esn_edge_64),
    CASE("esn-edge-1024", 1024, true, 10000, esn_edge_1024),
    CASE("esn-edge-100", 100, true, 10000, esn_edge_128),
    CASE("esn-edge-max", UIP_REPLAY_MAX_WINDOW, true, 200000, esn_edge_max),
};

struct snapshot {
    struct uip_replay r;
    uint64_t *bitmap;
};

static void snapshot_take(struct snapshot *s, const struct uip_replay *r)
{
    s->r = *r;
    s->bitmap = g_new(uint64_t, r->nblocks);
    memcpy(s->bitmap, r->bitmap, r->nblocks * sizeof(uint64_t));
}

static void snapshot_assert_same(struct snapshot *s, const struct uip_replay *r)
{
    g_assert_true(memcmp(&s->r, r, sizeof(*r)) == 0);
    g_assert_true(memcmp(s->bitmap, r->bitmap, r->nblocks * sizeof(uint64_t)) == 0);
    g_clear_pointer(&s->bitmap, g_free);
}

static void run_case(gconstpointer data)
{
    const struct replay_case *c = data;
    struct uip_replay r;

    g_assert_cmpint(uip_replay_init(&r, c->window, c->esn), ==, 0);
    if (c->prime)
        g_assert_cmpint(uip_replay_commit(&r, c->prime), ==, 0);

    for (size_t i = 0; i < c->nsteps; i++) {
        const struct step *st = &c->steps[i];
        struct snapshot snap;
        uint64_t seq = 0xdeadbeefcafef00d;
        int ret;

        snapshot_take(&snap, &r);
        ret = uip_replay_check(&r, st->lo, &seq);
        snapshot_assert_same(&snap, &r);

        if (ret != st->ret || (ret == 0 && seq != st->seq))
            g_error("%s step %zu: lo 0x%08" PRIx32 ": got %d seq 0x%016" PRIx64
                    ", want %d seq 0x%016" PRIx64,
                    c->name, i, st->lo, ret, seq, st->ret, st->seq);
        if (ret != 0)
            g_assert_cmphex(seq, ==, 0xdeadbeefcafef00d); /* untouched on failure */

        if (st->commit) {
            g_assert_cmpint(ret, ==, 0);
            g_assert_cmpint(uip_replay_commit(&r, seq), ==, 0);
            g_assert_cmpint(uip_replay_check(&r, st->lo, &seq), ==, -EALREADY);
        }
    }

    uip_replay_clear(&r);
}

/* --- contract ------------------------------------------------------------ */

static void test_init_bounds(void)
{
    static const struct {
        uint32_t ask;
        int ret;
        uint32_t window;
        uint32_t nblocks;
    } t[] = {
        {0, 0, UIP_REPLAY_DEFAULT_WINDOW, 32},
        {1, 0, 64, 2},
        {63, 0, 64, 2},
        {64, 0, 64, 2},
        {65, 0, 128, 4},
        {100, 0, 128, 4},
        {128, 0, 128, 4},
        {192, 0, 192, 4},
        {193, 0, 256, 8},
        {1024, 0, 1024, 32},
        {4096, 0, 4096, 128},
        {UIP_REPLAY_MAX_WINDOW - 63, 0, UIP_REPLAY_MAX_WINDOW, 2048},
        {UIP_REPLAY_MAX_WINDOW, 0, UIP_REPLAY_MAX_WINDOW, 2048},
        {UIP_REPLAY_MAX_WINDOW + 1, -EINVAL, 0, 0},
        {UINT32_MAX - 62, -EINVAL, 0, 0},
        {UINT32_MAX, -EINVAL, 0, 0},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        struct uip_replay r, before;

        memset(&r, 0xa5, sizeof(r));
        memcpy(&before, &r, sizeof(r));
        g_assert_cmpint(uip_replay_init(&r, t[i].ask, i & 1), ==, t[i].ret);
        if (t[i].ret != 0) {
            g_assert_true(memcmp(&r, &before, sizeof(r)) == 0);
            continue;
        }
        g_assert_cmpuint(r.window, ==, t[i].window);
        g_assert_cmpuint(r.nblocks, ==, t[i].nblocks);
        g_assert_cmpuint(r.nblocks & (r.nblocks - 1), ==, 0);
        g_assert_cmpuint(r.nblocks, >, r.window / 64);
        g_assert_cmpuint(r.top, ==, 0);
        g_assert_true(r.esn == (bool)(i & 1));
        g_assert_nonnull(r.bitmap);
        for (uint32_t b = 0; b < r.nblocks; b++)
            g_assert_cmphex(r.bitmap[b], ==, 0);
        uip_replay_clear(&r);
        g_assert_null(r.bitmap);
        uip_replay_clear(&r); /* twice is harmless */
    }
    uip_replay_clear(NULL);
}

static void test_commit_races(void)
{
    struct uip_replay r;
    uint64_t a, b;

    g_assert_cmpint(uip_replay_init(&r, 64, false), ==, 0);

    /* Two copies of one packet both pass check before either commits. */
    g_assert_cmpint(uip_replay_check(&r, 5, &a), ==, 0);
    g_assert_cmpint(uip_replay_check(&r, 5, &b), ==, 0);
    g_assert_cmpint(uip_replay_commit(&r, a), ==, 0);
    g_assert_cmpint(uip_replay_commit(&r, b), ==, -EALREADY);
    g_assert_cmpuint(r.top, ==, 5);

    /* Checked fine, then the window slid past it before the ICV verified. */
    g_assert_cmpint(uip_replay_check(&r, 3, &a), ==, 0);
    g_assert_cmpint(uip_replay_check(&r, 3 + 128, &b), ==, 0);
    g_assert_cmpint(uip_replay_commit(&r, b), ==, 0);
    {
        struct snapshot snap;

        snapshot_take(&snap, &r);
        /* 3 shares a ring slot with 131: a stale commit must not mark it */
        g_assert_cmpint(uip_replay_commit(&r, a), ==, -ESTALE);
        snapshot_assert_same(&snap, &r);

        snapshot_take(&snap, &r);
        g_assert_cmpint(uip_replay_commit(&r, 0), ==, -EINVAL);
        g_assert_cmpint(uip_replay_commit(&r, HI(1, 200)), ==, -EINVAL); /* no ESN */
        snapshot_assert_same(&snap, &r);
    }
    g_assert_cmpint(uip_replay_check(&r, 131 - 63, &a), ==, 0);
    g_assert_cmpint(uip_replay_check(&r, 131 - 64, &a), ==, -ESTALE);
    uip_replay_clear(&r);

    /* With ESN, commit takes 64-bit numbers. */
    g_assert_cmpint(uip_replay_init(&r, 64, true), ==, 0);
    g_assert_cmpint(uip_replay_commit(&r, HI(7, 1)), ==, 0);
    g_assert_cmpint(uip_replay_commit(&r, HI(7, 1)), ==, -EALREADY);
    g_assert_cmpint(uip_replay_commit(&r, HI(6, UINT32_MAX)), ==, 0);
    g_assert_cmpint(uip_replay_commit(&r, HI(6, UINT32_MAX - 62)), ==, -ESTALE);
    g_assert_cmpint(uip_replay_check(&r, UINT32_MAX - 61, &a), ==, 0);
    g_assert_cmphex(a, ==, HI(6, UINT32_MAX - 61));
    uip_replay_clear(&r);
}

/* Huge jumps cost at most one pass over the ring. */
static void test_huge_jumps(void)
{
    struct uip_replay r;
    uint64_t s;

    g_assert_cmpint(uip_replay_init(&r, UIP_REPLAY_MAX_WINDOW, true), ==, 0);
    for (uint64_t top = 70000; top < UINT64_MAX / 4; top = top * 3 + 12345) {
        g_assert_cmpint(uip_replay_commit(&r, top), ==, 0);
        g_assert_cmpint(uip_replay_check(&r, (uint32_t)top, &s), ==, -EALREADY);
        g_assert_cmpint(uip_replay_check(&r, (uint32_t)(top - 1), &s), ==, 0);
        g_assert_cmphex(s, ==, top - 1);
        for (uint32_t b = 0; b < r.nblocks; b++)
            if (b != ((top >> 6) & (r.nblocks - 1)))
                g_assert_cmphex(r.bitmap[b], ==, 0);
    }
    uip_replay_clear(&r);
}

/* --- randomized cross-check against a naive model ------------------------ */

struct model {
    uint64_t top;
    uint32_t window;
    bool esn;
    GHashTable *seen; /* int64_t numbers committed and still near the window */
};

/*
 * The number the model expects for @lo: the unique value congruent to @lo in
 * [top - W + 1, top - W + 2^32] (ESN; computed in signed 64-bit so that the
 * absent subspace before 0 shows as negative), or @lo itself.
 */
static int64_t model_infer(const struct model *m, uint32_t lo)
{
    int64_t base;

    if (!m->esn)
        return lo;
    base = (int64_t)m->top - m->window + 1;
    return base + (int64_t)(uint32_t)(lo - (uint32_t)base);
}

static int model_check(const struct model *m, int64_t s)
{
    if (s < 0)
        return -ESTALE;
    if (s == 0)
        return -EINVAL;
    if ((uint64_t)s > m->top)
        return 0;
    if (m->top - (uint64_t)s >= m->window)
        return -ESTALE;
    if (g_hash_table_contains(m->seen, &s))
        return -EALREADY;
    return 0;
}

static gboolean model_forget(gpointer key, gpointer value, gpointer user_data)
{
    const struct model *m = user_data;
    const int64_t *seen = key;
    uint64_t s = (uint64_t)seen[0];

    return s < m->top && m->top - s >= m->window;
}

static void model_commit(struct model *m, int64_t s)
{
    int64_t *key = g_new(int64_t, 1);

    *key = s;
    g_hash_table_add(m->seen, key);
    if ((uint64_t)s > m->top)
        m->top = (uint64_t)s;
    if (g_hash_table_size(m->seen) > 4 * m->window + 1024)
        g_hash_table_foreach_remove(m->seen, model_forget, m);
}

struct random_case {
    const char *name;
    uint32_t window;
    bool esn;
    uint64_t start;
    guint32 seed;
};

static void run_random(gconstpointer data)
{
    const struct random_case *c = data;
    const int nops = 200000;
    g_autoptr(GRand) rnd = g_rand_new_with_seed(c->seed);
    struct uip_replay r;
    struct model m = {0};
    uint64_t ring;
    unsigned committed = 0, accepted = 0, dup = 0, stale = 0, invalid = 0;
    int64_t history[256] = {0}; /* recently committed, to replay */

    g_assert_cmpint(uip_replay_init(&r, c->window, c->esn), ==, 0);
    m.window = r.window;
    m.esn = c->esn;
    m.seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    ring = (uint64_t)r.nblocks * 64;
    if (c->start) {
        g_assert_cmpint(uip_replay_commit(&r, c->start), ==, 0);
        model_commit(&m, (int64_t)c->start);
    }

    for (int op = 0; op < nops; op++) {
        int pick = g_rand_int_range(rnd, 0, 100);
        int64_t top = (int64_t)m.top;
        int64_t want_s, s;
        uint64_t got_s = 0;
        uint32_t lo;
        int want, got;
        bool forged = false;

        if (pick < 50)
            s = top + g_rand_int_range(rnd, 1, 4); /* in order, small loss */
        else if (pick < 70)
            s = top - g_rand_int_range(rnd, 0, m.window + 65); /* reordered, old */
        else if (pick < 80)
            s = history[g_rand_int_range(rnd, 0, G_N_ELEMENTS(history))]; /* replayed */
        else if (pick < 85)
            s = top + g_rand_int_range(rnd, m.window / 2, m.window + 129); /* partial slides */
        else if (pick < 90)
            s = top + g_rand_int_range(rnd, 1, (gint32)(3 * ring)); /* jumps around the ring size */
        else if (pick < 95)
            s = top - g_rand_int_range(rnd, 0, (gint32)(4 * ring)); /* old, aliasing ring slots */
        else {
            s = (int64_t)g_rand_int(rnd) + (c->esn ? top - G_MAXINT32 : 0); /* anything */
            forged = true;
        }
        if (!c->esn && (s < 0 || s > UINT32_MAX)) {
            s = g_rand_int(rnd);
            forged = true;
        }
        lo = (uint32_t)s;

        want_s = model_infer(&m, lo);
        want = model_check(&m, want_s);
        got = uip_replay_check(&r, lo, &got_s);
        if (got != want || (got == 0 && got_s != (uint64_t)want_s))
            g_error("%s op %d: top 0x%" PRIx64 " lo 0x%08" PRIx32 ": got %d 0x%" PRIx64
                    ", want %d 0x%" PRIx64,
                    c->name, op, m.top, lo, got, got_s, want, (uint64_t)want_s);
        dup += got == -EALREADY;
        stale += got == -ESTALE;
        invalid += got == -EINVAL;
        if (got != 0)
            continue;
        accepted++;

        /*
         * Commit as if the ICV verified: never for random garbage, nor when
         * ESN placed the number elsewhere than generated (a real packet would
         * fail the ICV then), and drop another 10% as if forged.
         */
        if (forged || want_s != s || g_rand_int_range(rnd, 0, 10) == 0)
            continue;
        g_assert_cmpint(uip_replay_commit(&r, got_s), ==, 0);
        model_commit(&m, want_s);
        history[committed++ % G_N_ELEMENTS(history)] = want_s;
        g_assert_cmphex(r.top, ==, m.top);

        /* Now and then, sweep the whole window and a little beyond. */
        if (op % 1000 == 0) {
            for (int64_t x = (int64_t)m.top - m.window - 64; x <= (int64_t)m.top + 64; x++) {
                uint64_t y = 0;

                if (!c->esn && (x < 0 || x > UINT32_MAX))
                    continue;
                want_s = model_infer(&m, (uint32_t)x);
                want = model_check(&m, want_s);
                got = uip_replay_check(&r, (uint32_t)x, &y);
                g_assert_cmpint(got, ==, want);
                if (got == 0)
                    g_assert_cmphex(y, ==, (uint64_t)want_s);
            }
        }
    }

    g_test_message(
        "%s: %u committed, %u more accepted, %u dup, %u stale, %u invalid, top 0x%" PRIx64, c->name,
        committed, accepted - committed, dup, stale, invalid, m.top);
    /* Make sure every path was taken often enough to mean something. */
    g_assert_cmpuint(committed, >, nops / 4);
    g_assert_cmpuint(accepted - committed, >, nops / 20);
    g_assert_cmpuint(dup, >, nops / 200);
    if (!c->esn)
        g_assert_cmpuint(stale, >, nops / 20);

    g_hash_table_destroy(m.seen);
    uip_replay_clear(&r);
}

static const struct random_case random_cases[] = {
    {"w64", 64, false, 0, 0x5eed0001},
    {"w100", 100, false, 0, 0x5eed0002},
    {"w1024", 1024, false, 0, 0x5eed0003},
    {"w4096", 4096, false, 0, 0x5eed0004},
    {"w1024-near-2to32", 1024, false, 0xffffffffu - 40000000, 0x5eed0005},
    {"esn-w64", 64, true, 0, 0x5eed0006},
    {"esn-w1024", 1024, true, 0, 0x5eed0007},
    {"esn-w128-wrap", 128, true, 0xffffffffu - 100000, 0x5eed0008},
    {"esn-w4096-high5", 4096, true, HI(5, 2000), 0x5eed0009},
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/replay/table/%s", cases[i].name);

        g_test_add_data_func(path, &cases[i], run_case);
    }
    g_test_add_func("/replay/init-bounds", test_init_bounds);
    g_test_add_func("/replay/commit-races", test_commit_races);
    g_test_add_func("/replay/huge-jumps", test_huge_jumps);
    for (size_t i = 0; i < G_N_ELEMENTS(random_cases); i++) {
        g_autofree char *path = g_strdup_printf("/replay/random/%s", random_cases[i].name);

        g_test_add_data_func(path, &random_cases[i], run_random);
    }

    return g_test_run();
}
