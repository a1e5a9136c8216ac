/* gsprov_defaults.h gives the defaults of directives with a choice as
 * numbers (it includes nothing): each must be the enum member it names. */
#include "unit.h"
#include "gsprov_defaults.h"
#include "gsprov_crypto.h"
#include "gsprov_binary.h"
#include "gsprov_useragent.h"
#include "gsprov_firmware.h"
#include "gsprov_stats.h"

START_TEST(defaults_name_their_enums)
{
    ck_assert_int_eq(GSPROV_DEFAULT_KEY_DIGEST, GSPROV_MD_MD5);
    ck_assert_int_eq(GSPROV_DEFAULT_BINARY, GSPROV_BINARY_BOOTSTRAP);
    ck_assert_int_eq(GSPROV_DEFAULT_UA_POLICY, GSPROV_UA_OFF);
    ck_assert_int_eq(GSPROV_DEFAULT_FW_UNKNOWN, GSPROV_FW_UNKNOWN_DEFAULT);
    ck_assert_int_eq(GSPROV_DEFAULT_STATUS_SCOPE, GSPROV_STATUS_VHOST);
}
END_TEST

Suite *defaults_suite(void)
{
    Suite *s = suite_create("defaults");
    TCase *tc = unit_tcase("defaults");
    tcase_add_test(tc, defaults_name_their_enums);
    suite_add_tcase(s, tc);
    return s;
}
