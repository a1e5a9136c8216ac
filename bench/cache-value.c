/*
 * CPU cost of a shared-cache value by layout, in one process: what a
 * memcached hit adds to a request (open: check, or decrypt and check)
 * and what a miss adds (pack), for
 *   plain   GsProvCacheSecret none: SHA-256 over key and value (the same
 *           work as the check of a cache without a secret before values
 *           were sealed)
 *   sealed  GsProvCacheSecret FILE: AES-256-GCM under a per-value key
 * CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), so a loaded machine
 * slows it less than wall-clock throughput.  Built and run by
 * bench/run-cache.sh (part 0); by hand:
 *   make build/libgsprov.a && cc -O2 -Ilib/base -Ilib/cache ... (see there)
 *   ./cache-value [BYTES] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include "gsprov_cache.h"
#include "gsprov_crypto.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    apr_size_t bytes = argc > 1 ? (apr_size_t)atol(argv[1]) : 3040;
    long rounds = argc > 2 ? atol(argv[2]) : 200000, i;
    const char *key = "gsprov1:0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef";
    static const unsigned char secret[32] = "bench-secret-0123456789abcdef!!";
    apr_pool_t *pool, *iter;
    gsprov_cache_t sealed;
    gsprov_output_t o, u;
    char *body;
    int m;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    apr_pool_create(&iter, pool);
    gsprov_crypto_preload();
    body = apr_palloc(pool, bytes);
    for (i = 0; i < (long)bytes; i++)
        body[i] = (char)(i * 131 + 7);
    memset(&o, 0, sizeof(o));
    o.body = body;
    o.len = bytes;
    o.kind = GSPROV_KIND_DEVICE_XML;
    o.encrypted = 1;
    o.model = "gxp2170";
    memset(&sealed, 0, sizeof(sealed));
    if (gsprov_cache_set_secret(&sealed, secret, sizeof(secret))) {
        fprintf(stderr, "cache-value: no value key (OpenSSL)\n");
        return 1;
    }
    printf("value of %lu bytes, %ld rounds, CPU ns per call:\n",
           (unsigned long)bytes, rounds);
    for (m = 0; m < 2; m++) {
        const gsprov_cache_t *c = m ? &sealed : NULL;
        double t0, t_open, t_pack;
        char *val;
        apr_size_t len;

        gsprov_cache_pack(pool, c, key, &o, &val, &len);
        t0 = now();
        for (i = 0; i < rounds; i++) {
            apr_pool_clear(iter);
            if (!gsprov_cache_unpack(iter, c, key, val, len, &u)
                || u.len != bytes) {
                fprintf(stderr, "cache-value: a value did not open\n");
                return 1;
            }
        }
        t_open = (now() - t0) / (double)rounds;
        t0 = now();
        for (i = 0; i < rounds; i++) {
            char *v;
            apr_size_t l;
            apr_pool_clear(iter);
            gsprov_cache_pack(iter, c, key, &o, &v, &l);
        }
        t_pack = (now() - t0) / (double)rounds;
        printf("VALUE %-6s open %7.0f  pack %7.0f  (%lu bytes in memcached)\n",
               m ? "sealed" : "plain", t_open, t_pack, (unsigned long)len);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}
