/*
 * The shared slot of a template directory and its snapshot files (see
 * gsprov_tplshare.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_atomic.h>
#include <apr_thread_proc.h>
#include <apr_file_info.h>
#include "gsprov_tplshare.h"
#include "gsprov_fsio.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

/* ---- the slot --------------------------------------------------------- */

/* apr_atomic_add32(x, 0): a read that is also a full barrier, so the
 * copy between two of them cannot be reordered around them. */
#define SEQ(s) apr_atomic_add32(&(s)->seq, 0)

int gsprov_tplshare_read(gsprov_tplshare_slot_t *s,
                         gsprov_tplshare_state_t *out)
{
    int i;

    /* a writer copies a few hundred bytes: a few rounds are plenty; only
     * a writer killed in the middle makes them run out */
    for (i = 0; i < 1000; i++) {
        apr_uint32_t a = SEQ(s);
        if (!(a & 1)) {
            memcpy(out, &s->st, sizeof(*out));
            if (SEQ(s) == a)
                return 1;
        }
        if (i > 10)
            apr_thread_yield();
    }
    return 0;
}

void gsprov_tplshare_write(gsprov_tplshare_slot_t *s,
                           const gsprov_tplshare_state_t *in)
{
    apr_uint32_t a = SEQ(s);

    if (a & 1)          /* left odd by a writer that died: even it out */
        a++;
    apr_atomic_xchg32(&s->seq, a + 1);
    memcpy(&s->st, in, sizeof(*in));
    apr_atomic_xchg32(&s->seq, a + 2);
}

apr_uint32_t gsprov_tplshare_gen(gsprov_tplshare_slot_t *s)
{
    return apr_atomic_read32(&s->st.gen);
}

int gsprov_tplshare_claim(gsprov_tplshare_slot_t *s, apr_time_t now,
                          apr_interval_time_t interval)
{
    apr_uint64_t last = apr_atomic_read64(&s->last_check);
    apr_uint64_t lease = apr_atomic_read64(&s->lease);

    if (now - (apr_time_t)last < interval || (apr_time_t)lease > now)
        return 0;
    if (apr_atomic_cas64(&s->lease, (apr_uint64_t)(now
                         + apr_time_from_sec(GSPROV_TEMPLATES_LEASE_SECONDS)),
                         lease) != lease)
        return 0;       /* another process or thread was faster */
    apr_atomic_set64(&s->last_check, (apr_uint64_t)now);
    return 1;
}

void gsprov_tplshare_release(gsprov_tplshare_slot_t *s)
{
    apr_atomic_set64(&s->lease, 0);
}

/* ---- snapshot files ----------------------------------------------------
 *
 *   gsprov-templates 1\n
 *   stamp <hex>\n
 *   <rel> <length>\n<bytes>\n        one per file
 *
 * Only this module writes them, into a directory only the server's user
 * can write; the reader still checks every length, and the caller hashes
 * the bytes against the version the file is named after.
 */

#define MAGIC "gsprov-templates 1\n"

static const char *snap_name(apr_pool_t *p, const char *tag,
                             const char *version)
{
    return apr_pstrcat(p, tag, ".", version, NULL);
}

typedef struct {
    const char *b;
    apr_size_t n;
} part_t;

apr_status_t gsprov_tplshare_save(apr_pool_t *p, const char *dir,
                                  const char *tag, const char *version,
                                  const char *stamp,
                                  const apr_array_header_t *files,
                                  char **err)
{
    apr_array_header_t *parts = apr_array_make(p, 3 * files->nelts + 1,
                                               sizeof(part_t));
    apr_size_t len = 0, off = 0;
    apr_finfo_t fi;
    part_t *v;
    char *buf;
    int i;

#define PART(s, l) (v = apr_array_push(parts), v->b = (s), v->n = (l), \
                    len += v->n)
    PART(apr_pstrcat(p, MAGIC "stamp ", stamp, "\n", NULL), strlen(v->b));
    for (i = 0; i < files->nelts; i++) {
        const gsprov_tplshare_file_t *f =
            &APR_ARRAY_IDX(files, i, gsprov_tplshare_file_t);
        PART(apr_psprintf(p, "%s %" APR_SIZE_T_FMT "\n", f->rel, f->len),
             strlen(v->b));
        PART(f->data, f->len);
        PART("\n", 1);
    }
#undef PART
    /* never made again here: once the server's generation is over (a
     * graceful restart removed it), nobody would read or remove it */
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, p) != APR_SUCCESS
        || fi.filetype != APR_DIR) {
        *err = apr_psprintf(p, "%s: no such directory", dir);
        return APR_ENOENT;
    }
    buf = apr_palloc(p, len);
    for (i = 0; i < parts->nelts; i++) {
        v = &APR_ARRAY_IDX(parts, i, part_t);
        memcpy(buf + off, v->b, v->n);
        off += v->n;
    }
    return gsprov_fsio_write_atomic(p, dir, ".", snap_name(p, tag, version),
                                    buf, len, err);
}

apr_status_t gsprov_tplshare_load(apr_pool_t *p, const char *dir,
                                  const char *tag, const char *version,
                                  const char **stamp,
                                  apr_array_header_t **files, char **err)
{
    const char *path = apr_pstrcat(p, dir, "/", snap_name(p, tag, version),
                                   NULL);
    apr_array_header_t *a = apr_array_make(p, 16,
                                           sizeof(gsprov_tplshare_file_t));
    char *buf, *at, *end, *nl;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, dir, snap_name(p, tag, version),
                               GSPROV_MAX_TEMPLATE_SNAPSHOT_BYTES, &buf, &len,
                               err);
    if (rv != APR_SUCCESS)
        return rv;
    end = buf + len;
    if (len < sizeof(MAGIC) - 1 || memcmp(buf, MAGIC, sizeof(MAGIC) - 1)
        || strncmp(buf + sizeof(MAGIC) - 1, "stamp ", 6)
        || !(nl = memchr(buf + sizeof(MAGIC) - 1, '\n',
                         len - (sizeof(MAGIC) - 1))))
        goto corrupt;
    *stamp = apr_pstrmemdup(p, buf + sizeof(MAGIC) + 5,
                            (apr_size_t)(nl - buf) - sizeof(MAGIC) - 5);
    for (at = nl + 1; at < end; ) {
        gsprov_tplshare_file_t *f;
        char *sp, *num_end;
        apr_int64_t n;

        if (!(nl = memchr(at, '\n', (apr_size_t)(end - at)))
            || !(sp = memchr(at, ' ', (apr_size_t)(nl - at))) || sp == at)
            goto corrupt;
        *nl = '\0';
        n = apr_strtoi64(sp + 1, &num_end, 10);
        if (*num_end || n < 0 || n > end - (nl + 1) - 1 || nl[1 + n] != '\n')
            goto corrupt;
        f = apr_array_push(a);
        f->rel = apr_pstrmemdup(p, at, (apr_size_t)(sp - at));
        f->data = nl + 1;
        f->len = (apr_size_t)n;
        nl[1 + n] = '\0';   /* each file NUL-terminated, as if read alone */
        at = nl + 2 + n;
    }
    *files = a;
    return APR_SUCCESS;

corrupt:
    *err = apr_psprintf(p, "%s: not a template snapshot", path);
    return GSPROV_ECORRUPT;
}

void gsprov_tplshare_remove(apr_pool_t *p, const char *dir, const char *tag,
                            const char *version)
{
    /* a file already gone is fine: the cleanup of the server's pool
     * empties the directory anyway */
    unlink(apr_pstrcat(p, dir, "/", snap_name(p, tag, version), NULL));
}
