/* lib/ parts of the admin API: records as JSON, validation, preconditions,
 * atomic writes and the listing through the store, PIN hashing,
 * activations and claims over store transactions, the audit log. */
#include <stdlib.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include "unit.h"
#include "gsprov_json.h"
#include "gsprov_record.h"
#include "gsprov_audit.h"
#include "gsprov_activation.h"
#include "gsprov_pin.h"
#include "gsprov_precond.h"
#include "gsprov_store.h"
#include "gsprov_crypto.h"
#include "gsprov_defaults.h"

static json_t *J(const char *s)
{
    json_t *j = NULL;
    char *err = NULL;
    ck_assert_msg(gsprov_json_parse(pool, s, strlen(s), &j, &err)
                  == APR_SUCCESS, "parse %s: %s", s, err ? err : "?");
    return j;
}

static const char *admin_store(void)
{
    const char *d = unit_tmpdir();
    unit_write(d, "defaults.xml", "<gs_provision><config version=\"1\">"
               "<P47>${sip_server}</P47></config></gs_provision>", -1);
    unit_write(d, "models/gxp2170.xml", "<gs_provision><config version=\"1\">"
               "<P1362>${model}</P1362></config></gs_provision>", -1);
    unit_write(d, "groups/acct.xml", "<gs_provision><config version=\"1\">"
               "<P35>${ext}</P35></config></gs_provision>", -1);
    return d;
}

static gsprov_store_t *open_store(const char *d)
{
    gsprov_store_t *s = NULL;
    char *err = NULL;
    ck_assert_int_eq(gsprov_store_file_open(pool, d, NULL, &s, &err),
                     APR_SUCCESS);
    return s;
}

static const gsprov_templates_t *admin_templates(const char *d,
                                                 gsprov_settings_t *set)
{
    gsprov_store_t *s = open_store(d);
    memset(set, 0, sizeof(*set));
    set->tenant_vars = unit_hash("sip_server", "sip.example", NULL);
    set->binary = GSPROV_BINARY_BOOTSTRAP;
    return gsprov_store_templates(s, pool, 0);
}

/* A transaction of s auditing to <tmpdir>/audit.log. */
static gsprov_txn_t *txn_of(gsprov_store_t *s)
{
    gsprov_audit_t *log = NULL;
    gsprov_txn_t *txn = NULL;
    char *err = NULL;
    ck_assert_int_eq(gsprov_audit_open(pool, apr_pstrcat(pool, unit_tmpdir(),
                                                         "/audit.log", NULL),
                                       &log, &err), APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_begin(s, pool, log, &txn, &err),
                     APR_SUCCESS);
    return txn;
}

static const gsprov_actor_t WHO = { "admin", "192.0.2.7", "POST" };

/* Create, claim and remove activations in a transaction of their own. */
static apr_status_t create(gsprov_store_t *s, const char *number,
                           const char *pin, const json_t *prof, long ttl,
                           gsprov_activation_t **act)
{
    char *err = NULL;
    return gsprov_activation_create(txn_of(s), &WHO, number, pin, prof, ttl,
                                    act, &err);
}

static apr_status_t claim(gsprov_store_t *s, const gsprov_templates_t *t,
                          const gsprov_settings_t *set, const char *number,
                          const char *pin, const char *mac, int max,
                          gsprov_claim_t *res)
{
    char *err = NULL;
    return gsprov_activation_claim(txn_of(s), &WHO, t, set, number, pin, mac,
                                   max, res, &err);
}

static apr_status_t remove_act(gsprov_store_t *s, const char *number)
{
    char *err = NULL;
    return gsprov_activation_remove(txn_of(s), &WHO, number, &err);
}

static apr_status_t read_act(gsprov_store_t *s, const char *number)
{
    gsprov_activation_t *a;
    char *err = NULL;
    return gsprov_store_activation_get(s, pool, number, &a, &err);
}

/* The record of mac: its bytes, or NULL (*rv says why). */
static const char *record(gsprov_store_t *s, const char *mac,
                          apr_status_t *rv)
{
    gsprov_blob_t b;
    char *err = NULL;
    *rv = gsprov_store_record_get(s, pool, mac, &b, &err);
    return *rv ? NULL : b.data;
}

START_TEST(json_rejects_duplicates_and_hides_content)
{
    json_t *j;
    char *err = NULL;
    const char *s = "{\"a\":\"secret-value\",\"a\":1}";
    ck_assert_status(gsprov_json_parse(pool, s, strlen(s), &j, &err),
                     GSPROV_EPARSE);
    ck_assert_ptr_null(strstr(err, "secret-value"));
    s = "{\"pw\": 'secret-value'}";
    ck_assert_status(gsprov_json_parse(pool, s, strlen(s), &j, &err),
                     GSPROV_EPARSE);
    ck_assert_ptr_null(strstr(err, "secret-value"));
    ck_assert_ptr_nonnull(strstr(err, "line 1"));
}
END_TEST

START_TEST(record_json_to_xml_exact)
{
    char *xml = NULL, *err = NULL;
    const char *field = NULL;
    apr_size_t len;
    json_t *j = J("{\"model\":\"gxp2170\",\"groups\":[\"acct\",\"b\"],"
                  "\"password\":\"p&w<\",\"usernames\":[\"u\"],"
                  "\"secrets\":[\"s1\",\"s2\"],\"vars\":{\"ext\":\"1 & 2\"},"
                  "\"config\":{\"P3\":\"A <${ext}>\"}}");
    ck_assert_int_eq(gsprov_record_from_json(pool, "000b82123456", j, &xml,
                                             &len, &field, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<device>\n"
        "  <model>gxp2170</model>\n"
        "  <group>acct</group>\n"
        "  <group>b</group>\n"
        "  <password>p&amp;w&lt;</password>\n"
        "  <username>u</username>\n"
        "  <secret>s1</secret>\n"
        "  <secret>s2</secret>\n"
        "  <var name=\"ext\">1 &amp; 2</var>\n"
        "  <config version=\"1\">\n"
        "    <P3>A &lt;${ext}&gt;</P3>\n"
        "  </config>\n"
        "</device>\n");
    ck_assert_uint_eq(len, strlen(xml));
}
END_TEST

START_TEST(record_json_v2_and_round_trip)
{
    char *xml = NULL, *err = NULL;
    const char *field = NULL;
    const char *in = "{\"mac\":\"000b82123456\",\"model\":\"gxp2170\","
        "\"groups\":[],\"password\":\"pw\",\"vars\":{\"a\":\"1\",\"b\":\"2\"},"
        "\"config_version\":2,\"config\":{\"x.y\":\"v\","
        "\"comp\":{\"p1\":\"1\",\"p2\":\"2\"}}}";
    gsprov_device_t *d = NULL;
    apr_size_t len;
    json_t *j = J(in), *back;

    ck_assert_int_eq(gsprov_record_from_json(pool, "000b82123456", j, &xml,
                                             &len, &field, &err),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(xml, "<item name=\"comp\">\n      <part "
                                      "name=\"p1\">1</part>"));
    ck_assert_int_eq(gsprov_xml_parse_device(pool, "000b82123456", xml, len, "t",
                                         &d, &err), APR_SUCCESS);
    back = gsprov_record_to_json(pool, d, 1);
    ck_assert_msg(json_equal(back, j), "round trip: %s",
                  gsprov_json_dump(pool, back));
    back = gsprov_record_to_json(pool, d, 0);
    ck_assert_ptr_null(json_object_get(back, "password"));
    ck_assert_str_eq(gsprov_json_dump(pool, json_object_get(back,
                                                            "redacted")),
                     "[\"password\"]");
}
END_TEST

START_TEST(record_json_errors_name_the_field)
{
    static const struct { const char *in, *field, *msg; } c[] = {
        { "{\"groups\":[\"ok\",\"no good\"]}", "groups[1]", "invalid group" },
        { "{\"model\":\"GXP\"}", "model", "invalid model" },
        { "{\"vars\":{\"x\":1}}", "vars.x", "must be a string" },
        { "{\"config\":{\"Q1\":\"x\"}}", "config.Q1", "not a P-value" },
        { "{\"config\":{\"P1\":\"${x\"}}", "config.P1", "malformed" },
        { "{\"mac\":\"000b82000000\"}", "mac", "not the MAC" },
        { "{\"secrets\":[\"a\",\"b\",\"c\"]}", "secrets", "at most 2" },
        { "{\"what\":1}", "what", "unknown field" },
        { "{\"redacted\":[]}", "redacted", "secrets=1" },
        { "{\"config_version\":3}", "config_version", "1 or 2" },
    };
    size_t i;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *xml = NULL, *err = NULL;
        const char *field = NULL;
        apr_size_t len;
        ck_assert_status(gsprov_record_from_json(pool, "000b82123456",
                                                 J(c[i].in), &xml, &len,
                                                 &field, &err),
                         GSPROV_EINVAL);
        ck_assert_msg(field && !strcmp(field, c[i].field), "%s: field %s",
                      c[i].in, field ? field : "(null)");
        ck_assert_msg(strstr(err, c[i].msg), "%s: %s", c[i].in, err);
    }
}
END_TEST

START_TEST(record_check_like_lint)
{
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(admin_store(), &set);
    static const struct { const char *xml; apr_status_t rv; } c[] = {
        { "<device><model>gxp2170</model></device>", APR_SUCCESS },
        { "<device><group>acct</group><var name=\"ext\">1</var></device>",
          APR_SUCCESS },
        { "<device><group>acct</group></device>", GSPROV_EUNDEFVAR },
        { "<device><group>nope</group></device>", GSPROV_EREF },
        { "<device><model>gxp1</model></device>", GSPROV_EREF },
        { "<device><config version=\"2\"><item name=\"a\">b</item></config>"
          "</device>", GSPROV_EMIXED },
        { "<device><model>x</device>", GSPROV_EPARSE },
    };
    size_t i;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *err = NULL;
        apr_status_t rv = gsprov_record_check(pool, t, &set, "000b82123456",
                                              c[i].xml, strlen(c[i].xml),
                                              NULL, &err);
        ck_assert_msg(rv == c[i].rv, "%s: %d (%s)", c[i].xml, (int)rv,
                      err ? err : "");
    }
}
END_TEST

START_TEST(changes_mask_secrets)
{
    json_t *a = J("{\"model\":\"m\",\"password\":\"old\",\"vars\":{\"x\":\"1\","
                  "\"sip_password\":\"a\"},\"config\":{\"P3\":\"a\","
                  "\"P34\":\"p\"}}");
    json_t *b = J("{\"model\":\"m\",\"password\":\"new\",\"vars\":{\"x\":\"2\","
                  "\"sip_password\":\"b\"},\"config\":{\"P34\":\"q\"}}");
    ck_assert_str_eq(gsprov_json_dump(pool, gsprov_record_changes(pool, a, b)),
                     "{\"password\":\"***\",\"vars.x\":\"2\","
                     "\"vars.sip_password\":\"***\",\"config.P34\":\"***\","
                     "\"config.P3\":null}");
    ck_assert_str_eq(gsprov_json_dump(pool, gsprov_record_changes(pool, a, a)),
                     "{}");
    ck_assert(gsprov_record_name_is_secret("SIP_Password"));
    ck_assert(gsprov_record_name_is_secret("P1361"));
    ck_assert(!gsprov_record_name_is_secret("P3"));
    ck_assert(!gsprov_record_name_is_secret("ext"));
}
END_TEST

START_TEST(preconditions)
{
    gsprov_precond_t pc = { NULL, NULL };
    ck_assert(gsprov_precond_ok(&pc, NULL));
    ck_assert(gsprov_precond_ok(&pc, "\"a\""));
    pc.if_match = "*";
    ck_assert(!gsprov_precond_ok(&pc, NULL));
    ck_assert(gsprov_precond_ok(&pc, "\"a\""));
    pc.if_match = "\"x\", \"a\"";
    ck_assert(gsprov_precond_ok(&pc, "\"a\""));
    pc.if_match = "W/\"a\"";
    ck_assert(!gsprov_precond_ok(&pc, "\"a\""));
    pc.if_match = "\"ab\"";
    ck_assert(!gsprov_precond_ok(&pc, "\"a\""));
    pc.if_match = NULL;
    pc.if_none_match = "*";
    ck_assert(gsprov_precond_ok(&pc, NULL));
    ck_assert(!gsprov_precond_ok(&pc, "\"a\""));
}
END_TEST

START_TEST(atomic_write_and_listing)
{
    const char *d = unit_tmpdir();
    gsprov_store_t *s = open_store(d);
    gsprov_list_query_t q = { .after = NULL, .limit = 100 };
    apr_array_header_t *macs;
    gsprov_txn_t *txn = txn_of(s);
    gsprov_blob_t cur;
    char *err = NULL, *b;
    apr_status_t rv;
    int more;

    ck_assert_int_eq(gsprov_store_record_lock(txn, "000b82000002", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_int_eq(gsprov_store_record_put(txn, "000b82000002", "<a/>", 4,
                                             &err), APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_commit(txn, &err), APR_SUCCESS);
    txn = txn_of(s);
    ck_assert_int_eq(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_int_eq(gsprov_store_record_put(txn, "000b82000001", "<b/>", 4,
                                             &err), APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_record_put(txn, "000b82000001", "<c/>", 4,
                                             &err), APR_SUCCESS);
    ck_assert_str_eq(record(s, "000b82000001", &rv), "<c/>");
    ck_assert_int_eq(rv, APR_SUCCESS);
    unit_write(d, "devices/.000b82000003.xml.tmp.1.2", "<x", -1);
    unit_write(d, "devices/000B82000004.xml", "<x/>", -1);
    unit_write(d, "devices/000b82000005.xml~", "<x/>", -1);
    ck_assert_int_eq(gsprov_store_record_list(s, pool, &q, &macs, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(macs->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(macs, 0, gsprov_listed_t).mac,
                     "000b82000001");
    ck_assert_str_eq(APR_ARRAY_IDX(macs, 1, gsprov_listed_t).mac,
                     "000b82000002");
    q.after = "000b82000001";
    ck_assert_int_eq(gsprov_store_record_list(s, pool, &q, &macs, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(macs->nelts, 1);
    ck_assert_int_eq(gsprov_store_record_delete(txn, "000b82000001", &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_delete(txn, "000b82000001", &err),
                     GSPROV_ENOTFOUND);
    ck_assert_ptr_null(record(s, "000b82000001", &rv));
    ck_assert_status(rv, GSPROV_ENOTFOUND);
    gsprov_store_rollback(txn);
    /* only the planted temp file: our own writes left none */
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "ls -A %s/devices | grep -c "
                                           "tmp", d), &b, NULL), 0);
    ck_assert_str_eq(b, "1\n");
}
END_TEST

START_TEST(write_fails_cleanly)
{
    char *err = NULL;
    /* a directory where the store wants a file's parent */
    const char *d = unit_tmpdir();
    gsprov_store_t *s = open_store(d);
    gsprov_txn_t *txn = txn_of(s);
    gsprov_blob_t cur;

    unit_write(d, "devices", "not a directory", -1);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000001", "x", 1,
                                             &err), GSPROV_EIO);
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(pin_hash_and_verify)
{
    const char *h = NULL;
    ck_assert_int_eq(gsprov_pin_hash(pool, "4711", 1000, &h), APR_SUCCESS);
    ck_assert_msg(!strncmp(h, "pbkdf2-sha256$1000$", 19), "%s", h);
    ck_assert_ptr_null(strstr(h, "4711"));
    ck_assert(gsprov_pin_verify(pool, "4711", h));
    ck_assert(!gsprov_pin_verify(pool, "4712", h));
    ck_assert(!gsprov_pin_verify(pool, "47110", h));
    ck_assert(!gsprov_pin_verify(pool, "4711", "md5$1$abc$def"));
    ck_assert(!gsprov_pin_verify(pool, "4711", "pbkdf2-sha256$0$YQ==$YQ=="));
    ck_assert(!gsprov_pin_verify(pool, "4711", ""));
    ck_assert(gsprov_activation_pin_valid("0000"));
    ck_assert(!gsprov_activation_pin_valid("000"));
    ck_assert(!gsprov_activation_pin_valid("12a4"));
    ck_assert(gsprov_activation_number_valid("1"));
    ck_assert(!gsprov_activation_number_valid(""));
    ck_assert(!gsprov_activation_number_valid("123456789012345678901234567890123"));
}
END_TEST

START_TEST(activation_claim_cycle)
{
    const char *d = admin_store();
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(d, &set);
    gsprov_store_t *s = open_store(d);
    json_t *prof = J("{\"groups\":[\"acct\"],\"vars\":{\"ext\":\"7\"}}");
    gsprov_activation_t *act;
    gsprov_claim_t res;
    apr_status_t rv;

    ck_assert_int_eq(create(s, "100", "4711", prof, 3600, &act), APR_SUCCESS);
    ck_assert_status(create(s, "100", "1", prof, 3600, &act),
                     GSPROV_ECONFLICT);
    ck_assert_status(claim(s, t, &set, "100", "1111", "000b82000001", 2,
                           &res), GSPROV_EBADPIN);
    ck_assert_int_eq(res.failures, 1);
    ck_assert_int_eq(res.counted, 1);
    /* the same MAC already has a record: 409, not counted */
    unit_write(d, "devices/000b82000009.xml", "<device/>", -1);
    ck_assert_status(claim(s, t, &set, "100", "4711", "000b82000009", 2,
                           &res), GSPROV_ECONFLICT);
    ck_assert_int_eq(res.failures, 1);
    ck_assert_int_eq(claim(s, t, &set, "100", "4711", "000b82000001", 2,
                           &res), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(record(s, "000b82000001", &rv),
                                 "<var name=\"ext\">7</var>"));
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_status(read_act(s, "100"), GSPROV_ENOTFOUND);
    ck_assert_status(claim(s, t, &set, "100", "4711", "000b82000002", 2,
                           &res), GSPROV_ENOTFOUND);

    /* lockout: max 2 */
    ck_assert_int_eq(create(s, "200", "4711", prof, 3600, &act), APR_SUCCESS);
    ck_assert_status(claim(s, t, &set, "200", "0000", "000b82000003", 2,
                           &res), GSPROV_EBADPIN);
    ck_assert_status(claim(s, t, &set, "200", "0000", "000b82000003", 2,
                           &res), GSPROV_ELOCKED);
    ck_assert_int_eq(res.counted, 1);
    ck_assert_status(claim(s, t, &set, "200", "4711", "000b82000003", 2,
                           &res), GSPROV_ELOCKED);
    ck_assert_int_eq(res.counted, 0);
    ck_assert_int_eq(res.failures, 2);

    /* expired */
    ck_assert_int_eq(create(s, "300", "4711", prof, -1, &act), APR_SUCCESS);
    ck_assert_status(claim(s, t, &set, "300", "4711", "000b82000004", 2,
                           &res), GSPROV_EEXPIRED);
    /* expired ones can be replaced; removal */
    ck_assert_int_eq(create(s, "300", "4711", prof, 60, &act), APR_SUCCESS);
    ck_assert_int_eq(remove_act(s, "300"), APR_SUCCESS);
    ck_assert_status(remove_act(s, "300"), GSPROV_ENOTFOUND);
}
END_TEST

/* An activation that exists but cannot be read (here: a directory where
 * the file should be; in production, a file httpd may not read) is an
 * error, never a free number: create must not replace it, claim and
 * remove must not touch it. */
START_TEST(activation_unreadable_is_not_replaced)
{
    const char *d = admin_store();
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(d, &set);
    gsprov_store_t *s = open_store(d);
    json_t *prof = J("{\"groups\":[\"acct\"],\"vars\":{\"ext\":\"7\"}}");
    const char *path = apr_pstrcat(pool, d, "/activations/400.json", NULL);
    gsprov_activation_t *act;
    gsprov_claim_t res;
    apr_finfo_t fi;

    ck_assert_int_eq(apr_dir_make_recursive(path, APR_FPROT_OS_DEFAULT,
                                            pool), APR_SUCCESS);
    ck_assert_status(create(s, "400", "4711", prof, 3600, &act), GSPROV_EIO);
    ck_assert_status(claim(s, t, &set, "400", "4711", "000b82000005", 2,
                           &res), GSPROV_EIO);
    ck_assert_status(remove_act(s, "400"), GSPROV_EIO);
    ck_assert_status(read_act(s, "400"), GSPROV_EIO);
    ck_assert_int_eq(apr_stat(&fi, path, APR_FINFO_TYPE, pool), APR_SUCCESS);
    ck_assert_int_eq(fi.filetype, APR_DIR);
}
END_TEST

/* Mark activations/<number>.json claimed_by mac, as a claim that crashed
 * after that step leaves it. */
static void claimed_by(const char *d, const char *number, const char *mac)
{
    const char *path = apr_pstrcat(pool, d, "/activations/", number, ".json",
                                   NULL);
    json_t *doc = J(unit_read(path, NULL));
    json_object_set_new(doc, "claimed_by", json_string(mac));
    unit_write(d, apr_pstrcat(pool, "activations/", number, ".json", NULL),
               gsprov_json_dump(pool, doc), -1);
}

/* A claim that crashed after marking the activation claimed_by: only that
 * MAC can finish it (with the right PIN), with or without the record. */
START_TEST(activation_claim_resume)
{
    const char *d = admin_store();
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(d, &set);
    gsprov_store_t *s = open_store(d);
    json_t *prof = J("{\"vars\":{\"ext\":\"7\"}}");
    gsprov_activation_t *act;
    gsprov_claim_t res;
    apr_status_t rv;

    ck_assert_int_eq(create(s, "400", "4711", prof, 3600, &act), APR_SUCCESS);
    claimed_by(d, "400", "000b82000005");
    ck_assert_status(claim(s, t, &set, "400", "4711", "000b82000006", 3,
                           &res), GSPROV_ECONFLICT);
    ck_assert_status(claim(s, t, &set, "400", "0000", "000b82000005", 3,
                           &res), GSPROV_EBADPIN);
    ck_assert_int_eq(claim(s, t, &set, "400", "4711", "000b82000005", 3,
                           &res), APR_SUCCESS);
    ck_assert_ptr_nonnull(record(s, "000b82000005", &rv));
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_status(read_act(s, "400"), GSPROV_ENOTFOUND);

    /* crashed after the record was written: the record is kept as is */
    ck_assert_int_eq(create(s, "401", "4711", prof, 3600, &act), APR_SUCCESS);
    claimed_by(d, "401", "000b82000007");
    unit_write(d, "devices/000b82000007.xml", "<device/>", -1);
    ck_assert_int_eq(claim(s, t, &set, "401", "4711", "000b82000007", 3,
                           &res), APR_SUCCESS);
    ck_assert_str_eq(unit_read(apr_pstrcat(pool, d,
                                           "/devices/000b82000007.xml", NULL),
                               NULL), "<device/>");
    ck_assert_status(read_act(s, "401"), GSPROV_ENOTFOUND);
}
END_TEST

/* Every change is audited inside its transaction, as the actor: the
 * lines the audit log gets, and the activation file's exact format. */
START_TEST(activation_audit_trail)
{
    const char *d = admin_store();
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(d, &set);
    gsprov_store_t *s = open_store(d);
    json_t *prof = J("{\"groups\":[\"acct\"],\"vars\":{\"ext\":\"7\","
                     "\"sip_password\":\"pw-secret-1\"}}");
    const char *logp = apr_pstrcat(pool, unit_tmpdir(), "/audit.log", NULL);
    gsprov_activation_t *act = NULL;
    gsprov_claim_t res;
    char *file, *log, *line, *state = NULL;
    const char *want[] = {
        "\"user\":\"admin\",\"client\":\"192.0.2.7\",\"method\":\"POST\","
        "\"action\":\"activation-create\",\"store\":\"%s\",\"number\":\"500\","
        "\"result\":\"created\",\"changes\":{\"groups\":[\"acct\"],"
        "\"vars.ext\":\"7\",\"vars.sip_password\":\"***\",\"pin\":\"***\"}}",
        "\"user\":\"admin\",\"client\":\"192.0.2.7\",\"method\":\"POST\","
        "\"action\":\"claim\",\"store\":\"%s\",\"mac\":\"000b82000001\","
        "\"number\":\"500\",\"result\":\"wrong-pin\"}",
        "\"user\":\"admin\",\"client\":\"192.0.2.7\",\"method\":\"POST\","
        "\"action\":\"claim\",\"store\":\"%s\",\"mac\":\"000b82000001\","
        "\"number\":\"500\",\"result\":\"created\",\"changes\":{\"groups\":"
        "[\"acct\"],\"vars.ext\":\"7\",\"vars.sip_password\":\"***\"}}",
        "\"user\":\"admin\",\"client\":\"192.0.2.7\",\"method\":\"POST\","
        "\"action\":\"activation-create\",\"store\":\"%s\",\"number\":\"501\","
        "\"result\":\"created\",\"changes\":{\"groups\":[\"acct\"],"
        "\"vars.ext\":\"7\",\"vars.sip_password\":\"***\",\"pin\":\"***\"}}",
        "\"user\":\"admin\",\"client\":\"192.0.2.7\",\"method\":\"POST\","
        "\"action\":\"activation-delete\",\"store\":\"%s\",\"number\":\"501\","
        "\"result\":\"deleted\"}",
    };
    int i;

    ck_assert_int_eq(create(s, "500", "4711", prof, 3600, &act), APR_SUCCESS);
    ck_assert_int_eq(act->expires - act->created, 3600);
    file = unit_read(apr_pstrcat(pool, d, "/activations/500.json", NULL),
                     NULL);
    ck_assert_str_eq(file, apr_psprintf(pool,
        "{\"number\":\"500\",\"pin\":\"%s\",\"created\":%" APR_INT64_T_FMT
        ",\"expires\":%" APR_INT64_T_FMT ",\"failures\":0,\"claimed_by\":"
        "null,\"profile\":{\"groups\":[\"acct\"],\"vars\":{\"ext\":\"7\","
        "\"sip_password\":\"pw-secret-1\"}}}", act->pin_hash, act->created,
        act->expires));
    ck_assert(gsprov_pin_verify(pool, "4711", act->pin_hash));
    ck_assert_status(claim(s, t, &set, "500", "0000", "000b82000001", 3,
                           &res), GSPROV_EBADPIN);
    ck_assert_ptr_null(res.unaudited);
    ck_assert_ptr_nonnull(strstr(unit_read(apr_pstrcat(
        pool, d, "/activations/500.json", NULL), NULL), ",\"failures\":1,"));
    /* refused claims change nothing and are not audited */
    ck_assert_status(claim(s, t, &set, "500", "4711", "000b82000001", 1,
                           &res), GSPROV_ELOCKED);
    ck_assert_int_eq(res.counted, 0);
    ck_assert_int_eq(claim(s, t, &set, "500", "4711", "000b82000001", 3,
                           &res), APR_SUCCESS);
    ck_assert_str_eq(res.version, gsprov_crypto_sha256_hex(pool, unit_read(
        apr_pstrcat(pool, d, "/devices/000b82000001.xml", NULL), NULL),
        strlen(unit_read(apr_pstrcat(pool, d, "/devices/000b82000001.xml",
                                     NULL), NULL))));
    ck_assert_int_eq(create(s, "501", "4711", prof, 3600, &act), APR_SUCCESS);
    ck_assert_int_eq(remove_act(s, "501"), APR_SUCCESS);

    log = unit_read(logp, NULL);
    ck_assert_ptr_null(strstr(log, "pw-secret-1"));
    ck_assert_ptr_null(strstr(log, "4711"));
    for (i = 0, line = apr_strtok(log, "\n", &state); line;
         i++, line = apr_strtok(NULL, "\n", &state)) {
        ck_assert_int_lt(i, 5);
        ck_assert_msg(!strncmp(line, "{\"time\":\"", 9)
                      && strlen(line) > 32 && line[30] == ',', "%s", line);
        ck_assert_str_eq(line + 31, apr_psprintf(pool, want[i], d));
    }
    ck_assert_int_eq(i, 5);
}
END_TEST

/* A change that took effect but could not be audited says so; a refused
 * one (rolled back) leaves everything as it was. */
START_TEST(activation_unaudited_and_refused)
{
    const char *d = admin_store();
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(d, &set);
    gsprov_store_t *s = open_store(d);
    json_t *prof = J("{\"groups\":[\"acct\"],\"vars\":{\"ext\":\"7\"}}");
    gsprov_activation_t *act = NULL;
    gsprov_audit_t *full = NULL;
    gsprov_txn_t *txn = NULL;
    gsprov_claim_t res;
    char *err = NULL;
    apr_status_t rv;

    ck_assert_int_eq(gsprov_audit_open(pool, "/dev/full", &full, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_begin(s, pool, full, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_activation_create(txn, &WHO, "600", "4711", prof,
                                              3600, &act, &err),
                     GSPROV_EAUDIT);
    ck_assert_ptr_nonnull(strstr(err, "/dev/full"));
    ck_assert_int_eq(read_act(s, "600"), APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_begin(s, pool, full, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_activation_claim(txn, &WHO, t, &set, "600",
                                             "0000", "000b82000001", 3, &res,
                                             &err), GSPROV_EBADPIN);
    ck_assert_ptr_nonnull(res.unaudited);
    ck_assert_int_eq(res.failures, 1);

    /* the profile no longer renders (its group is gone): 422, and the
     * activation stays, not claimed */
    remove(apr_pstrcat(pool, d, "/groups/acct.xml", NULL));
    t = admin_templates(d, &set);
    ck_assert_status(claim(s, t, &set, "600", "4711", "000b82000001", 3,
                           &res), GSPROV_EINVAL);
    ck_assert_ptr_null(record(s, "000b82000001", &rv));
    ck_assert_status(rv, GSPROV_ENOTFOUND);
    ck_assert_ptr_null(strstr(unit_read(apr_pstrcat(
        pool, d, "/activations/600.json", NULL), NULL), "000b82000001"));

    /* a corrupt activation: claims refused, removal works */
    unit_write(d, "activations/601.json", "{\"pin\":", -1);
    ck_assert_status(claim(s, t, &set, "601", "4711", "000b82000002", 3,
                           &res), GSPROV_ECORRUPT);
    ck_assert_int_eq(remove_act(s, "601"), APR_SUCCESS);
    ck_assert_status(read_act(s, "601"), GSPROV_ENOTFOUND);
}
END_TEST

/* Set one member of activations/<number>.json to the JSON text v. */
static void set_member(const char *d, const char *number, const char *key,
                       const char *v)
{
    const char *rel = apr_pstrcat(pool, "activations/", number, ".json",
                                  NULL);
    json_t *doc = J(unit_read(apr_pstrcat(pool, d, "/", rel, NULL), NULL));
    json_t *val = json_loads(v, JSON_DECODE_ANY, NULL);
    ck_assert_msg(val != NULL, "%s", v);
    json_object_set_new(doc, key, val);
    unit_write(d, rel, gsprov_json_dump(pool, doc), -1);
}

/* Activation files are input: a hostile iteration count, negative or
 * absurd counters, members of the wrong type make a corrupt activation,
 * refused before any work: a claim answers at once and counts nothing,
 * and the file can be removed. */
START_TEST(activation_hostile_files)
{
    const char *d = admin_store();
    gsprov_settings_t set;
    const gsprov_templates_t *t = admin_templates(d, &set);
    gsprov_store_t *s = open_store(d);
    json_t *prof = J("{\"groups\":[\"acct\"],\"vars\":{\"ext\":\"7\"}}");
    gsprov_activation_t *act;
    gsprov_claim_t res;
    const char *huge;
    struct { const char *key, *value; } bad[] = {
        { "pin", NULL },                        /* 2^31 - 1 iterations */
        { "pin", "\"pbkdf2-sha256$1000001$c2FsdA==$aGFzaA==\"" },
        { "pin", "\"pbkdf2-sha256$999$c2FsdA==$aGFzaA==\"" },
        { "pin", "\"pbkdf2-sha256$1e5$c2FsdA==$aGFzaA==\"" },
        { "pin", "\"md5$100000$c2FsdA==$aGFzaA==\"" },
        { "failures", "-1000000" },
        { "failures", "101" },
        { "failures", "10000000000" },
        { "failures", "\"0\"" },
        { "created", "-1" },
        { "created", "\"now\"" },
        { "expires", "9223372036854775807" },
        { "claimed_by", "\"../../etc/x\"" },
        { "claimed_by", "7" },
    };
    unsigned i;

    ck_assert_int_eq(create(s, "699", "4711", prof, 3600, &act), APR_SUCCESS);
    huge = apr_pstrcat(pool, "\"pbkdf2-sha256$2147483647",
                       strchr(act->pin_hash + 14, '$'), "\"", NULL);
    bad[0].value = huge;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *number = apr_psprintf(pool, "%u", 700 + i);
        apr_time_t start;
        apr_status_t rv;

        ck_assert_int_eq(create(s, number, "4711", prof, 3600, &act),
                         APR_SUCCESS);
        set_member(d, number, bad[i].key, bad[i].value);
        ck_assert_msg(read_act(s, number) == GSPROV_ECORRUPT, "%s: %s",
                      bad[i].key, bad[i].value);
        start = apr_time_now();
        rv = claim(s, t, &set, number, "4711", "000b82000001", 3, &res);
        ck_assert_msg(rv == GSPROV_ECORRUPT, "claim with %s %s: %d",
                      bad[i].key, bad[i].value, (int)rv);
        ck_assert_msg(apr_time_now() - start < apr_time_from_sec(1),
                      "claim with %s %s took %" APR_TIME_T_FMT " us",
                      bad[i].key, bad[i].value, apr_time_now() - start);
        ck_assert_int_eq(res.counted, 0);
        ck_assert_int_eq(remove_act(s, number), APR_SUCCESS);
    }
    /* the one the module wrote is fine, and claims */
    ck_assert_int_eq(claim(s, t, &set, "699", "4711", "000b82000001", 3,
                           &res), APR_SUCCESS);
}
END_TEST

/* The range check any backend's activation goes through. */
START_TEST(activation_valid_ranges)
{
    gsprov_activation_t a;
    const char *h = NULL;
    char *err = NULL;

    ck_assert_int_eq(gsprov_pin_hash(pool, "4711", 1000, &h), APR_SUCCESS);
    memset(&a, 0, sizeof(a));
    a.number = "42";
    a.pin_hash = h;
    a.created = 1700000000;
    a.expires = 1700000000 + GSPROV_MAX_ACTIVATION_TTL;
    a.failures = GSPROV_MAX_CLAIM_MAX_FAILURES;
    a.claimed_by = "000b82000001";
    a.profile = "{}";
    a.label = "db:activation 42";
    ck_assert_int_eq(gsprov_activation_valid(pool, &a, &err), APR_SUCCESS);
    a.failures = -1;
    ck_assert_status(gsprov_activation_valid(pool, &a, &err),
                     GSPROV_ECORRUPT);
    ck_assert_str_eq(err, "db:activation 42: not a valid activation: "
                     "failures (-1, not 0 to 100)");
    a.failures = GSPROV_MAX_CLAIM_MAX_FAILURES + 1;
    ck_assert_status(gsprov_activation_valid(pool, &a, &err),
                     GSPROV_ECORRUPT);
    a.failures = 0;
    a.expires++;
    ck_assert_status(gsprov_activation_valid(pool, &a, &err),
                     GSPROV_ECORRUPT);
    a.expires = APR_INT64_MIN;      /* long expired: fine, no overflow */
    ck_assert_int_eq(gsprov_activation_valid(pool, &a, &err), APR_SUCCESS);
    a.claimed_by = "000B82000001";
    ck_assert_status(gsprov_activation_valid(pool, &a, &err),
                     GSPROV_ECORRUPT);
    a.claimed_by = NULL;
    a.number = "4-2";
    ck_assert_status(gsprov_activation_valid(pool, &a, &err),
                     GSPROV_ECORRUPT);
    /* the PIN hash: the accepted iteration counts, checked without work */
    ck_assert(gsprov_pin_hash_valid(pool, h));
    ck_assert(gsprov_pin_hash_valid(pool, "pbkdf2-sha256$1000000$c2FsdA==$"
                                    "aGFzaA=="));
    ck_assert(!gsprov_pin_hash_valid(pool, "pbkdf2-sha256$1000001$c2FsdA==$"
                                     "aGFzaA=="));
    ck_assert(!gsprov_pin_hash_valid(pool, "pbkdf2-sha256$999$c2FsdA==$"
                                     "aGFzaA=="));
    ck_assert(!gsprov_pin_hash_valid(pool, "pbkdf2-sha256$1000$c2FsdA==$"
                                     "aGFzaA==$more"));
    ck_assert(!gsprov_pin_hash_valid(pool, "pbkdf2-sha256$1000$$aGFzaA=="));
    {
        apr_time_t start = apr_time_now();
        ck_assert(!gsprov_pin_verify(pool, "4711", apr_pstrcat(pool,
                  "pbkdf2-sha256$2147483647", strchr(h + 14, '$'), NULL)));
        ck_assert(apr_time_now() - start < apr_time_from_msec(100));
    }
}
END_TEST

START_TEST(audit_lines)
{
    const char *d = unit_tmpdir();
    const char *path = apr_pstrcat(pool, d, "/audit.log", NULL);
    gsprov_audit_t *a;
    char *err = NULL, *b;

    ck_assert_int_eq(gsprov_audit_open(pool, path, &a, &err), APR_SUCCESS);
    ck_assert_int_eq(gsprov_audit_write(pool, a, J("{\"mac\":\"m1\"}"), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(gsprov_audit_write(pool, a, J("{\"mac\":\"m2\"}"), &err),
                     APR_SUCCESS);
    b = unit_read(path, NULL);
    ck_assert_int_eq((int)strlen(b), 2 * (int)strlen(
        "{\"time\":\"2026-01-01T00:00:00Z\",\"mac\":\"m1\"}\n"));
    ck_assert_msg(!strncmp(b, "{\"time\":\"", 9), "%s", b);
    ck_assert_ptr_nonnull(strstr(b, "\"mac\":\"m1\"}\n{\"time\""));
    ck_assert_status(gsprov_audit_open(pool, apr_pstrcat(pool, d,
                                       "/no/such/dir/x", NULL), &a, &err),
                     GSPROV_EIO);
}
END_TEST

Suite *admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = unit_tcase("admin");
    tcase_add_test(tc, json_rejects_duplicates_and_hides_content);
    tcase_add_test(tc, record_json_to_xml_exact);
    tcase_add_test(tc, record_json_v2_and_round_trip);
    tcase_add_test(tc, record_json_errors_name_the_field);
    tcase_add_test(tc, record_check_like_lint);
    tcase_add_test(tc, changes_mask_secrets);
    tcase_add_test(tc, preconditions);
    tcase_add_test(tc, atomic_write_and_listing);
    tcase_add_test(tc, write_fails_cleanly);
    tcase_add_test(tc, pin_hash_and_verify);
    tcase_add_test(tc, activation_claim_cycle);
    tcase_add_test(tc, activation_unreadable_is_not_replaced);
    tcase_add_test(tc, activation_claim_resume);
    tcase_add_test(tc, activation_audit_trail);
    tcase_add_test(tc, activation_unaudited_and_refused);
    tcase_add_test(tc, activation_hostile_files);
    tcase_add_test(tc, activation_valid_ranges);
    tcase_add_test(tc, audit_lines);
    suite_add_tcase(s, tc);
    return s;
}
