#include "unit.h"
#include "gsprov_vars.h"

static gsprov_vars_t V;

static void vars_setup(void)
{
    V.device = unit_hash("ext", "1001", "both", "device", "all", "device",
                         "loop", "${ext}", NULL);
    V.tenant = unit_hash("sip", "sip.example", "both", "tenant", "all",
                         "tenant", "t.only", "T", NULL);
    V.builtin = unit_hash("mac", "000b82abcdef", "all", "builtin",
                          "model", "gxp2170", NULL);
}

static const char *expand_ok(const char *s)
{
    const char *out = NULL, *missing = NULL;
    apr_status_t rv = gsprov_vars_expand(pool, s, &V, &out, &missing);
    ck_assert_msg(rv == APR_SUCCESS, "expand '%s': %d (missing %s)", s, rv,
                  missing ? missing : "-");
    ck_assert_ptr_nonnull(out);
    return out;
}

static const struct { const char *in, *out; } cases[] = {
    { "", "" },
    { "plain", "plain" },
    { "${ext}", "1001" },
    { "x${ext}y", "x1001y" },
    { "${ext}${ext}", "10011001" },
    { "${sip}:5060", "sip.example:5060" },
    { "${t.only}", "T" },
    { "${mac}/${model}", "000b82abcdef/gxp2170" },
    /* precedence: device > tenant > builtin */
    { "${all}", "device" },
    { "${both}", "device" },
    /* literal ${ */
    { "$${ext}", "${ext}" },
    { "a$${b", "a${b" },
    { "$${", "${" },
    /* leftmost first: "$" then "$${" */
    { "$$${ext}", "$${ext}" },
    { "$$${", "$${" },
    /* a lone $ stays */
    { "$", "$" },
    { "$$", "$$" },
    { "price $5", "price $5" },
    { "a$b$", "a$b$" },
    { "$}", "$}" },
    { "50%$ ${ext}$", "50%$ 1001$" },
    /* substituted values are not expanded again */
    { "${loop}", "${ext}" },
    { "$${loop}", "${loop}" },
};

START_TEST(vars_table)
{
    ck_assert_str_eq(expand_ok(cases[_i].in), cases[_i].out);
}
END_TEST

START_TEST(vars_no_copy_without_refs)
{
    const char *s = "no references $ here", *out = NULL, *missing = NULL;
    ck_assert_status(gsprov_vars_expand(pool, s, &V, &out, &missing),
                     APR_SUCCESS);
    ck_assert_ptr_eq(out, s);
}
END_TEST

START_TEST(vars_undefined)
{
    const char *out = NULL, *missing = NULL;
    ck_assert_status(gsprov_vars_expand(pool, "a ${ext} ${nope.x-1} ${zz}",
                                        &V, &out, &missing), GSPROV_EUNDEFVAR);
    ck_assert_str_eq(missing, "nope.x-1");
    /* a prefix of a defined name is not that name */
    missing = NULL;
    ck_assert_status(gsprov_vars_expand(pool, "${ex}", &V, &out, &missing),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(missing, "ex");
    missing = NULL;
    ck_assert_status(gsprov_vars_expand(pool, "${extx}", &V, &out, &missing),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(missing, "extx");
}
END_TEST

START_TEST(vars_null_levels)
{
    gsprov_vars_t none = { NULL, NULL, NULL, NULL };
    const char *out = NULL, *missing = NULL;
    ck_assert_status(gsprov_vars_expand(pool, "${mac}", &none, &out, &missing),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(missing, "mac");
    ck_assert_ptr_null(gsprov_vars_get(&none, "mac", 3));
    ck_assert_str_eq(gsprov_vars_get(&V, "all", 3), "device");
    ck_assert_str_eq(gsprov_vars_get(&V, "sip_x", 3), "sip.example");
    ck_assert_ptr_null(gsprov_vars_get(&V, "sip_x", 5));
}
END_TEST

START_TEST(vars_bad_syntax)
{
    static const char *const bad[] = {
        "${", "${}", "${ext", "x${ext y}", "${a b}", "${a}${", "${\xc3\xa9}",
        "${a{b}}", "${$}",
    };
    unsigned i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *out = NULL, *missing = NULL;
        ck_assert_msg(gsprov_vars_syntax_ok(bad[i]) == 0, "'%s' ok", bad[i]);
        V.device = unit_hash("a", "A", NULL);
        ck_assert_msg(gsprov_vars_expand(pool, bad[i], &V, &out, &missing)
                      == GSPROV_EPARSE, "'%s' expanded", bad[i]);
    }
}
END_TEST

START_TEST(vars_syntax_ok)
{
    static const char *const good[] = {
        "", "x", "$", "$$", "$${", "$${x", "${a}", "${a.b-c_9}", "a$b",
        "${a}$${b}${c}$",
    };
    char name[140];
    unsigned i;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(gsprov_vars_syntax_ok(good[i]) == 1, "'%s' bad",
                      good[i]);
    /* names up to 128 characters */
    name[0] = '$';
    name[1] = '{';
    memset(name + 2, 'n', 128);
    name[130] = '}';
    name[131] = '\0';
    ck_assert_int_eq(gsprov_vars_syntax_ok(name), 1);
    memset(name + 2, 'n', 129);
    name[131] = '}';
    name[132] = '\0';
    ck_assert_int_eq(gsprov_vars_syntax_ok(name), 0);
}
END_TEST

/* Reference expansion: what gsprov_vars_expand must produce for values
 * built by many_refs(). */
static void many_refs(int n, int lit, const char **in, const char **want)
{
    apr_array_header_t *a = apr_array_make(pool, 4 * n + 1,
                                           sizeof(const char *));
    apr_array_header_t *b = apr_array_make(pool, 4 * n + 1,
                                           sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        const char *l = lit ? apr_psprintf(pool, "<%d>", i) : "";
        switch (i % 4) {
        case 0:
            APR_ARRAY_PUSH(a, const char *) = apr_pstrcat(pool, l, "${ext}",
                                                          NULL);
            APR_ARRAY_PUSH(b, const char *) = apr_pstrcat(pool, l, "1001",
                                                          NULL);
            break;
        case 1:
            APR_ARRAY_PUSH(a, const char *) = apr_pstrcat(pool, l, "${sip}",
                                                          NULL);
            APR_ARRAY_PUSH(b, const char *) = apr_pstrcat(pool, l,
                                                          "sip.example", NULL);
            break;
        case 2:
            APR_ARRAY_PUSH(a, const char *) = apr_pstrcat(pool, l, "$${x}",
                                                          NULL);
            APR_ARRAY_PUSH(b, const char *) = apr_pstrcat(pool, l, "${x}",
                                                          NULL);
            break;
        default:
            APR_ARRAY_PUSH(a, const char *) = apr_pstrcat(pool, l, "$ ${loop}",
                                                          NULL);
            APR_ARRAY_PUSH(b, const char *) = apr_pstrcat(pool, l, "$ ${ext}",
                                                          NULL);
            break;
        }
    }
    APR_ARRAY_PUSH(a, const char *) = "<end>";
    APR_ARRAY_PUSH(b, const char *) = "<end>";
    *in = apr_array_pstrcat(pool, a, 0);
    *want = apr_array_pstrcat(pool, b, 0);
}

/* gsprov_vars_expand collects up to 64 pieces, then flushes: cross that
 * boundary at every count around it, with and without literal text. */
START_TEST(vars_many_refs)
{
    static const int counts[] = { 30, 31, 32, 33, 34, 62, 63, 64, 65, 100,
                                  127, 128, 129, 500 };
    int lit = _i;
    unsigned k;

    for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        const char *in, *want;
        many_refs(counts[k], lit, &in, &want);
        ck_assert_msg(strcmp(expand_ok(in), want) == 0,
                      "%d references (literals %d) expanded wrongly",
                      counts[k], lit);
    }
}
END_TEST

START_TEST(vars_many_refs_undefined_last)
{
    const char *in, *want, *out = NULL, *missing = NULL;
    many_refs(200, 1, &in, &want);
    in = apr_pstrcat(pool, in, "${undefined_at_the_end}", NULL);
    ck_assert_status(gsprov_vars_expand(pool, in, &V, &out, &missing),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(missing, "undefined_at_the_end");
}
END_TEST

/* A variable's value, expanded, with the error naming the variable. */
START_TEST(vars_value)
{
    const char *out = "x";
    char *err = NULL;

    ck_assert_status(gsprov_vars_value(pool, &V, "loop", &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out, "1001");               /* "${ext}", expanded */
    ck_assert_status(gsprov_vars_value(pool, &V, "t.only", &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out, "T");
    ck_assert_status(gsprov_vars_value(pool, &V, "nope", &out, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(out);                     /* undefined: NULL */
    ck_assert_ptr_null(err);
    V.device = unit_hash("a", "x${zz}", "b", "${a", NULL);
    ck_assert_status(gsprov_vars_value(pool, &V, "a", &out, &err),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(err, "variable a: undefined variable ${zz}");
    ck_assert_status(gsprov_vars_value(pool, &V, "b", &out, &err),
                     GSPROV_EPARSE);
    ck_assert_str_eq(err, "variable b: malformed ${...}");
}
END_TEST

Suite *vars_suite(void)
{
    Suite *s = suite_create("vars");
    TCase *tc = unit_tcase("vars");
    tcase_add_checked_fixture(tc, vars_setup, NULL);
    tcase_add_loop_test(tc, vars_table, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, vars_no_copy_without_refs);
    tcase_add_test(tc, vars_undefined);
    tcase_add_test(tc, vars_null_levels);
    tcase_add_test(tc, vars_bad_syntax);
    tcase_add_test(tc, vars_syntax_ok);
    tcase_add_loop_test(tc, vars_many_refs, 0, 2);
    tcase_add_test(tc, vars_many_refs_undefined_last);
    tcase_add_test(tc, vars_value);
    suite_add_tcase(s, tc);
    return s;
}
