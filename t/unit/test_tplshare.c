/* Template sets shared by the processes of a server (gsprov_tplshare.c and
 * gsprov_templates_dir_share): loaders of one root stand in for the
 * children, sharing a slot and a snapshot directory; one test forks. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <apr_shm.h>
#include "unit.h"
#include "gsprov_templates_dir.h"
#include "gsprov_tplshare.h"

typedef struct {
    int n[1000];                /* lines per GSPROV id */
    char last[1024];
} logrec_t;

static void log_fn(void *baton, const char *file, int line,
                   gsprov_log_level_e level, const char *msg)
{
    logrec_t *r = baton;
    int id = gsprov_log_msgid(msg);
    r->n[id >= 0 && id < 1000 ? id : 0]++;
    apr_cpystrn(r->last, msg, sizeof(r->last));
}

static const char DEFAULTS[] =
    "<gs_provision>\n<config>\n<P1>default</P1>\n</config>\n</gs_provision>\n";

static const char *model_xml(const char *v)
{
    return apr_psprintf(pool, "<gs_provision><config><P1>%s</P1></config>"
                        "</gs_provision>", v);
}

static const char BROKEN[] = "<gs_provision><config><P1>x</P2></config>"
                             "</gs_provision>";

static const char *make_root(void)
{
    const char *d = unit_tmpdir();
    unit_write(d, "defaults.xml", DEFAULTS, -1);
    unit_write(d, "models/gxp2170.xml", model_xml("v1"), -1);
    unit_write(d, "groups/sales.xml", DEFAULTS, -1);
    return d;
}

static gsprov_templates_dir_t *open_dir(apr_pool_t *p, const char *root,
                                        logrec_t *rec)
{
    gsprov_logger_t log = { log_fn, rec, GSPROV_LOG_DEBUG, NULL };
    gsprov_templates_dir_t *d = NULL;
    char *err = NULL;
    ck_assert_msg(gsprov_templates_dir_open(p, root, &log, &d, &err)
                  == APR_SUCCESS, "open: %s", err ? err : "?");
    return d;
}

/* The model's P1 of what d serves now (interval in seconds). */
static const char *p1(gsprov_templates_dir_t *d, int interval)
{
    apr_pool_t *p;
    const gsprov_templates_t *t;
    const gsprov_layer_t *l;
    const char *v = NULL;
    int i;

    apr_pool_create(&p, pool);
    t = gsprov_templates_dir_get(d, p, apr_time_from_sec(interval));
    l = apr_hash_get(t->models, "gxp2170", APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(l);
    for (i = 0; i < l->params->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(l->params, i, gsprov_param_t).name, "P1"))
            v = apr_pstrdup(pool, APR_ARRAY_IDX(l->params, i,
                                                gsprov_param_t).value);
    apr_pool_destroy(p);
    return v;
}

static const char *version(gsprov_templates_dir_t *d)
{
    apr_pool_t *p;
    const char *v;
    apr_pool_create(&p, pool);
    v = apr_pstrdup(pool, gsprov_templates_dir_get(d, p,
                    apr_time_from_sec(3600))->version);
    apr_pool_destroy(p);
    return v;
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Three "children" of one server: a good edit one of them loaded is what
 * the others serve from their next request on, even after a broken edit
 * and whatever their interval; the broken edit is logged once. */
START_TEST(tplshare_converge)
{
    const char *root = make_root(), *snap = unit_tmpdir(), *v2;
    logrec_t ra, rb, rc;
    gsprov_tplshare_slot_t *slot = apr_pcalloc(pool, sizeof(*slot));
    gsprov_templates_dir_t *a, *b, *c;
    const apr_array_header_t *all;
    apr_pool_t *conf;
    int i;

    memset(&ra, 0, sizeof(ra));
    memset(&rb, 0, sizeof(rb));
    memset(&rc, 0, sizeof(rc));
    apr_pool_create(&conf, pool);
    a = open_dir(conf, root, &ra);
    b = open_dir(conf, root, &rb);
    c = open_dir(conf, root, &rc);
    /* every loader opened with the server's pool is listed, in order */
    all = gsprov_templates_dir_list(conf);
    ck_assert_ptr_nonnull(all);
    ck_assert_int_eq(all->nelts, 3);
    ck_assert_ptr_eq(APR_ARRAY_IDX(all, 2, gsprov_templates_dir_t *), c);
    ck_assert_ptr_null(gsprov_templates_dir_list(pool));
    gsprov_templates_dir_share(a, slot, snap, "0");
    gsprov_templates_dir_share(b, slot, snap, "0");
    gsprov_templates_dir_share(c, slot, snap, "0");
    ck_assert_uint_eq(slot->st.gen, 1);
    ck_assert_str_eq(slot->st.version, version(a));
    ck_assert_str_eq(p1(a, 0), "v1");
    ck_assert_str_eq(p1(b, 0), "v1");

    /* a good edit, seen by a only */
    unit_write(root, "models/gxp2170.xml", model_xml("v2"), -1);
    ck_assert_str_eq(p1(a, 0), "v2");
    v2 = version(a);
    ck_assert_uint_eq(slot->st.gen, 2);
    ck_assert_str_eq(slot->st.version, v2);
    ck_assert(exists(apr_pstrcat(pool, snap, "/0.", v2, NULL)));
    ck_assert_int_eq(ra.n[202], 1);

    /* then a broken one: b checks it (interval 0), c does not even look
     * (interval of an hour); both serve v2, from a's snapshot */
    unit_write(root, "models/gxp2170.xml", BROKEN, -1);
    for (i = 0; i < 3; i++) {
        ck_assert_str_eq(p1(b, 0), "v2");
        ck_assert_str_eq(p1(c, 3600), "v2");
        ck_assert_str_eq(p1(a, 0), "v2");
    }
    ck_assert_str_eq(version(b), v2);
    ck_assert_int_eq(rb.n[206], 1);     /* b took a's set */
    ck_assert_int_eq(rc.n[206], 1);
    /* logged once for the three of them, by whoever checked first */
    ck_assert_int_eq(ra.n[201] + rb.n[201] + rc.n[201], 1);
    ck_assert_int_eq(rb.n[201], 1);
    ck_assert_msg(strstr(rb.last, apr_psprintf(pool, "still serving version "
                                               "%.12s", v2)) != NULL,
                  "%s", rb.last);
    ck_assert_int_eq(ra.n[202] + rb.n[202] + rc.n[202], 1);

    /* fixed: whoever checks loads it; the other snapshot is removed */
    unit_write(root, "models/gxp2170.xml", model_xml("v3"), -1);
    ck_assert_str_eq(p1(c, 0), "v3");
    ck_assert_str_eq(p1(a, 3600), "v3");
    ck_assert_str_eq(p1(b, 3600), "v3");
    ck_assert_uint_eq(slot->st.gen, 3);
    ck_assert(!exists(apr_pstrcat(pool, snap, "/0.", v2, NULL)));
    ck_assert(exists(apr_pstrcat(pool, snap, "/0.", slot->st.version, NULL)));

    /* the same bytes again (a touch, an undone edit): no new generation */
    unit_write(root, "models/gxp2170.xml", BROKEN, -1);
    ck_assert_str_eq(p1(a, 0), "v3");
    unit_write(root, "models/gxp2170.xml", model_xml("v3"), -1);
    ck_assert_str_eq(p1(a, 0), "v3");
    ck_assert_uint_eq(slot->st.gen, 3);
    ck_assert_str_eq(slot->st.failed, "");
    ck_assert_int_eq(ra.n[201] + rb.n[201] + rc.n[201], 2);
    ck_assert_int_eq(ra.n[204] + rb.n[204] + rc.n[204], 0);
    apr_pool_destroy(conf);
}
END_TEST

/* A snapshot that is gone or not ours: the files, if they are still that
 * version; else the older set stays, logged once (GSPROV0204). */
START_TEST(tplshare_snapshot_lost)
{
    const char *root = make_root(), *snap = unit_tmpdir();
    logrec_t ra, rb;
    gsprov_tplshare_slot_t *slot = apr_pcalloc(pool, sizeof(*slot));
    gsprov_templates_dir_t *a, *b;
    apr_pool_t *conf;

    memset(&ra, 0, sizeof(ra));
    memset(&rb, 0, sizeof(rb));
    apr_pool_create(&conf, pool);
    a = open_dir(conf, root, &ra);
    b = open_dir(conf, root, &rb);
    gsprov_templates_dir_share(a, slot, snap, "7");
    gsprov_templates_dir_share(b, slot, snap, "7");

    /* gone, files unchanged: loaded from the files */
    unit_write(root, "models/gxp2170.xml", model_xml("v2"), -1);
    ck_assert_str_eq(p1(a, 0), "v2");
    ck_assert_int_eq(unlink(apr_pstrcat(pool, snap, "/7.", slot->st.version,
                                        NULL)), 0);
    ck_assert_str_eq(p1(b, 3600), "v2");
    ck_assert_int_eq(rb.n[204], 0);

    /* not ours, files broken since: b keeps v2, says so once */
    unit_write(root, "models/gxp2170.xml", model_xml("v3"), -1);
    ck_assert_str_eq(p1(a, 0), "v3");
    unit_write(snap, apr_pstrcat(pool, "7.", slot->st.version, NULL),
               "gsprov-templates 1\nstamp x\nmodels/gxp2170.xml 99\n<x/>\n",
               -1);
    unit_write(root, "models/gxp2170.xml", BROKEN, -1);
    ck_assert_str_eq(p1(b, 3600), "v2");
    ck_assert_str_eq(p1(b, 3600), "v2");
    ck_assert_int_eq(rb.n[204], 1);
    ck_assert_msg(strstr(rb.last, "not a template snapshot") != NULL, "%s",
                  rb.last);
    /* a snapshot holding other bytes than its name says: refused too */
    unit_write(root, "models/gxp2170.xml", model_xml("v4"), -1);
    ck_assert_str_eq(p1(a, 0), "v4");
    unit_write(snap, apr_pstrcat(pool, "7.", slot->st.version, NULL),
               apr_pstrcat(pool, "gsprov-templates 1\nstamp x\n"
                           "defaults.xml ", apr_itoa(pool, sizeof(DEFAULTS)
                                                     - 1), "\n", DEFAULTS,
                           "\n", NULL), -1);
    unit_write(root, "models/gxp2170.xml", BROKEN, -1);
    ck_assert_str_eq(p1(b, 3600), "v2");
    ck_assert_int_eq(rb.n[204], 2);
    ck_assert_msg(strstr(rb.last, "its snapshot holds version") != NULL, "%s",
                  rb.last);
    apr_pool_destroy(conf);
}
END_TEST

/* The snapshot file format round-trips any bytes, and the reader refuses
 * what it did not write. */
START_TEST(tplshare_file_format)
{
    const char *snap = unit_tmpdir(), *stamp = NULL;
    apr_array_header_t *in = apr_array_make(pool, 2,
                                            sizeof(gsprov_tplshare_file_t));
    apr_array_header_t *out = NULL;
    gsprov_tplshare_file_t *f;
    char *err = NULL;
    static const char *const bad[] = {
        "", "gsprov-templates 2\nstamp s\n", "gsprov-templates 1\n",
        "gsprov-templates 1\nstamp s\ndefaults.xml 5\nab\n",
        "gsprov-templates 1\nstamp s\ndefaults.xml -1\n\n",
        "gsprov-templates 1\nstamp s\ndefaults.xml 2\nabc\n",
        "gsprov-templates 1\nstamp s\n 2\nab\n",
        "gsprov-templates 1\nstamp s\ndefaults.xml2\nab\n",
    };
    size_t i;

    f = apr_array_push(in);
    f->rel = "defaults.xml";
    f->data = "a\nb 3\n\0z";
    f->len = 9;
    f = apr_array_push(in);
    f->rel = "groups/x.xml";
    f->data = "";
    f->len = 0;
    ck_assert_status(gsprov_tplshare_save(pool, snap, "1", "vv", "st", in,
                                          &err), APR_SUCCESS);
    ck_assert_status(gsprov_tplshare_load(pool, snap, "1", "vv", &stamp, &out,
                                          &err), APR_SUCCESS);
    ck_assert_str_eq(stamp, "st");
    ck_assert_int_eq(out->nelts, 2);
    f = &APR_ARRAY_IDX(out, 0, gsprov_tplshare_file_t);
    ck_assert_str_eq(f->rel, "defaults.xml");
    ck_assert_uint_eq(f->len, 9);
    ck_assert(memcmp(f->data, "a\nb 3\n\0z", 9) == 0);
    ck_assert_int_eq(f->data[9], '\0');
    f = &APR_ARRAY_IDX(out, 1, gsprov_tplshare_file_t);
    ck_assert_str_eq(f->rel, "groups/x.xml");
    ck_assert_uint_eq(f->len, 0);
    ck_assert_status(gsprov_tplshare_load(pool, snap, "1", "other", &stamp,
                                          &out, &err), APR_ENOENT);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unit_write(snap, "1.bad", bad[i], -1);
        err = NULL;
        ck_assert_msg(gsprov_tplshare_load(pool, snap, "1", "bad", &stamp,
                                           &out, &err) == GSPROV_ECORRUPT,
                      "case %d accepted", (int)i);
        ck_assert_ptr_nonnull(strstr(err, "not a template snapshot"));
    }
    gsprov_tplshare_remove(pool, snap, "1", "vv");
    ck_assert(!exists(apr_pstrcat(pool, snap, "/1.vv", NULL)));
}
END_TEST

/* The lease: one checker at a time, due only after the interval, and a
 * dead checker's lease runs out. */
START_TEST(tplshare_lease)
{
    gsprov_tplshare_slot_t s;
    gsprov_tplshare_state_t st;
    apr_time_t now = apr_time_now();

    memset(&s, 0, sizeof(s));
    s.last_check = (apr_uint64_t)now;
    ck_assert_int_eq(gsprov_tplshare_claim(&s, now, apr_time_from_sec(5)), 0);
    ck_assert_int_eq(gsprov_tplshare_claim(&s, now + apr_time_from_sec(5),
                                           apr_time_from_sec(5)), 1);
    /* held: nobody else, even with interval 0 */
    ck_assert_int_eq(gsprov_tplshare_claim(&s, now + apr_time_from_sec(6), 0),
                     0);
    /* a holder that died: free again after the lease */
    ck_assert_int_eq(gsprov_tplshare_claim(&s, now + apr_time_from_sec(66),
                                           0), 1);
    gsprov_tplshare_release(&s);
    ck_assert_int_eq(gsprov_tplshare_claim(&s, now + apr_time_from_sec(66),
                                           0), 1);
    gsprov_tplshare_release(&s);
    /* a writer that died in the middle leaves the sequence odd: readers
     * give up rather than spin for ever, the next writer evens it out */
    memset(&st, 0, sizeof(st));
    st.gen = 4;
    s.seq = 7;
    ck_assert_int_eq(gsprov_tplshare_read(&s, &st), 0);
    gsprov_tplshare_write(&s, &st);
    ck_assert_uint_eq(s.seq % 2, 0);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(gsprov_tplshare_read(&s, &st), 1);
    ck_assert_uint_eq(st.gen, 4);
    ck_assert_uint_eq(gsprov_tplshare_gen(&s), 4);
}
END_TEST

/* Real processes, as httpd makes them: loaded and shared before the fork;
 * the parent loads a good edit, then the files break; the child, which
 * never looked in between, serves the good edit. */
START_TEST(tplshare_fork)
{
    const char *root = make_root(), *snap = unit_tmpdir();
    apr_shm_t *shm = NULL;
    gsprov_tplshare_slot_t *slot;
    gsprov_templates_dir_t *d;
    logrec_t r;
    int st = -1, go[2];
    char c;
    pid_t pid;

    memset(&r, 0, sizeof(r));
    ck_assert_status(apr_shm_create(&shm, sizeof(*slot), NULL, pool),
                     APR_SUCCESS);
    slot = apr_shm_baseaddr_get(shm);
    d = open_dir(pool, root, &r);
    gsprov_templates_dir_share(d, slot, snap, "0");
    ck_assert_int_eq(pipe(go), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int rc = 10;
        if (read(go[0], &c, 1) == 1) {
            const char *v = p1(d, 0);
            rc = v && !strcmp(v, "v2") ? 0 : 11;
            /* and it logged the broken edit, being the first to see it */
            if (!rc && r.n[201] != 1)
                rc = 12;
        }
        _exit(rc);
    }
    unit_write(root, "models/gxp2170.xml", model_xml("v2"), -1);
    ck_assert_str_eq(p1(d, 0), "v2");
    unit_write(root, "models/gxp2170.xml", BROKEN, -1);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    /* the parent does not log it again */
    ck_assert_str_eq(p1(d, 0), "v2");
    ck_assert_int_eq(r.n[201], 0);
}
END_TEST

Suite *tplshare_suite(void)
{
    Suite *s = suite_create("tplshare");
    TCase *tc = unit_tcase("tplshare");
    tcase_add_test(tc, tplshare_converge);
    tcase_add_test(tc, tplshare_snapshot_lost);
    tcase_add_test(tc, tplshare_file_format);
    tcase_add_test(tc, tplshare_lease);
    tcase_add_test(tc, tplshare_fork);
    suite_add_tcase(s, tc);
    return s;
}
