#include "unit.h"
#include "gsprov_log.h"

typedef struct {
    int calls, asked, enabled;
    const char *file;
    int line;
    gsprov_log_level_e level;
    char msg[256];
} rec_t;

static void record(void *baton, const char *file, int line,
                   gsprov_log_level_e level, const char *msg)
{
    rec_t *r = baton;
    r->calls++;
    r->file = file;
    r->line = line;
    r->level = level;
    apr_cpystrn(r->msg, msg, sizeof(r->msg));
}

static int ask(void *baton, gsprov_log_level_e level)
{
    rec_t *r = baton;
    r->asked++;
    return level <= (gsprov_log_level_e)r->enabled;
}

START_TEST(log_passes_mark_level_and_tagged_message)
{
    rec_t r = { 0 };
    gsprov_logger_t log = { record, &r, GSPROV_LOG_INFO, NULL };
    int line = __LINE__ + 1;
    gsprov_log(&log, GSPROV_LOG_MARK, GSPROV_LOG_WARN,
               GSPROV_LOGNO(0999) "%s is %d", "x", 42);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_str_eq(r.file, __FILE__);
    ck_assert_int_eq(r.line, line);
    ck_assert_int_eq(r.level, GSPROV_LOG_WARN);
    ck_assert_str_eq(r.msg, "GSPROV0999: x is 42");
}
END_TEST

/* A disabled level is dropped before formatting: the bad pointer below
 * would crash vsnprintf. */
START_TEST(log_disabled_level_not_formatted)
{
    rec_t r = { 0 };
    gsprov_logger_t fixed = { record, &r, GSPROV_LOG_INFO, NULL };
    gsprov_logger_t asked = { record, &r, GSPROV_LOG_DEBUG, ask };
    const char *bad = (const char *)1;

    gsprov_log(&fixed, GSPROV_LOG_MARK, GSPROV_LOG_DEBUG,
               GSPROV_LOGNO(0998) "%s", bad);
    ck_assert_int_eq(r.calls, 0);
    ck_assert(!gsprov_log_is_level(&fixed, GSPROV_LOG_DEBUG));
    ck_assert(gsprov_log_is_level(&fixed, GSPROV_LOG_INFO));

    r.enabled = GSPROV_LOG_WARN;
    gsprov_log(&asked, GSPROV_LOG_MARK, GSPROV_LOG_INFO,
               GSPROV_LOGNO(0997) "%s", bad);
    ck_assert_int_eq(r.asked, 1);
    ck_assert_int_eq(r.calls, 0);
    gsprov_log(&asked, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
               GSPROV_LOGNO(0996) "on");
    ck_assert_int_eq(r.asked, 2);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_str_eq(r.msg, "GSPROV0996: on");
    /* no logger, or one without a callback: nothing, no crash */
    gsprov_log(NULL, GSPROV_LOG_MARK, GSPROV_LOG_ERROR, "%s", bad);
    fixed.fn = NULL;
    gsprov_log(&fixed, GSPROV_LOG_MARK, GSPROV_LOG_ERROR, "%s", bad);
    ck_assert(!gsprov_log_is_level(&fixed, GSPROV_LOG_ERROR));
    ck_assert_int_eq(r.calls, 1);
}
END_TEST

START_TEST(log_msgid)
{
    ck_assert_int_eq(gsprov_log_msgid(GSPROV_LOGNO(0501)), 501);
    ck_assert_int_eq(gsprov_log_msgid("GSPROV0002: x"), 2);
    ck_assert_int_eq(gsprov_log_msgid("GSPROV0712: "), 712);
    ck_assert_int_eq(gsprov_log_msgid("GSPROV071: x"), 0);
    ck_assert_int_eq(gsprov_log_msgid("GSPROV07a2: x"), 0);
    ck_assert_int_eq(gsprov_log_msgid("GSPROV0712 x"), 0);
    ck_assert_int_eq(gsprov_log_msgid("AH01618: x"), 0);
    ck_assert_int_eq(gsprov_log_msgid(""), 0);
    ck_assert_int_eq(gsprov_log_msgid(NULL), 0);
}
END_TEST

Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = unit_tcase("log");
    tcase_add_test(tc, log_passes_mark_level_and_tagged_message);
    tcase_add_test(tc, log_disabled_level_not_formatted);
    tcase_add_test(tc, log_msgid);
    suite_add_tcase(s, tc);
    return s;
}
