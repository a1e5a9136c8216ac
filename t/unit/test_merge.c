#include "unit.h"
#include "gsprov_merge.h"

static gsprov_layer_t *layer(const char *label, const char *config)
{
    gsprov_layer_t *l = NULL;
    char *err = NULL;
    const char *xml = apr_pstrcat(pool, "<gs_provision>", config,
                                  "</gs_provision>", NULL);
    apr_status_t rv = gsprov_xml_parse_layer(pool, xml, strlen(xml), label, &l,
                                         &err);
    ck_assert_msg(rv == APR_SUCCESS, "%s", err ? err : "?");
    return l;
}

static const gsprov_param_t *M(const gsprov_merged_t *m, int i)
{
    ck_assert_int_lt(i, m->params->nelts);
    return APR_ARRAY_IDX(m->params, i, const gsprov_param_t *);
}

#define ck_merged(m, i, n, v, s) do {                                       \
        const gsprov_param_t *q_ = M((m), (i));                             \
        ck_assert_str_eq(q_->name, (n));                                    \
        ck_assert_str_eq(q_->value, (v));                                   \
        ck_assert_str_eq(q_->src, (s));                                     \
    } while (0)

START_TEST(merge_order)
{
    const gsprov_layer_t *ls[6];
    gsprov_merged_t *m = NULL;
    char *err = NULL;

    ls[0] = layer("defaults.xml", "<config><P1>d1</P1><P2>d2</P2>"
                  "<P3>d3</P3><P4>d4</P4></config>");
    ls[1] = layer("models/m.xml", "<config><P3>m3</P3><P5>m5</P5>"
                  "<P1>m1</P1></config>");
    ls[2] = NULL;                                   /* skipped */
    ls[3] = layer("groups/g1.xml", "<config><P6>g1-6</P6><P3>g1-3</P3>"
                  "</config>");
    ls[4] = layer("groups/g2.xml", "<config><P3>g2-3</P3><P6>g2-6</P6>"
                  "<P2>g2-2</P2></config>");
    ls[5] = layer("devices/d.xml", "<config><P7>dev7</P7><P2>dev2</P2>"
                  "</config>");

    ck_assert_status(gsprov_merge(pool, ls, 6, &m, &err), APR_SUCCESS);
    ck_assert_int_eq(m->version, 1);
    ck_assert_int_eq(m->params->nelts, 7);
    /* first-appearance order, latest value in place */
    ck_merged(m, 0, "P1", "m1", "models/m.xml");
    ck_merged(m, 1, "P2", "dev2", "devices/d.xml");
    ck_merged(m, 2, "P3", "g2-3", "groups/g2.xml");
    ck_merged(m, 3, "P4", "d4", "defaults.xml");
    ck_merged(m, 4, "P5", "m5", "models/m.xml");
    ck_merged(m, 5, "P6", "g2-6", "groups/g2.xml");
    ck_merged(m, 6, "P7", "dev7", "devices/d.xml");
    ck_assert_str_eq(gsprov_merge_get(m, "P3")->value, "g2-3");
    ck_assert_str_eq(gsprov_merge_get(m, "P4")->value, "d4");
    ck_assert_ptr_null(gsprov_merge_get(m, "P8"));
}
END_TEST

START_TEST(merge_group_order_matters)
{
    const gsprov_layer_t *ls[3];
    gsprov_merged_t *m = NULL;
    char *err = NULL;

    ls[0] = layer("groups/b.xml", "<config><P1>b</P1></config>");
    ls[1] = layer("groups/a.xml", "<config><P1>a</P1></config>");
    ls[2] = NULL;
    ck_assert_status(gsprov_merge(pool, ls, 3, &m, &err), APR_SUCCESS);
    ck_assert_str_eq(gsprov_merge_get(m, "P1")->value, "a");
    ls[2] = ls[0];
    ck_assert_status(gsprov_merge(pool, ls, 3, &m, &err), APR_SUCCESS);
    ck_assert_str_eq(gsprov_merge_get(m, "P1")->value, "b");
    ck_assert_int_eq(m->params->nelts, 1);
}
END_TEST

START_TEST(merge_v2_parts)
{
    const gsprov_layer_t *ls[2];
    gsprov_merged_t *m = NULL;
    char *err = NULL;

    ls[0] = layer("defaults.xml", "<config version=\"2\">"
                  "<item name=\"acct\"><part name=\"a\">1</part>"
                  "<part name=\"b\">2</part></item>"
                  "<item name=\"x\">x0</item></config>");
    ls[1] = layer("devices/d.xml", "<config version=\"2\">"
                  "<item name=\"acct\"><part name=\"b\">B</part>"
                  "<part name=\"c\">C</part></item>"
                  "<item name=\"x\">x1</item></config>");
    ck_assert_status(gsprov_merge(pool, ls, 2, &m, &err), APR_SUCCESS);
    ck_assert_int_eq(m->version, 2);
    ck_assert_int_eq(m->params->nelts, 4);
    ck_assert_str_eq(M(m, 0)->part, "a");
    ck_assert_str_eq(M(m, 0)->value, "1");
    ck_assert_str_eq(M(m, 1)->part, "b");
    ck_assert_str_eq(M(m, 1)->value, "B");
    ck_assert_str_eq(M(m, 2)->name, "x");
    ck_assert_str_eq(M(m, 2)->value, "x1");
    ck_assert_str_eq(M(m, 3)->part, "c");
    /* merged_get finds plain items only */
    ck_assert_str_eq(gsprov_merge_get(m, "x")->value, "x1");
    ck_assert_ptr_null(gsprov_merge_get(m, "acct"));
}
END_TEST

/* Leaving plain parameters out: the rest keep their order and can still
 * be looked up; parts of a v2 item of the same name stay; the source
 * merge is untouched (it may be a shared, memoized chain). */
START_TEST(merge_without)
{
    const gsprov_layer_t *ls[2];
    gsprov_merged_t *m = NULL, *w;
    const char *const drop[] = { "P2", "P9", "acct" };
    char *err = NULL;

    ls[0] = layer("defaults.xml", "<config><P1>1</P1><P2>2</P2><P3>3</P3>"
                  "</config>");
    ls[1] = layer("devices/d.xml", "<config><P4>4</P4><P2>two</P2>"
                  "</config>");
    ck_assert_status(gsprov_merge(pool, ls, 2, &m, &err), APR_SUCCESS);
    w = gsprov_merge_without(pool, m, drop, 3);
    ck_assert_int_eq(w->params->nelts, 3);
    ck_merged(w, 0, "P1", "1", "defaults.xml");
    ck_merged(w, 1, "P3", "3", "defaults.xml");
    ck_merged(w, 2, "P4", "4", "devices/d.xml");
    ck_assert_ptr_null(gsprov_merge_get(w, "P2"));
    ck_assert_str_eq(gsprov_merge_get(w, "P4")->value, "4");
    ck_assert_int_eq(m->params->nelts, 4);
    ck_assert_str_eq(gsprov_merge_get(m, "P2")->value, "two");

    ls[0] = layer("defaults.xml", "<config version=\"2\">"
                  "<item name=\"acct\"><part name=\"a\">1</part></item>"
                  "<item name=\"x\">x</item></config>");
    ck_assert_status(gsprov_merge(pool, ls, 1, &m, &err), APR_SUCCESS);
    w = gsprov_merge_without(pool, m, drop, 3);
    ck_assert_int_eq(w->params->nelts, 2);
    ck_assert_str_eq(M(w, 0)->part, "a");
    ck_assert_str_eq(gsprov_merge_get(w, "x")->value, "x");
}
END_TEST

/* Replacing one plain parameter in place, also one that only an overlay
 * added; the source merge is untouched. */
START_TEST(merge_replace)
{
    const gsprov_layer_t *ls[1];
    gsprov_merged_t *m = NULL, *o = NULL, *r;
    gsprov_layer_t *dev;
    gsprov_param_t prm;
    char *err = NULL;

    ls[0] = layer("defaults.xml", "<config><P1>1</P1><P2>2</P2></config>");
    ck_assert_status(gsprov_merge(pool, ls, 1, &m, &err), APR_SUCCESS);
    dev = layer("devices/d.xml", "<config><P3>3</P3><P1>one</P1></config>");
    ls[0] = dev;
    ck_assert_status(gsprov_merge_overlay(pool, m, ls, 1, &o, &err),
                     APR_SUCCESS);
    memset(&prm, 0, sizeof(prm));
    prm.name = "P3";
    prm.value = "new";
    prm.src = "x";
    r = gsprov_merge_replace(pool, o, &prm);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->params->nelts, 3);
    ck_merged(r, 0, "P1", "one", "devices/d.xml");
    ck_merged(r, 1, "P2", "2", "defaults.xml");
    ck_merged(r, 2, "P3", "new", "x");
    ck_assert_str_eq(gsprov_merge_get(r, "P3")->value, "new");
    ck_merged(o, 2, "P3", "3", "devices/d.xml");
    prm.name = "P2";
    r = gsprov_merge_replace(pool, r, &prm);
    ck_merged(r, 1, "P2", "new", "x");
    ck_merged(m, 1, "P2", "2", "defaults.xml");
    prm.name = "P9";
    ck_assert_ptr_null(gsprov_merge_replace(pool, r, &prm));
}
END_TEST

START_TEST(merge_empty_layers)
{
    const gsprov_layer_t *ls[3];
    gsprov_merged_t *m = NULL;
    char *err = NULL;

    ls[0] = gsprov_layer_empty(pool, "defaults.xml");
    ls[1] = gsprov_layer_empty(pool, "devices/d.xml");
    ck_assert_status(gsprov_merge(pool, ls, 2, &m, &err), APR_SUCCESS);
    ck_assert_int_eq(m->version, 1);
    ck_assert_int_eq(m->params->nelts, 0);

    /* empty layers take no part in the version check */
    ls[2] = layer("models/m.xml", "<config version=\"2\"><item name=\"a\">1"
                  "</item></config>");
    ck_assert_status(gsprov_merge(pool, ls, 3, &m, &err), APR_SUCCESS);
    ck_assert_int_eq(m->version, 2);
    ck_assert_status(gsprov_merge(pool, ls, 0, &m, &err), APR_SUCCESS);
    ck_assert_int_eq(m->params->nelts, 0);
}
END_TEST

START_TEST(merge_mixed)
{
    const gsprov_layer_t *ls[4];
    gsprov_merged_t *m = NULL;
    char *err = NULL;

    ls[0] = gsprov_layer_empty(pool, "defaults.xml");
    ls[1] = layer("models/gxp2170.xml", "<config><P1>1</P1></config>");
    ls[2] = layer("groups/sales.xml", "<config><P2>2</P2></config>");
    ls[3] = layer("groups/v2grp.xml", "<config version=\"2\">"
                  "<item name=\"a\">1</item></config>");
    ck_assert_status(gsprov_merge(pool, ls, 4, &m, &err), GSPROV_EMIXED);
    ck_assert_str_eq(err, "mixed config versions: models/gxp2170.xml is "
                     "version 1, groups/v2grp.xml is version 2");
}
END_TEST

/* Laying layers over a merged chain gives what merging them all gives,
 * and leaves the chain as it was (it is shared by every request). */
START_TEST(merge_overlay_layers)
{
    const gsprov_layer_t *all[4], *over[3];
    gsprov_merged_t *base = NULL, *m = NULL, *whole = NULL;
    char *err = NULL;
    int i;

    all[0] = layer("defaults.xml", "<config><P1>d1</P1><P2>d2</P2></config>"
                   "<var name=\"a\">da</var><var name=\"b\">db</var>");
    all[1] = layer("groups/g1.xml", "<config><P3>g1-3</P3><P2>g1-2</P2>"
                   "</config><var name=\"a\">g1a</var>");
    all[2] = layer("groups/g2.xml", "<config><P3>g2-3</P3><P4>g2-4</P4>"
                   "</config><var name=\"b\">g2b</var>");
    all[3] = layer("devices/d.xml", "<config><P4>dev4</P4><P5>dev5</P5>"
                   "<P1>dev1</P1></config>");
    ck_assert_status(gsprov_merge(pool, all, 1, &base, &err), APR_SUCCESS);
    ck_assert_status(gsprov_merge(pool, all, 4, &whole, &err), APR_SUCCESS);
    for (i = 0; i < 3; i++)
        over[i] = all[i + 1];
    ck_assert_status(gsprov_merge_overlay(pool, base, over, 3, &m, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(m->params->nelts, whole->params->nelts);
    for (i = 0; i < m->params->nelts; i++)
        ck_assert_ptr_eq(M(m, i), M(whole, i));
    /* keys added by one layer are found by the next */
    ck_merged(m, 2, "P3", "g2-3", "groups/g2.xml");
    ck_merged(m, 3, "P4", "dev4", "devices/d.xml");
    ck_assert_str_eq(gsprov_merge_get(m, "P4")->value, "dev4");
    ck_assert_str_eq(gsprov_merge_get(m, "P1")->value, "dev1");
    ck_assert_str_eq(apr_hash_get(m->vars, "a", 1), "g1a");
    ck_assert_str_eq(apr_hash_get(m->vars, "b", 1), "g2b");
    /* the base is untouched */
    ck_assert_int_eq(base->params->nelts, 2);
    ck_merged(base, 0, "P1", "d1", "defaults.xml");
    ck_assert_str_eq(apr_hash_get(base->vars, "a", 1), "da");
    ck_assert_ptr_null(gsprov_merge_get(base, "P3"));
    /* nothing laid over: the same parameters, not a copy */
    ck_assert_status(gsprov_merge_overlay(pool, base, over, 0, &m, &err),
                     APR_SUCCESS);
    ck_assert_ptr_eq(m->params, base->params);
    /* a layer of the other version, over the chain or another layer */
    over[1] = layer("groups/v2.xml", "<config version=\"2\"><item "
                    "name=\"a\">1</item></config>");
    ck_assert_status(gsprov_merge_overlay(pool, base, over, 3, &m, &err),
                     GSPROV_EMIXED);
    ck_assert_str_eq(err, "mixed config versions: defaults.xml is version 1, "
                     "groups/v2.xml is version 2");
    ck_assert_status(gsprov_merge(pool, all, 0, &base, &err), APR_SUCCESS);
    ck_assert_status(gsprov_merge_overlay(pool, base, over + 1, 2, &m, &err),
                     GSPROV_EMIXED);
    ck_assert_str_eq(err, "mixed config versions: groups/v2.xml is version 2, "
                     "devices/d.xml is version 1");
}
END_TEST

/* Many parameters: the slot table finds every one of them. */
START_TEST(merge_many)
{
    const gsprov_layer_t *ls[2];
    gsprov_merged_t *m = NULL;
    const char *a = "<config>", *b = "<config>";
    char *err = NULL;
    int i;

    for (i = 0; i < 700; i++) {
        a = apr_psprintf(pool, "%s<P%d>a%d</P%d>", a, i, i, i);
        if (i % 3 == 0)
            b = apr_psprintf(pool, "%s<P%d>b%d</P%d>", b, 1000 + i, i,
                             1000 + i);
        else if (i % 3 == 1)
            b = apr_psprintf(pool, "%s<P%d>b%d</P%d>", b, i, i, i);
    }
    ls[0] = layer("defaults.xml", apr_pstrcat(pool, a, "</config>", NULL));
    ls[1] = layer("models/m.xml", apr_pstrcat(pool, b, "</config>", NULL));
    ck_assert_status(gsprov_merge(pool, ls, 2, &m, &err), APR_SUCCESS);
    ck_assert_int_eq(m->params->nelts, 700 + 234);
    for (i = 0; i < 700; i++) {
        const char *name = apr_psprintf(pool, "P%d", i);
        ck_assert_str_eq(gsprov_merge_get(m, name)->value,
                         apr_psprintf(pool, "%c%d", i % 3 == 1 ? 'b' : 'a',
                                      i));
        if (i % 3 == 0)
            ck_assert_str_eq(gsprov_merge_get(m, apr_psprintf(pool, "P%d",
                                              1000 + i))->value,
                             apr_psprintf(pool, "b%d", i));
    }
    ck_assert_ptr_null(gsprov_merge_get(m, "P999"));
}
END_TEST

Suite *merge_suite(void)
{
    Suite *s = suite_create("merge");
    TCase *tc = unit_tcase("merge");
    tcase_add_test(tc, merge_order);
    tcase_add_test(tc, merge_group_order_matters);
    tcase_add_test(tc, merge_v2_parts);
    tcase_add_test(tc, merge_empty_layers);
    tcase_add_test(tc, merge_mixed);
    tcase_add_test(tc, merge_without);
    tcase_add_test(tc, merge_replace);
    tcase_add_test(tc, merge_overlay_layers);
    tcase_add_test(tc, merge_many);
    suite_add_tcase(s, tc);
    return s;
}
