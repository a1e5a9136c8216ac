/*
 * Options the gsprov subcommands share, for their getopt_long loops:
 * where the store is and the tenant's variables (--root, --var,
 * --vars-file, --config/--vhost), a password (--password,
 * --password-file) and --help.  A subcommand lists the groups it takes
 * next to its own options:
 *
 *   static const struct option own[] = { { "format", 1, NULL, 'f' }, ... };
 *   gsprov_cliopt_t o;
 *   gsprov_cliopt_init(&o, p, "render", usage, GSPROV_CLIOPT_STORE);
 *   while ((c = gsprov_cliopt_next(&o, argc, argv, own)) != -1)
 *       switch (c) {
 *       case 'f': ...
 *       default: if ((rc = gsprov_cliopt_shared(&o, c)) != 0) return rc;
 *       }
 *   ... positional arguments: argv[optind] to argv[argc - 1]
 *   if ((rc = gsprov_cliopt_finish(&o)) != 0) return rc;
 *
 * Every message starts "gsprov <command>: "; usage errors exit 2,
 * unreadable files and the like 1.
 */
#ifndef GSPROV_CLIOPT_H
#define GSPROV_CLIOPT_H

#include <getopt.h>
#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>

#define GSPROV_EXIT_USAGE 2

/* option groups a subcommand takes */
#define GSPROV_CLIOPT_STORE     0x1     /* --root, --var, --vars-file,
                                         * --config, --vhost */
#define GSPROV_CLIOPT_PASSWORD  0x2     /* --password, --password-file */

/* getopt_long values of the shared options (a subcommand's own use
 * characters or values below 0x100) */
enum {
    GSPROV_OPT_ROOT = 0x100, GSPROV_OPT_VAR,
    GSPROV_OPT_VARS_FILE, GSPROV_OPT_CONFIG, GSPROV_OPT_VHOST,
    GSPROV_OPT_PASSWORD, GSPROV_OPT_PASSWORD_FILE
};

typedef struct {
    apr_pool_t *p;
    const char *cmd;            /* "render": for messages */
    const char *usage;          /* printed with usage errors and --help */
    int groups;                 /* GSPROV_CLIOPT_* */
    struct option *longopts;    /* built by the first gsprov_cliopt_next */
    /* GSPROV_CLIOPT_STORE */
    const char *root;           /* --root, or the vhost's GsProvRoot */
    apr_hash_t *vars;           /* after finish: every source merged */
    apr_array_header_t *var_args;   /* --var NAME=VALUE, in order */
    const char *vars_file, *config, *vhost;
    int have_vars;              /* any of --var, --vars-file, --config */
    /* GSPROV_CLIOPT_PASSWORD */
    const char *password_spec;  /* --password's value */
    const char *password_file;
    const char *password;       /* after finish: the password, or NULL */
} gsprov_cliopt_t;

void gsprov_cliopt_init(gsprov_cliopt_t *o, apr_pool_t *p, const char *cmd,
                        const char *usage, int groups);

/* getopt_long over own (terminated by a zero entry) and the shared
 * options; returns the option's value, or -1 at the end.  An unknown
 * option or a missing value is a usage error: printed, and returned as
 * GSPROV_OPT_ERROR (which gsprov_cliopt_shared turns into exit 2). */
#define GSPROV_OPT_ERROR 0x1ff
int gsprov_cliopt_next(gsprov_cliopt_t *o, int argc, char **argv,
                       const struct option *own);

/* A shared option (or GSPROV_OPT_ERROR, or one the subcommand does not
 * handle): 0 to go on, or the exit code (2) after printing why. */
int gsprov_cliopt_shared(gsprov_cliopt_t *o, int opt);

/* After the loop: reads --config/--vhost and --vars-file, merges the
 * variables (the Apache config, then the file, then --var: the later
 * wins), resolves the password.  0, or the exit code (message printed). */
int gsprov_cliopt_finish(gsprov_cliopt_t *o);

/* "gsprov <cmd>: <message>" and the usage on stderr; returns 2. */
int gsprov_cliopt_usage_error(const gsprov_cliopt_t *o, const char *fmt,
                              ...) __attribute__((format(printf, 2, 3)));

/* A password given as openssl's -pass forms: pass:PW, env:NAME,
 * file:PATH (its first line); anything else is the password itself.
 * NULL and *err on failure. */
const char *gsprov_cliopt_password(apr_pool_t *p, const char *spec,
                                   const char **err);

#endif
