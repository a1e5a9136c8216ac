/*
 * The bulk formats (gsprov_bulk.h).  CSV is read and written by hand: it
 * is a few lines of RFC 4180 and none of the project's libraries has it;
 * JSON is jansson's.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include "gsprov_bulk.h"
#include "gsprov_json.h"
#include "gsprov_error.h"
#include "gsprov_layer.h"
#include "gsprov_defaults.h"

int gsprov_bulk_format_parse(const char *name, gsprov_bulk_format_e *out)
{
    if (!strcmp(name, "jsonl"))
        *out = GSPROV_BULK_JSONL;
    else if (!strcmp(name, "csv"))
        *out = GSPROV_BULK_CSV;
    else
        return 0;
    return 1;
}

/* ---- columns ---------------------------------------------------------- */

typedef enum {
    COL_MAC, COL_MODEL, COL_GROUPS, COL_PASSWORD, COL_USERNAME, COL_SECRET,
    COL_CONFIG_VERSION, COL_REDACTED, COL_VAR, COL_CONFIG, COL_PART
} col_kind_e;

typedef struct {
    col_kind_e kind;
    const char *name;           /* var / config item name */
    const char *part;           /* compound part */
    int index;                  /* usernames.N / secrets.N: N - 1;
                                 * config: 1 if written config.<name> */
    const char *header;         /* as written in the header row */
} col_t;

/* One key per column, for duplicates and for finding a record's cells. */
static const char *col_key(apr_pool_t *p, const col_t *c)
{
    return apr_psprintf(p, "%d/%d/%s/%s", (int)c->kind, c->index,
                        c->name ? c->name : "", c->part ? c->part : "");
}

/* A header cell as a column: 1, or 0 with *err. */
static int col_parse(apr_pool_t *p, const char *h, col_t *c, char **err)
{
    static const struct { const char *h; col_kind_e k; } fixed[] = {
        { "mac", COL_MAC }, { "model", COL_MODEL }, { "groups", COL_GROUPS },
        { "password", COL_PASSWORD }, { "config_version", COL_CONFIG_VERSION },
        { "redacted", COL_REDACTED }
    };
    const char *slash;
    size_t i;

    memset(c, 0, sizeof(*c));
    c->header = h;
    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (!strcmp(h, fixed[i].h)) {
            c->kind = fixed[i].k;
            return 1;
        }
    if (!strncmp(h, "usernames.", 10) || !strncmp(h, "secrets.", 8)) {
        const char *n = strchr(h, '.') + 1;
        char *end;
        long v = strtol(n, &end, 10);
        c->kind = *h == 'u' ? COL_USERNAME : COL_SECRET;
        c->index = (int)v - 1;
        if (*n >= '1' && *n <= '9' && !*end && v <= GSPROV_MAX_CREDENTIALS)
            return 1;
        *err = apr_psprintf(p, "column \"%s\": the number must be 1 to %d",
                            h, GSPROV_MAX_CREDENTIALS);
        return 0;
    }
    if (!strncmp(h, "vars.", 5)) {
        c->kind = COL_VAR;
        c->name = h + 5;
        if (gsprov_layer_ident_valid(c->name))
            return 1;
        *err = apr_psprintf(p, "column \"%s\": invalid variable name", h);
        return 0;
    }
    if (gsprov_layer_pname_valid(h)) {
        c->kind = COL_CONFIG;
        c->name = h;
        return 1;
    }
    if (!strncmp(h, "config.", 7)) {
        c->kind = COL_CONFIG;
        c->index = 1;
        c->name = h + 7;
        if ((slash = strchr(c->name, '/'))) {
            c->kind = COL_PART;
            c->index = 0;
            c->part = slash + 1;
            c->name = apr_pstrmemdup(p, c->name, (apr_size_t)(slash
                                                              - c->name));
        }
        if (gsprov_layer_ident_valid(c->name)
            && (!c->part || gsprov_layer_ident_valid(c->part)))
            return 1;
        *err = apr_psprintf(p, "column \"%s\": invalid item name", h);
        return 0;
    }
    *err = apr_psprintf(p, "unknown column \"%s\" (mac, model, groups, "
                        "password, usernames.N, secrets.N, config_version, "
                        "vars.NAME, PNNN, config.NAME[/PART], redacted)", h);
    return 0;
}

/* ---- reading CSV ------------------------------------------------------- */

typedef struct {
    const char *s;              /* NUL-terminated copy */
    int quoted;
} cell_t;

typedef struct {
    apr_pool_t *p;
    const char *buf, *end;
    const char *pos;
    long line;                  /* of pos */
    char *scratch;              /* a cell being read (as long as the input) */
} csv_in_t;

/* The next record's cells (array of cell_t); 0 at the end of the input,
 * -1 with *err for a malformed record (the input is resynchronised at the
 * next line). */
static int csv_next(csv_in_t *in, apr_array_header_t *cells, char **err)
{
    apr_pool_t *p = in->p;
    const char *s = in->pos;
    char *b = in->scratch;
    apr_size_t n;

    apr_array_clear(cells);
    if (s >= in->end)
        return 0;
    for (;;) {
        cell_t *c = &APR_ARRAY_PUSH(cells, cell_t);
        n = 0;
        c->quoted = 0;
        if (s < in->end && *s == '"') {
            c->quoted = 1;
            s++;
            for (;;) {
                if (s >= in->end) {
                    *err = apr_pstrdup(p, "a quoted cell is not closed");
                    in->pos = in->end;
                    return -1;
                }
                if (*s == '"') {
                    if (s + 1 < in->end && s[1] == '"') {
                        b[n++] = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                if (*s == '\n')
                    in->line++;
                b[n++] = *s++;
            }
            if (s < in->end && *s != ',' && *s != '\n'
                && !(*s == '\r' && s + 1 < in->end && s[1] == '\n')
                && !(*s == '\r' && s + 1 == in->end)) {
                *err = apr_pstrdup(p, "text after a quoted cell (a quote "
                                   "inside a cell is written \"\")");
                goto resync;
            }
        }
        else {
            while (s < in->end && *s != ',' && *s != '\n' && *s != '\r') {
                if (*s == '"') {
                    *err = apr_pstrdup(p, "a quote inside an unquoted cell "
                                       "(quote the cell and write \"\")");
                    goto resync;
                }
                b[n++] = *s++;
            }
            if (s < in->end && *s == '\r'
                && !(s + 1 == in->end || s[1] == '\n')) {
                *err = apr_pstrdup(p, "a carriage return inside an unquoted "
                                   "cell");
                goto resync;
            }
        }
        c->s = apr_pstrmemdup(p, b, n);
        if (s < in->end && *s == ',') {
            s++;
            continue;
        }
        if (s < in->end && *s == '\r')
            s++;
        if (s < in->end && *s == '\n')
            s++;
        in->line++;
        in->pos = s;
        return 1;
    }

resync:
    while (s < in->end && *s != '\n')
        s++;
    if (s < in->end)
        s++;
    in->line++;
    in->pos = s;
    return -1;
}

static int row_blank(const apr_array_header_t *cells)
{
    const cell_t *c = &APR_ARRAY_IDX(cells, 0, cell_t);
    return cells->nelts == 1 && !c->quoted && !*c->s;
}

static gsprov_bulk_item_t *new_item(apr_array_header_t *items, long line)
{
    gsprov_bulk_item_t *it = &APR_ARRAY_PUSH(items, gsprov_bulk_item_t);
    memset(it, 0, sizeof(*it));
    it->line = line;
    return it;
}

static void item_fail(apr_pool_t *p, gsprov_bulk_item_t *it,
                      const char *field, const char *err)
{
    it->rec = NULL;
    it->field = field;
    it->err = err ? err : apr_pstrdup(p, "unreadable");
}

static json_t *obj_child(json_t *o, const char *key, int array)
{
    json_t *c = json_object_get(o, key);
    if (!c) {
        c = array ? json_array() : json_object();
        json_object_set_new(o, key, c);
    }
    return c;
}

/* Put a space-separated list in rec[key]. */
static void put_words(apr_pool_t *p, json_t *rec, const char *key,
                      const char *s)
{
    json_t *a = obj_child(rec, key, 1);
    const char *w;

    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        for (w = s; *s && *s != ' ' && *s != '\t'; s++)
            ;
        if (s > w)
            json_array_append_new(a, json_string(apr_pstrmemdup(
                p, w, (apr_size_t)(s - w))));
    }
}

/* A row as record JSON, in the order gsprov_record_from_json writes. */
static void csv_row(apr_pool_t *p, const col_t *cols,
                    const apr_array_header_t *cells, gsprov_bulk_item_t *it)
{
    json_t *rec = gsprov_json_pool(p, json_object());
    /* usernames and secrets, added after the loop (held by the pool
     * meanwhile, so an early return leaks nothing) */
    json_t *creds = gsprov_json_pool(p, json_object()), *v, *a;
    static const char *const cred_keys[2] = { "usernames", "secrets" };
    int i, k;

    it->rec = rec;
    for (i = 0; i < cells->nelts; i++) {
        const cell_t *c = &APR_ARRAY_IDX(cells, i, cell_t);
        const col_t *col = &cols[i];

        if (!*c->s && !c->quoted)
            continue;           /* not set */
        if (!(v = json_string(c->s))) {     /* not UTF-8 */
            item_fail(p, it, col->header, apr_psprintf(
                      p, "column %s: not UTF-8 text", col->header));
            return;
        }
        switch (col->kind) {
        case COL_MAC:
            if (!gsprov_mac_parse(c->s, strlen(c->s), it->mac)) {
                json_decref(v);
                it->mac[0] = '\0';
                item_fail(p, it, "mac", "mac must be 12 hex digits");
                return;
            }
            json_object_set_new(rec, "mac", v);
            break;
        case COL_MODEL:    json_object_set_new(rec, "model", v); break;
        case COL_PASSWORD: json_object_set_new(rec, "password", v); break;
        case COL_GROUPS:
            json_decref(v);
            put_words(p, rec, "groups", c->s);
            break;
        case COL_REDACTED:
            json_decref(v);
            put_words(p, rec, "redacted", c->s);
            break;
        case COL_USERNAME:
        case COL_SECRET:
            a = obj_child(creds, cred_keys[col->kind == COL_SECRET], 1);
            /* numbered cells in order; a gap is refused by the index */
            while (json_array_size(a) <= (size_t)col->index)
                json_array_append_new(a, json_null());
            json_array_set_new(a, (size_t)col->index, v);
            break;
        case COL_CONFIG_VERSION:
            json_decref(v);
            if (strcmp(c->s, "1") && strcmp(c->s, "2")) {
                item_fail(p, it, "config_version",
                          "config_version must be 1 or 2");
                return;
            }
            json_object_set_new(rec, "config_version",
                                json_integer(*c->s - '0'));
            break;
        case COL_VAR:
            json_object_set_new(obj_child(rec, "vars", 0), col->name, v);
            break;
        case COL_CONFIG:
            json_object_set_new(obj_child(rec, "config", 0), col->name, v);
            break;
        case COL_PART:
            json_object_set_new(obj_child(obj_child(rec, "config", 0),
                                          col->name, 0), col->part, v);
            break;
        }
    }
    /* the fields gsprov_record_from_json reads by name may come in any
     * order; only vars and config keep the columns' order */
    for (k = 0; k < 2; k++)
        if ((a = json_object_get(creds, cred_keys[k])))
            json_object_set(rec, cred_keys[k], a);
    /* as in every exported record JSON, so a record comes out of a CSV
     * import with the same bytes as out of a jsonl one */
    obj_child(rec, "config", 0);
    if (!it->mac[0])
        item_fail(p, it, "mac", "no mac");
}

static void read_csv(apr_pool_t *p, const char *buf, apr_size_t len,
                     apr_array_header_t *items)
{
    apr_array_header_t *cells = apr_array_make(p, 16, sizeof(cell_t));
    apr_hash_t *seen = apr_hash_make(p);
    csv_in_t in;
    col_t *cols;
    char *err = NULL;
    long line;
    int i, rc, ncols;

    /* a spreadsheet's UTF-8 byte order mark */
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
        buf += 3;
        len -= 3;
    }
    in.p = p;
    in.buf = in.pos = buf;
    in.end = buf + len;
    in.line = 1;
    in.scratch = apr_palloc(p, len + 1);
    if ((rc = csv_next(&in, cells, &err)) <= 0) {
        item_fail(p, new_item(items, 1), NULL, rc ? err
                  : "no header row (the first row names the columns)");
        return;
    }
    ncols = cells->nelts;
    cols = apr_pcalloc(p, sizeof(col_t) * (apr_size_t)ncols);
    for (i = 0; i < ncols; i++) {
        const char *key;
        if (!col_parse(p, APR_ARRAY_IDX(cells, i, cell_t).s, &cols[i],
                       &err)) {
            item_fail(p, new_item(items, 1), "header", err);
            return;
        }
        key = col_key(p, &cols[i]);
        if (apr_hash_get(seen, key, APR_HASH_KEY_STRING)) {
            item_fail(p, new_item(items, 1), "header", apr_psprintf(
                      p, "column \"%s\" twice", cols[i].header));
            return;
        }
        apr_hash_set(seen, key, APR_HASH_KEY_STRING, "");
    }
    for (;;) {
        gsprov_bulk_item_t *it;
        line = in.line;
        if (!(rc = csv_next(&in, cells, &err)))
            break;
        if (rc > 0 && row_blank(cells))
            continue;
        it = new_item(items, line);
        if (rc < 0)
            item_fail(p, it, NULL, err);
        else if (cells->nelts != ncols)
            item_fail(p, it, NULL, apr_psprintf(
                      p, "%d cells, the header has %d", cells->nelts, ncols));
        else
            csv_row(p, cols, cells, it);
    }
}

/* ---- reading JSON lines ------------------------------------------------ */

/* (the input need not be NUL-terminated) */
static int blank(const char *s, apr_size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    return !n;
}

static void read_jsonl(apr_pool_t *p, const char *buf, apr_size_t len,
                       apr_array_header_t *items)
{
    const char *s = buf, *end = buf + len, *nl;
    long line = 0;

    for (; s < end; s = nl + 1) {
        gsprov_bulk_item_t *it;
        const json_t *m;
        apr_size_t n;
        char *err = NULL;
        json_t *doc;

        line++;
        if (!(nl = memchr(s, '\n', (apr_size_t)(end - s))))
            nl = end;
        n = (apr_size_t)(nl - s);
        if (n && s[n - 1] == '\r')
            n--;
        if (blank(s, n))
            continue;
        it = new_item(items, line);
        if (gsprov_json_parse(p, s, n, &doc, &err)) {
            item_fail(p, it, NULL, err);
            continue;
        }
        if (!json_is_object(doc)) {
            item_fail(p, it, NULL, "not a JSON object");
            continue;
        }
        m = json_object_get(doc, "mac");
        if (!json_is_string(m)
            || !gsprov_mac_parse(json_string_value(m), json_string_length(m),
                                 it->mac)) {
            it->mac[0] = '\0';
            item_fail(p, it, "mac", "mac must be 12 hex digits");
            continue;
        }
        it->rec = doc;
    }
}

apr_array_header_t *gsprov_bulk_read(apr_pool_t *p, gsprov_bulk_format_e fmt,
                                     const char *buf, apr_size_t len)
{
    apr_array_header_t *items = apr_array_make(p, 64,
                                               sizeof(gsprov_bulk_item_t));
    if (fmt == GSPROV_BULK_CSV)
        read_csv(p, buf, len, items);
    else
        read_jsonl(p, buf, len, items);
    return items;
}

/* ---- writing ----------------------------------------------------------- */

const char *gsprov_bulk_jsonl_line(apr_pool_t *p, const json_t *rec)
{
    return apr_pstrcat(p, gsprov_json_dump(p, rec), "\n", NULL);
}

struct gsprov_bulk_csv {
    apr_pool_t *p;
    apr_hash_t *index;          /* col_key -> index + 1 into cols */
    apr_array_header_t *cols;   /* col_t, in the order first seen */
    int sorted;
};

static void add_col(gsprov_bulk_csv_t *c, col_kind_e kind, const char *name,
                    const char *part, int index);

gsprov_bulk_csv_t *gsprov_bulk_csv_make(apr_pool_t *p)
{
    gsprov_bulk_csv_t *c = apr_pcalloc(p, sizeof(*c));
    c->p = p;
    c->index = apr_hash_make(p);
    c->cols = apr_array_make(p, 16, sizeof(col_t));
    /* always there, so an empty store exports a usable header */
    add_col(c, COL_MAC, NULL, NULL, 0);
    add_col(c, COL_MODEL, NULL, NULL, 0);
    add_col(c, COL_GROUPS, NULL, NULL, 0);
    return c;
}

static void add_col(gsprov_bulk_csv_t *c, col_kind_e kind, const char *name,
                    const char *part, int index)
{
    col_t col;
    const char *key;

    memset(&col, 0, sizeof(col));
    col.kind = kind;
    col.name = name;
    col.part = part;
    col.index = index;
    key = col_key(c->p, &col);
    if (apr_hash_get(c->index, key, APR_HASH_KEY_STRING))
        return;
    col.name = name ? apr_pstrdup(c->p, name) : NULL;
    col.part = part ? apr_pstrdup(c->p, part) : NULL;
    APR_ARRAY_PUSH(c->cols, col_t) = col;
    apr_hash_set(c->index, key, APR_HASH_KEY_STRING,
                 (void *)(apr_uintptr_t)c->cols->nelts);
    c->sorted = 0;
}

/* A config column is written config.<name> unless it is a version 1
 * P-value (P3), so that it reads back as the same column. */
static int prefixed(int version, const char *name)
{
    return version || !gsprov_layer_pname_valid(name);
}

void gsprov_bulk_csv_add(gsprov_bulk_csv_t *c, const json_t *rec)
{
    const json_t *v, *pv;
    const char *k, *pk;
    int version = json_integer_value(json_object_get(rec,
                                                     "config_version")) == 2;
    size_t i;

    if (json_object_get(rec, "password"))
        add_col(c, COL_PASSWORD, NULL, NULL, 0);
    for (i = 0; i < json_array_size(json_object_get(rec, "usernames")); i++)
        add_col(c, COL_USERNAME, NULL, NULL, (int)i);
    for (i = 0; i < json_array_size(json_object_get(rec, "secrets")); i++)
        add_col(c, COL_SECRET, NULL, NULL, (int)i);
    if (version)
        add_col(c, COL_CONFIG_VERSION, NULL, NULL, 0);
    if (json_array_size(json_object_get(rec, "redacted")))
        add_col(c, COL_REDACTED, NULL, NULL, 0);
    json_object_foreach((json_t *)json_object_get(rec, "vars"), k, v)
        add_col(c, COL_VAR, k, NULL, 0);
    json_object_foreach((json_t *)json_object_get(rec, "config"), k, v) {
        if (!json_is_object(v))
            add_col(c, COL_CONFIG, k, NULL, prefixed(version, k));
        else
            json_object_foreach((json_t *)v, pk, pv)
                add_col(c, COL_PART, k, pk, 0);
    }
}

/* Fixed columns first, vars by name, config as first seen. */
static int col_cmp(const void *a, const void *b)
{
    const col_t *x = a, *y = b;
    if (x->kind != y->kind && (x->kind < COL_CONFIG || y->kind < COL_CONFIG))
        return (int)x->kind - (int)y->kind;
    if (x->kind == COL_VAR)
        return strcmp(x->name, y->name);
    if (x->kind == COL_USERNAME || x->kind == COL_SECRET)
        return x->index - y->index;
    return 0;
}

static void sort_cols(gsprov_bulk_csv_t *c)
{
    int i;

    if (c->sorted)
        return;
    /* a stable sort: config columns keep their order (insertion sort; the
     * number of columns is small) */
    for (i = 1; i < c->cols->nelts; i++) {
        col_t x = APR_ARRAY_IDX(c->cols, i, col_t);
        int j = i;
        while (j > 0 && col_cmp(&APR_ARRAY_IDX(c->cols, j - 1, col_t), &x) > 0) {
            APR_ARRAY_IDX(c->cols, j, col_t) = APR_ARRAY_IDX(c->cols, j - 1,
                                                             col_t);
            j--;
        }
        APR_ARRAY_IDX(c->cols, j, col_t) = x;
    }
    apr_hash_clear(c->index);
    for (i = 0; i < c->cols->nelts; i++)
        apr_hash_set(c->index, col_key(c->p, &APR_ARRAY_IDX(c->cols, i,
                                                            col_t)),
                     APR_HASH_KEY_STRING, (void *)(apr_uintptr_t)(i + 1));
    c->sorted = 1;
}

/* A cell: quoted when it must be, and when it is set but empty (an
 * unquoted empty cell is "not set"). */
static const char *csv_cell(apr_pool_t *p, const char *s)
{
    const char *q;
    char *out, *o;

    if (*s && !strpbrk(s, ",\"\r\n"))
        return s;
    out = o = apr_palloc(p, 2 * strlen(s) + 3);
    *o++ = '"';
    for (q = s; *q; q++) {
        if (*q == '"')
            *o++ = '"';
        *o++ = *q;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static const char *col_header(apr_pool_t *p, const col_t *c)
{
    switch (c->kind) {
    case COL_MAC:            return "mac";
    case COL_MODEL:          return "model";
    case COL_GROUPS:         return "groups";
    case COL_PASSWORD:       return "password";
    case COL_CONFIG_VERSION: return "config_version";
    case COL_REDACTED:       return "redacted";
    case COL_USERNAME:
        return apr_psprintf(p, "usernames.%d", c->index + 1);
    case COL_SECRET:
        return apr_psprintf(p, "secrets.%d", c->index + 1);
    case COL_VAR:            return apr_pstrcat(p, "vars.", c->name, NULL);
    case COL_CONFIG:
        return c->index ? apr_pstrcat(p, "config.", c->name, NULL) : c->name;
    case COL_PART:
        return apr_pstrcat(p, "config.", c->name, "/", c->part, NULL);
    }
    return "";
}

const char *gsprov_bulk_csv_header(apr_pool_t *p, gsprov_bulk_csv_t *c)
{
    apr_array_header_t *out = apr_array_make(p, c->cols->nelts + 1,
                                             sizeof(const char *));
    int i;

    sort_cols(c);
    for (i = 0; i < c->cols->nelts; i++)
        APR_ARRAY_PUSH(out, const char *) = csv_cell(p, col_header(
            p, &APR_ARRAY_IDX(c->cols, i, col_t)));
    return apr_pstrcat(p, apr_array_pstrcat(p, out, ','), "\r\n", NULL);
}

static const char *words(apr_pool_t *p, const json_t *a)
{
    apr_array_header_t *w = apr_array_make(p, 4, sizeof(const char *));
    size_t i;

    for (i = 0; i < json_array_size(a); i++)
        APR_ARRAY_PUSH(w, const char *) = json_string_value(
            json_array_get(a, i));
    return apr_array_pstrcat(p, w, ' ');
}

/* Set cells[col of (kind, name, part, index)] to s: 0 if no column. */
static int set_cell(apr_pool_t *p, const gsprov_bulk_csv_t *c,
                    const char **cells, col_kind_e kind, const char *name,
                    const char *part, int index, const char *s)
{
    col_t col;
    apr_uintptr_t i;

    memset(&col, 0, sizeof(col));
    col.kind = kind;
    col.name = name;
    col.part = part;
    col.index = index;
    i = (apr_uintptr_t)apr_hash_get(c->index, col_key(p, &col),
                                    APR_HASH_KEY_STRING);
    if (!i)
        return 0;
    cells[i - 1] = csv_cell(p, s ? s : "");
    return 1;
}

apr_status_t gsprov_bulk_csv_row(apr_pool_t *p, const gsprov_bulk_csv_t *c,
                                 const json_t *rec, const char **row,
                                 char **err)
{
    const char **cells = apr_pcalloc(p, sizeof(char *)
                                        * (apr_size_t)(c->cols->nelts + 1));
    apr_array_header_t out;
    const json_t *v, *pv;
    const char *k, *pk, *missing = NULL;
    int version = json_integer_value(json_object_get(rec,
                                                     "config_version")) == 2;
    size_t i;
    int n;

#define SET(kind, name, part, idx, s, what)                                 \
    do { if (!set_cell(p, c, cells, kind, name, part, idx, s)) missing = what; \
    } while (0)
    SET(COL_MAC, NULL, NULL, 0,
        json_string_value(json_object_get(rec, "mac")), "mac");
    if ((v = json_object_get(rec, "model")))
        SET(COL_MODEL, NULL, NULL, 0, json_string_value(v), "model");
    if (json_array_size(v = json_object_get(rec, "groups")))
        SET(COL_GROUPS, NULL, NULL, 0, words(p, v), "groups");
    if ((v = json_object_get(rec, "password")))
        SET(COL_PASSWORD, NULL, NULL, 0, json_string_value(v), "password");
    for (i = 0; i < json_array_size(v = json_object_get(rec, "usernames"));
         i++)
        SET(COL_USERNAME, NULL, NULL, (int)i,
            json_string_value(json_array_get(v, i)), "usernames");
    for (i = 0; i < json_array_size(v = json_object_get(rec, "secrets")); i++)
        SET(COL_SECRET, NULL, NULL, (int)i,
            json_string_value(json_array_get(v, i)), "secrets");
    if (version)
        SET(COL_CONFIG_VERSION, NULL, NULL, 0, "2", "config_version");
    if (json_array_size(v = json_object_get(rec, "redacted")))
        SET(COL_REDACTED, NULL, NULL, 0, words(p, v), "redacted");
    json_object_foreach((json_t *)json_object_get(rec, "vars"), k, v)
        SET(COL_VAR, k, NULL, 0, json_string_value(v),
            apr_pstrcat(p, "vars.", k, NULL));
    json_object_foreach((json_t *)json_object_get(rec, "config"), k, v) {
        if (!json_is_object(v))
            SET(COL_CONFIG, k, NULL, prefixed(version, k),
                json_string_value(v),
                apr_pstrcat(p, "config.", k, NULL));
        else
            json_object_foreach((json_t *)v, pk, pv)
                SET(COL_PART, k, pk, 0, json_string_value(pv),
                    apr_pstrcat(p, "config.", k, "/", pk, NULL));
    }
#undef SET
    if (missing) {
        *err = apr_psprintf(p, "%s: %s has no column (the record changed "
                            "during the export)",
                            json_string_value(json_object_get(rec, "mac")),
                            missing);
        return GSPROV_EINVAL;
    }
    for (n = 0; n < c->cols->nelts; n++)
        if (!cells[n])
            cells[n] = "";
    out.pool = p;
    out.elt_size = sizeof(const char *);
    out.nelts = out.nalloc = c->cols->nelts;
    out.elts = (char *)cells;
    *row = apr_pstrcat(p, apr_array_pstrcat(p, &out, ','), "\r\n", NULL);
    return APR_SUCCESS;
}
