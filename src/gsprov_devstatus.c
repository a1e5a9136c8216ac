/*
 * The provisioning status (GsProvDeviceStatus): what every device
 * fetched, recorded off the request path.
 *
 *   log_transaction  after the answer is sent: the request's device,
 *                    file kind, result, client and User-Agent go into a
 *                    bounded buffer in memory (gsprov_seenbuf.c), one per
 *                    child and destination (vhost, store, tenant); no
 *                    disk or database access (the record version comes
 *                    from the read the request already made)
 *   flusher thread   one per child: writes each buffer to its store
 *                    (status_put) every GsProvDeviceStatusFlush seconds,
 *                    sooner when it is half full, and once more when the
 *                    child exits; a write that fails is counted and
 *                    logged at most once per interval, never felt by a
 *                    request
 *   settler thread   one per child, at idle priority: where a store
 *                    writes in two steps (the directory store's log,
 *                    gsprov_status_dir.h), makes what was flushed visible,
 *                    using the CPU the devices leave
 *   counters         recorded, dropped (buffer full), written, failed:
 *                    the status page (gsprov_stats.c)
 */
#include <string.h>
#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"

#include "mod_gsprov.h"
#include "gsprov_request.h"
#include "gsprov_name.h"
#include "gsprov_useragent.h"
#include "gsprov_seenbuf.h"
#include "gsprov_kinds.h"
#include "gsprov_defaults.h"

APLOG_USE_MODULE(gsprov);

#if APR_HAS_THREADS

/* A destination: the buffer of one vhost's store (and tenant). */
typedef struct {
    server_rec *s;
    gsprov_store_t *store;      /* GsProvRoot's store; for GsProvStore dbd
                                 * the templates of the database store */
    const char *tenant;         /* GsProvStore dbd: its tenant; NULL: the
                                 * directory store */
    gsprov_stats_t *stats;
    gsprov_seenbuf_t *buf;
    int bound;
    apr_interval_time_t interval;
    apr_time_t due;             /* the flusher's: next write */
} sink_t;

/* A store whose status is settled in a second step: every directory
 * store of the configuration. */
typedef struct {
    gsprov_store_t *store;
    int dirty;                  /* something may wait to be settled */
    apr_time_t due;             /* not before */
    apr_time_t since;           /* dirty since (0: settled) */
} settle_t;

typedef struct {
    apr_pool_t *pool;           /* our own allocator, with a mutex: request
                                 * threads and the flusher share it */
    apr_thread_mutex_t *lock;   /* sinks, stop, urgent */
    apr_thread_cond_t *wake;
    apr_array_header_t *sinks;  /* sink_t * */
    apr_hash_t *by_key;
    apr_thread_t *thread;
    int urgent;                 /* a buffer is half full */
    /* the settler: its own wake-up, under lock */
    server_rec *s;
    apr_hash_t *settles;        /* gsprov_store_t * -> settle_t * */
    apr_array_header_t *settle_list;
    apr_thread_cond_t *settle_wake;
    apr_thread_t *settler;
    volatile apr_uint32_t stopping;     /* the child exits: set under lock,
                                         * the settler reads it without */
    volatile apr_uint32_t recorded;     /* requests this child recorded:
                                         * the settler's measure of a
                                         * storm */
} child_t;

/* One settle's view of the child's load: it stops when a storm starts. */
typedef struct {
    child_t *c;
    apr_uint32_t count;         /* recorded at checked */
    apr_time_t checked;
    int busy;                   /* the last verdict */
} settle_run_t;

/* This child's state: set in child_init only. */
static child_t *child;

/* ---- recording ---------------------------------------------------------- */

/* The file kind of a device request (gsprov_kinds.h), or NULL if it was
 * not for a provisioning file. */
static const char *seen_kind(request_rec *r, int fw)
{
    static const struct { const char *note, *kind; } kinds[] = {
        { "device-xml", GSPROV_SEEN_XML }, { "device-bin", GSPROV_SEEN_BIN },
        { "model-xml", GSPROV_SEEN_MODEL },
        { "generic-xml", GSPROV_SEEN_GENERIC } };
    const char *file = apr_table_get(r->notes, "gsprov-file");
    gsprov_name_t name;
    size_t i;

    if (fw)
        return GSPROV_SEEN_FIRMWARE;
    if (apr_table_get(r->notes, "gsprov-redirect"))
        return GSPROV_SEEN_REDIRECT;
    if (!file) {
        /* refused before the handler ran (401, 403): what was asked? */
        const char *seg = gsprov_request_segment(r);
        if (!gsprov_name_resolve(seg, strlen(seg), &name))
            return NULL;
        file = gsprov_name_kind(name.kind);
    }
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(file, kinds[i].note))
            return kinds[i].kind;
    return NULL;
}

/* The device: the MAC a request named (file name, firmware path, client
 * certificate), else its User-Agent's DevId (cfg.xml, cfg<model>.xml).
 * 1 if there is one; *named: the request's own name or path. */
static int seen_mac(request_rec *r, const gsprov_ua_t *ua, int is_gs,
                    char mac[GSPROV_MAC_LEN + 1], int *named)
{
    const char *note = apr_table_get(r->notes, "gsprov-mac");

    *named = 1;
    if (note && strlen(note) == GSPROV_MAC_LEN) {
        memcpy(mac, note, GSPROV_MAC_LEN + 1);
        return 1;
    }
    if (gsprov_request_mac(r, mac))
        return 1;
    *named = 0;
    if (is_gs && ua->mac[0]) {
        memcpy(mac, ua->mac, GSPROV_MAC_LEN + 1);
        return 1;
    }
    return 0;
}

/* The last sink a connection's requests went to: a keep-alive
 * connection's next request usually goes there too, found without the
 * child's lock. */
typedef struct {
    sink_t *sink;
} sink_memo_t;

static sink_t *sink_for(request_rec *r, const gsprov_dir_conf *conf)
{
    gsprov_srv_conf *sc;
    sink_memo_t *m = NULL;
    const char *tenant, *key;
    sink_t *k;

    tenant = gsprov_conf_store_kind(conf) == GSPROV_STORE_DBD
             ? gsprov_dbd_tenant(r->server, conf) : NULL;
    /* compared by what makes a sink, never by the merged conf (made anew
     * per request, so its address is reused by another location's) */
    apr_pool_userdata_get((void **)&m, "gsprov-sink", r->connection->pool);
    if (m && m->sink->s == r->server && m->sink->store == conf->store
        && (tenant ? m->sink->tenant && !strcmp(tenant, m->sink->tenant)
                   : !m->sink->tenant))
        return m->sink;
    sc = ap_get_module_config(r->server->module_config, &gsprov_module);
    key = apr_psprintf(r->pool, "%pp|%pp|%s", r->server, conf->store,
                       tenant ? tenant : "");

    apr_thread_mutex_lock(child->lock);
    if (!(k = apr_hash_get(child->by_key, key, APR_HASH_KEY_STRING))) {
        /* one per vhost, store and tenant of the configuration: a fixed
         * number, made on first use */
        k = apr_pcalloc(child->pool, sizeof(*k));
        k->s = r->server;
        k->store = conf->store;
        k->tenant = tenant ? apr_pstrdup(child->pool, tenant) : NULL;
        k->stats = sc->stats;
        k->bound = gsprov_conf_status_buffer(sc);
        k->interval = gsprov_conf_status_flush(sc);
        k->due = apr_time_now() + k->interval;
        if ((k->buf = gsprov_seenbuf_create(child->pool, k->bound))) {
            apr_hash_set(child->by_key, apr_pstrdup(child->pool, key),
                         APR_HASH_KEY_STRING, k);
            APR_ARRAY_PUSH(child->sinks, sink_t *) = k;
        }
        else
            k = NULL;
    }
    apr_thread_mutex_unlock(child->lock);
    if (k) {
        /* (sinks live as long as the child, longer than any connection) */
        if (!m) {
            m = apr_palloc(r->connection->pool, sizeof(*m));
            apr_pool_userdata_setn(m, "gsprov-sink", NULL,
                                   r->connection->pool);
        }
        m->sink = k;
    }
    return k;
}

static int devstatus_log_transaction(request_rec *r)
{
    const char *h = apr_table_get(r->notes, "gsprov-handler");
    gsprov_dir_conf *conf;
    gsprov_seen_t seen;
    const gsprov_ua_t *ua;
    sink_t *k;
    char mac[GSPROV_MAC_LEN + 1];
    int fw, is_gs, named, waiting;

    if (!child || !h)
        return DECLINED;
    fw = !strcmp(h, GSPROV_FW_HANDLER);
    if (!fw && strcmp(h, GSPROV_HANDLER))
        return DECLINED;
    conf = ap_get_module_config(r->per_dir_config, &gsprov_module);
    if (!conf->store || !gsprov_conf_device_status(conf))
        return DECLINED;
    memset(&seen, 0, sizeof(seen));
    if (!(seen.kind = seen_kind(r, fw)))
        return DECLINED;
    /* (parsed by the handler already: memoised in the request) */
    is_gs = gsprov_request_ua(r, &ua);
    if (!seen_mac(r, ua, is_gs, mac, &named))
        return DECLINED;
    seen.mac = mac;
    seen.at = apr_time_sec(r->request_time);
    seen.client = r->useragent_ip;
    seen.ua_model = is_gs ? ua->model : "";
    seen.ua_hardware = is_gs ? ua->hwrev : "";
    seen.ua_firmware = is_gs ? ua->fw : "";
    seen.file = gsprov_request_segment(r);
    seen.result = r->status;
    seen.version = "";
    if (named && r->status == HTTP_OK && !fw
        && strcmp(seen.kind, GSPROV_SEEN_MODEL)
        && strcmp(seen.kind, GSPROV_SEEN_GENERIC)) {
        /* the record this answer was made of: the request read it before
         * access control, the memo has it (no second read) */
        gsprov_store_t *store = gsprov_request_store(r, 1);
        const char *v = NULL;
        char *err = NULL;
        if (store && gsprov_store_record_version(store, r->pool, mac, &v,
                                                 &err) == APR_SUCCESS && v)
            seen.version = v;
    }
    if (!(k = sink_for(r, conf)))
        return DECLINED;
    apr_atomic_inc32(&child->recorded);
    switch (gsprov_seenbuf_add(k->buf, &seen, &waiting)) {
    case 0:
        if (k->stats)
            apr_atomic_inc64(&k->stats->status_dropped);
        return DECLINED;
    case 1:
        /* (a repeat within the interval merges into its entry: recorded
         * once, so that recorded = written + failed once flushed) */
        if (k->stats)
            apr_atomic_inc64(&k->stats->status_recorded);
        break;
    }
    if (waiting * 2 == k->bound || (k->bound == 1 && waiting == 1)) {
        /* half full: the flusher need not wait for the interval */
        apr_thread_mutex_lock(child->lock);
        child->urgent = 1;
        apr_thread_cond_signal(child->wake);
        apr_thread_mutex_unlock(child->lock);
    }
    return DECLINED;
}

/* ---- the flusher --------------------------------------------------------- */

static void flush_sink(sink_t *k, apr_pool_t *p)
{
    apr_array_header_t *batch = gsprov_seenbuf_take(k->buf, p);
    gsprov_store_t *store;
    gsprov_logger_t log;
    apr_interval_time_t every;
    char *err = NULL;
    apr_status_t rv;

    if (!batch->nelts)
        return;
    store = k->tenant ? gsprov_dbd_store_thread(p, k->s, k->store, k->tenant)
                      : k->store;
    rv = gsprov_store_status_put(store, p, batch, &err);
    if (rv == APR_SUCCESS) {
        settle_t *t;
        if (k->stats)
            apr_atomic_add64(&k->stats->status_written,
                             (apr_uint64_t)batch->nelts);
        apr_thread_mutex_lock(child->lock);
        if (!k->tenant && (t = apr_hash_get(child->settles, &k->store,
                                            sizeof(k->store)))) {
            t->dirty = 1;
            apr_thread_cond_signal(child->settle_wake);
        }
        apr_thread_mutex_unlock(child->lock);
        return;
    }
    if (k->stats)
        apr_atomic_add64(&k->stats->status_failed, (apr_uint64_t)batch->nelts);
    gsprov_logger_for(k->s, &log);
    every = apr_time_from_sec(GSPROV_DEVICE_STATUS_LOG_INTERVAL);
    gsprov_stats_complain(k->stats, &log, GSPROV_LOG_MARK, GSPROV_LOG_WARN,
                          GSPROV_THROTTLE_STATUS_FAILED,
                          k->interval > every ? k->interval : every,
                          GSPROV_LOGNO(1101), k->s->server_hostname,
                          apr_psprintf(p, "device status: %d requests not "
                                       "written to %s (the devices were "
                                       "served): %s", batch->nelts,
                                       k->tenant ? k->tenant
                                       : k->store->label,
                                       err ? err : "unknown error"),
                          "failed status writes");
}

/* The child exits (child_exit): its threads stop. */
static int child_stopping(child_t *c)
{
    return apr_atomic_read32(&c->stopping) != 0;
}

static void *APR_THREAD_FUNC flusher(apr_thread_t *thread, void *data)
{
    child_t *c = data;
    apr_pool_t *p;
    int stop, i, n;

    apr_pool_create(&p, c->pool);
#ifdef __linux__
    /* in a reboot storm the devices come first: the flusher takes the CPU
     * the request threads leave (a buffer it cannot keep up with drops and
     * counts, GsProvDeviceStatusBuffer) */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
    do {
        sink_t **sinks;
        apr_time_t now;

        apr_thread_mutex_lock(c->lock);
        if (!child_stopping(c) && !c->urgent)
            apr_thread_cond_timedwait(c->wake, c->lock, apr_time_from_sec(1));
        stop = child_stopping(c);
        c->urgent = 0;
        n = c->sinks->nelts;
        sinks = apr_pmemdup(p, c->sinks->elts, sizeof(sink_t *) * (n ? n : 1));
        apr_thread_mutex_unlock(c->lock);

        now = apr_time_now();
        for (i = 0; i < n; i++) {
            sink_t *k = sinks[i];
            if (stop || now >= k->due
                || gsprov_seenbuf_waiting(k->buf) * 2 >= k->bound) {
                flush_sink(k, p);
                k->due = now + k->interval;
            }
        }
        apr_pool_clear(p);
    } while (!stop);
    apr_pool_destroy(p);
    /* a plain return, not apr_thread_exit(): pthread_exit() from this
     * frame leaves its stack poisoned for ASan's thread teardown (a
     * false stack-use-after-scope); join works either way */
    return NULL;
}

/* ---- the settler ---------------------------------------------------------- */

/* 1 if the child recorded more than GSPROV_STATUS_SETTLE_BUSY requests a
 * second since the run's last look, if that is at least window ago (else
 * the last look's verdict: a rate needs a window). */
static int settle_busy(settle_run_t *run, apr_time_t now,
                       apr_interval_time_t window)
{
    apr_uint32_t n;
    apr_interval_time_t dt = now - run->checked;

    if (dt < window)
        return run->busy;
    n = apr_atomic_read32(&run->c->recorded);
    run->busy = (apr_int64_t)(apr_uint32_t)(n - run->count)
                * APR_USEC_PER_SEC / dt > GSPROV_STATUS_SETTLE_BUSY;
    run->count = n;
    run->checked = now;
    return run->busy;
}

/* Asked between two devices: stop when the child exits, or when the
 * last burst saw the child busy (a storm began, or goes on past the
 * longest wait: a burst a second). */
static int settler_stop(void *data)
{
    settle_run_t *run = data;
    apr_time_t now;

    if (child_stopping(run->c))
        return 1;
    now = apr_time_now();
    if (now - run->checked < apr_time_from_msec(GSPROV_STATUS_SETTLE_BURST_MS))
        return 0;
    return settle_busy(run, now, 0);
}

static void *APR_THREAD_FUNC settler(apr_thread_t *thread, void *data)
{
    child_t *c = data;
    apr_pool_t *p;
    apr_interval_time_t retry = apr_time_from_sec(1);
    settle_run_t run;
    int i, n;

    apr_pool_create(&p, c->pool);
#ifdef __linux__
    {
        /* it runs only when the CPUs are otherwise idle: in a reboot storm
         * the flushers' log grows and this waits (nice 19 if SCHED_IDLE
         * cannot be had) */
        struct sched_param sp;
        memset(&sp, 0, sizeof(sp));
        if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0)
            setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    }
#endif
    run.c = c;
    run.count = apr_atomic_read32(&c->recorded);
    run.checked = apr_time_now();
    run.busy = 0;
    while (!child_stopping(c)) {
        settle_t **due;
        apr_time_t now = apr_time_now();
        int busy;

        apr_thread_mutex_lock(c->lock);
        for (i = 0, n = 0; i < c->settle_list->nelts; i++) {
            settle_t *t = APR_ARRAY_IDX(c->settle_list, i, settle_t *);
            n += t->dirty && t->due <= now;
        }
        /* nothing due: sleep until a flush says so, a second at most (the
         * child's request rate is looked at every second) */
        if (!n && !child_stopping(c))
            apr_thread_cond_timedwait(c->settle_wake, c->lock, retry);
        n = c->settle_list->nelts;
        due = apr_pmemdup(p, c->settle_list->elts,
                          sizeof(settle_t *) * (apr_size_t)(n > 0 ? n : 1));
        apr_thread_mutex_unlock(c->lock);

        now = apr_time_now();
        busy = settle_busy(&run, now, retry);
        for (i = 0; i < n && !child_stopping(c); i++) {
            settle_t *t = due[i];
            gsprov_logger_t log;
            apr_status_t rv;
            char *err = NULL;
            int more = 0, dirty;

            apr_thread_mutex_lock(c->lock);
            dirty = t->dirty && t->due <= now;
            if (dirty && !t->since)
                t->since = now;
            /* a storm: the devices first, the files later (at most
             * GSPROV_STATUS_SETTLE_MAX_WAIT later) */
            if (dirty && busy && now - t->since < apr_time_from_sec(
                                      GSPROV_STATUS_SETTLE_MAX_WAIT)) {
                t->due = now + retry;
                dirty = 0;
            }
            else if (dirty)
                t->dirty = 0;
            apr_thread_mutex_unlock(c->lock);
            if (!dirty)
                continue;
            rv = gsprov_store_status_settle(t->store, p, settler_stop, &run,
                                            &more, &err);
            if (rv != APR_SUCCESS) {
                gsprov_srv_conf *sc = ap_get_module_config(
                    c->s->module_config, &gsprov_module);
                gsprov_logger_for(c->s, &log);
                gsprov_stats_complain(sc->stats, &log, GSPROV_LOG_MARK,
                                      GSPROV_LOG_WARN,
                                      GSPROV_THROTTLE_STATUS_SETTLE,
                                      apr_time_from_sec(
                                          GSPROV_DEVICE_STATUS_LOG_INTERVAL),
                                      GSPROV_LOGNO(1106),
                                      c->s->server_hostname,
                                      apr_psprintf(p, "device status: "
                                                   "settling the log of %s: "
                                                   "%s", t->store->label,
                                                   err ? err
                                                   : "unknown error"),
                                      "status settle errors");
            }
            apr_thread_mutex_lock(c->lock);
            if (more) {
                /* stopped early, or another child holds the store: again
                 * in a second (what this one flushed must not wait for
                 * the next flush) */
                t->dirty = 1;
                t->due = apr_time_now() + retry;
            }
            else if (!t->dirty)
                t->since = 0;
            apr_thread_mutex_unlock(c->lock);
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    return NULL;
}

/* The child exits (graceful restart, stop, MaxConnectionsPerChild): the
 * last write.  A pre-cleanup, so it runs before the subpools of pchild
 * (mod_dbd's connections) are gone. */
static apr_status_t child_exit(void *data)
{
    child_t *c = data;
    apr_status_t rv;

    apr_thread_mutex_lock(c->lock);
    apr_atomic_set32(&c->stopping, 1);
    apr_thread_cond_signal(c->wake);
    apr_thread_cond_signal(c->settle_wake);
    apr_thread_mutex_unlock(c->lock);
    /* the settler stops between two devices: what it leaves, the next
     * child settles (the log is on disk) */
    if (c->settler)
        apr_thread_join(&rv, c->settler);
    apr_thread_join(&rv, c->thread);
    child = NULL;
    return APR_SUCCESS;
}

static void devstatus_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_allocator_t *alloc;
    apr_thread_mutex_t *amutex;
    child_t *c;
    apr_status_t rv;

    child = NULL;
    if ((rv = apr_allocator_create(&alloc))
        || (rv = apr_thread_mutex_create(&amutex, APR_THREAD_MUTEX_DEFAULT,
                                         pchild))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GSPROV_LOGNO(1102)
                     "device status: cannot set up this child's buffer; "
                     "its requests are not recorded");
        return;
    }
    apr_allocator_mutex_set(alloc, amutex);
    /* what a storm filled is given back once written, not kept */
    apr_allocator_max_free_set(alloc, 1024 * 1024);
    c = apr_pcalloc(pchild, sizeof(*c));
    if ((rv = apr_pool_create_ex(&c->pool, pchild, NULL, alloc))) {
        apr_allocator_destroy(alloc);
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GSPROV_LOGNO(1103)
                     "device status: no memory pool; this child's requests "
                     "are not recorded");
        return;
    }
    apr_allocator_owner_set(alloc, c->pool);
    c->sinks = apr_array_make(c->pool, 4, sizeof(sink_t *));
    c->by_key = apr_hash_make(c->pool);
    c->s = s;
    c->settles = apr_hash_make(c->pool);
    c->settle_list = apr_array_make(c->pool, 4, sizeof(settle_t *));
    {
        /* every directory store of the configuration (GsProvRoot), due
         * at once: what the last generation logged and did not settle */
        apr_hash_t *stores = NULL;
        apr_hash_index_t *hi;
        apr_pool_userdata_get((void **)&stores, "gsprov-stores",
                              s->process->pconf);
        for (hi = stores ? apr_hash_first(pchild, stores) : NULL; hi;
             hi = apr_hash_next(hi)) {
            settle_t *t = apr_pcalloc(c->pool, sizeof(*t));
            t->store = apr_hash_this_val(hi);
            t->dirty = 1;
            apr_hash_set(c->settles, &t->store, sizeof(t->store), t);
            APR_ARRAY_PUSH(c->settle_list, settle_t *) = t;
        }
    }
    if ((rv = apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT,
                                      c->pool))
        || (rv = apr_thread_cond_create(&c->wake, c->pool))
        || (rv = apr_thread_cond_create(&c->settle_wake, c->pool))
        || (rv = apr_thread_create(&c->thread, NULL, flusher, c, c->pool))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, GSPROV_LOGNO(1104)
                     "device status: cannot start this child's flusher "
                     "thread; its requests are not recorded");
        return;
    }
    if (c->settle_list->nelts
        && (rv = apr_thread_create(&c->settler, NULL, settler, c,
                                   c->pool))) {
        c->settler = NULL;
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, GSPROV_LOGNO(1107)
                     "device status: cannot start this child's settler "
                     "thread; directory stores' status files wait for "
                     "another child");
    }
    apr_pool_pre_cleanup_register(pchild, c, child_exit);
    child = c;
}

void gsprov_register_devstatus(apr_pool_t *p)
{
    /* after mod_dbd's child_init: its connections are there for the
     * last write at exit (and pre-cleanups run in reverse order) */
    static const char *const after_dbd[] = { "mod_dbd.c", NULL };
    ap_hook_child_init(devstatus_child_init, after_dbd, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_log_transaction(devstatus_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
}

#else  /* !APR_HAS_THREADS: nothing is recorded */

void gsprov_register_devstatus(apr_pool_t *p)
{
}

#endif
