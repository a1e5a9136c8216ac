/* Shared set-up of the fuzz targets (libFuzzer entry point or replay.c). */
#ifndef GSPROV_FUZZ_H
#define GSPROV_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <libxml/parser.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* APR and libxml2 initialised once per process; a root pool to hang the
 * per-input pools from. */
static inline apr_pool_t *fuzz_root(void)
{
    static apr_pool_t *root;
    if (!root) {
        if (apr_initialize() != APR_SUCCESS)
            abort();
        xmlInitParser();
        if (apr_pool_create(&root, NULL) != APR_SUCCESS)
            abort();
    }
    return root;
}

/* An invariant broke: say which, then crash so the fuzzer keeps the input. */
#define FUZZ_CHECK(cond) do {                                              \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,     \
                    __LINE__, #cond);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

#endif
