/*
 * Every default and limit of mod_gsprov in one place.  The module's config
 * code, the command-line tool and the tests all take their values from here.
 *
 * This header includes nothing: the lib/ headers include it for their
 * limits.  So the defaults of directives with a choice are given as the
 * value of the enum member named beside them (the enums live with the
 * code that uses them); t/unit/test_defaults.c checks that they agree.
 */
#ifndef GSPROV_DEFAULTS_H
#define GSPROV_DEFAULTS_H

/* Digest for EVP_BytesToKey: devices follow the pre-1.1.0 `openssl enc`
 * default, which is MD5.  GSPROV_MD_MD5 (gsprov_crypto.h) */
#define GSPROV_DEFAULT_KEY_DIGEST      0

/* What cfg<mac> / cfg<mac>.bin carry: just enough to reach the XML.
 * GSPROV_BINARY_BOOTSTRAP (gsprov_binary.h) */
#define GSPROV_DEFAULT_BINARY          1
/* User-Agent policy: not checked unless asked for.
 * GSPROV_UA_OFF (gsprov_useragent.h) */
#define GSPROV_DEFAULT_UA_POLICY       0

/* Firmware for a device that cannot be identified: the tenant's default.
 * GSPROV_FW_UNKNOWN_DEFAULT (gsprov_firmware.h) */
#define GSPROV_DEFAULT_FW_UNKNOWN      0

/* Seconds between checks of a store's templates for changes on disk. */
#define GSPROV_DEFAULT_RELOAD_SECONDS  5
#define GSPROV_MAX_RELOAD_SECONDS      86400
/* The children of a server check a store's templates one at a time; a
 * check not finished after this long (its process died) is given up, and
 * another process checks. */
#define GSPROV_TEMPLATES_LEASE_SECONDS 60
/* Largest snapshot file of a template set shared between the children
 * (the set's files one after the other). */
#define GSPROV_MAX_TEMPLATE_SNAPSHOT_BYTES (1024 * 1024 * 1024)

/* Template chains (model + groups) merged once per template snapshot and
 * kept for later requests; distinct chains beyond this are merged per
 * request. */
#define GSPROV_MAX_MERGE_MEMO          1024

/* Credentials per device record: the current one and the next one. */
#define GSPROV_MAX_CREDENTIALS         2

/* Largest template (defaults/model/group) file accepted. */
#define GSPROV_MAX_TEMPLATE_BYTES      (4 * 1024 * 1024)
/* A walk over every device record (lint, export) asks the kernel for
 * the records this far ahead of the one it reads, so the disk works
 * while the walk renders. */
#define GSPROV_WALK_PREFETCH           64
/* Largest device record accepted; records are read per request. */
#define GSPROV_MAX_DEVICE_BYTES        (256 * 1024)
/* Most template files one store may hold (models + groups). */
#define GSPROV_MAX_TEMPLATE_FILES      10000

/* Longest request file name considered at all (cfg + stem + suffix). */
#define GSPROV_MAX_NAME_LEN            64
/* Model names: [a-z0-9], 1..32 characters. */
#define GSPROV_MAX_MODEL_LEN           32
/* Group names: [A-Za-z0-9_-], 1..64 characters. */
#define GSPROV_MAX_GROUP_LEN           64
/* Variable and v2 item names: [A-Za-z0-9_.-], 1..128 characters. */
#define GSPROV_MAX_VAR_NAME_LEN        128
/* P-value numbers: P followed by 1..5 digits. */
#define GSPROV_MAX_PNUM_DIGITS         5

/* memcached (GsProvCache*): connect and I/O timeout in milliseconds; a
 * failed server is retried after GsProvCacheRetry seconds; entries live
 * GsProvCacheTTL seconds (memcached reads more than 30 days as a date). */
#define GSPROV_DEFAULT_CACHE_TIMEOUT_MS 50
#define GSPROV_MAX_CACHE_TIMEOUT_MS     10000
#define GSPROV_DEFAULT_CACHE_RETRY      5
#define GSPROV_MAX_CACHE_RETRY          3600
#define GSPROV_DEFAULT_CACHE_TTL        86400
#define GSPROV_MAX_CACHE_TTL            (30 * 86400)
/* The near cache in front of memcached (GsProvCacheNear): a ring of this
 * many bytes per httpd child (about 4,000 files of 4 KiB); 0 turns it
 * off.  Smallest and largest accepted. */
#define GSPROV_DEFAULT_CACHE_NEAR      (16 * 1024 * 1024)
#define GSPROV_MIN_CACHE_NEAR         (64 * 1024)
#define GSPROV_MAX_CACHE_NEAR          (4096LL * 1024 * 1024)
/* GsProvCacheSecret: size of the secret file, in bytes. */
#define GSPROV_MIN_CACHE_SECRET        32
#define GSPROV_MAX_CACHE_SECRET        4096
/* A failing cache is logged at most once per this many seconds per
 * tenant (the rest are counted on the status page). */
#define GSPROV_CACHE_LOG_INTERVAL       60

/* What a status page shows: its own vhost's tenant only.
 * GSPROV_STATUS_VHOST (gsprov_stats.h) */
#define GSPROV_DEFAULT_STATUS_SCOPE     0
/* The status page's devices-seen gauges: counted by the tenant's store at
 * most once per this many seconds per tenant (a directory store counts by
 * reading its status files); a failed count is logged at most once per
 * GSPROV_SEEN_LOG_INTERVAL seconds per tenant. */
#define GSPROV_SEEN_INTERVAL            10
#define GSPROV_SEEN_LOG_INTERVAL        60

/* Redirects (lib/serve/gsprov_redirect.h).  The bulk map's file in the store,
 * loaded and reloaded with the templates. */
#define GSPROV_REDIRECT_MAP_FILE       "redirect.map"
/* Largest redirect map accepted (100k lines are about 8 MiB). */
#define GSPROV_MAX_REDIRECT_MAP_BYTES  (64 * 1024 * 1024)
/* Longest P237/P192 server path (host[:port][/path]) of a redirect. */
#define GSPROV_MAX_REDIRECT_PATH_LEN   255
/* Longest P1359/P1360/P1361 value of a redirect. */
#define GSPROV_MAX_REDIRECT_VALUE_LEN  255
/* P212 of a redirect without a protocol: HTTPS (2), since a redirect
 * file hands over credentials for the target. */
#define GSPROV_DEFAULT_REDIRECT_PROTOCOL 2
/* ---- Device admin API and PIN claim (SetHandler gsprov-admin) ---- */
/* Largest request body accepted (413 beyond). */
#define GSPROV_ADMIN_MAX_BODY          (64 * 1024)
/* GET /devices: records per page unless ?limit= says otherwise, and the
 * most a page may hold. */
#define GSPROV_ADMIN_LIST_DEFAULT      100
#define GSPROV_ADMIN_LIST_MAX          1000
/* GsProvAdminImportLimit: the largest body of POST /devices:import (413
 * beyond): about 100,000 typical records as CSV.  The body is held in
 * memory while it is checked. */
#define GSPROV_DEFAULT_ADMIN_IMPORT_LIMIT (32 * 1024 * 1024)
#define GSPROV_MAX_ADMIN_IMPORT_LIMIT  (1024 * 1024 * 1024)
/* GET /devices?firmware=: the longest version (the status column's width,
 * gsprov_device_status.ua_firmware). */
#define GSPROV_MAX_LIST_FIRMWARE_LEN   64
/* GsProvAdminSecrets: ?secrets=1 is refused (403) unless enabled. */
#define GSPROV_DEFAULT_ADMIN_SECRETS   0
/* GsProvActivationTTL: seconds a pending activation stays claimable. */
#define GSPROV_DEFAULT_ACTIVATION_TTL  (7 * 86400)
#define GSPROV_MAX_ACTIVATION_TTL      (366 * 86400)
/* GsProvClaimMaxFailures: wrong PINs before an activation locks. */
#define GSPROV_DEFAULT_CLAIM_MAX_FAILURES 5
#define GSPROV_MAX_CLAIM_MAX_FAILURES  100
/* PINs are stored as PBKDF2-HMAC-SHA256 with a random salt; the count is
 * stored with each hash, so raising it only affects new activations. */
#define GSPROV_PIN_PBKDF2_ITERATIONS   100000
/* Iteration counts accepted in a stored hash: what an activation file
 * says is input, and a count of 2^31 would keep a worker busy for hours
 * (holding the activation's lock).  At most 10 times the module's own
 * (about 0.3 s per check on a current core), at least a hundredth. */
#define GSPROV_PIN_PBKDF2_MIN_ITERATIONS (GSPROV_PIN_PBKDF2_ITERATIONS / 100)
#define GSPROV_PIN_PBKDF2_MAX_ITERATIONS (GSPROV_PIN_PBKDF2_ITERATIONS * 10)
#define GSPROV_PIN_SALT_BYTES          16
/* PINs and activation numbers are what a phone keypad sends: digits. */
#define GSPROV_MIN_PIN_LEN             4
#define GSPROV_MAX_PIN_LEN             32
#define GSPROV_MAX_NUMBER_LEN          32
/* ---- The database store (GsProvStore dbd) ---- */
/* GsProvStore: the directory store.  GSPROV_STORE_FILE (mod_gsprov.h) */
#define GSPROV_DEFAULT_STORE           0
/* Longest tenant name (GsProvStore dbd TENANT, the tables' key). */
#define GSPROV_MAX_TENANT_LEN          255
/* A device or admin request the database cannot answer is 503 with this
 * Retry-After (seconds). */
#define GSPROV_DBD_RETRY_AFTER         5
/* Database failures are logged at most once per this many seconds per
 * tenant (the rest are counted on the status page). */
#define GSPROV_DBD_LOG_INTERVAL        60
/* SQLite: how long the CLI's writer waits for another's write lock (ms).
 * Not for httpd's connections: apr_dbd's driver waits itself there. */
#define GSPROV_DBD_BUSY_TIMEOUT_MS     5000
/* Largest activation file (a profile plus its bookkeeping). */
#define GSPROV_MAX_ACTIVATION_BYTES    (GSPROV_ADMIN_MAX_BODY + 4096)
/* Temporary files of writes (devices/.<mac>.xml.tmp.*, activations/
 * .<n>.json.tmp.*) older than this are a dead writer's: removed when the
 * store is opened.  A live write takes milliseconds; this leaves room for
 * other nodes of a farm writing to a shared store meanwhile. */
#define GSPROV_STALE_TEMP_SECONDS      300

/* ---- The provisioning status (GsProvDeviceStatus*) ---- */
/* GsProvDeviceStatus: on. */
#define GSPROV_DEFAULT_DEVICE_STATUS   1
/* GsProvDeviceStatusFlush: seconds between writes of a child's status
 * buffer to the store (a buffer half full is written sooner). */
#define GSPROV_DEFAULT_DEVICE_STATUS_FLUSH 10
#define GSPROV_MAX_DEVICE_STATUS_FLUSH 3600
/* GsProvDeviceStatusBuffer: distinct (device, file kind) entries a child
 * keeps per store between writes (about 450 bytes each, two generations);
 * more are dropped and counted. */
#define GSPROV_DEFAULT_DEVICE_STATUS_BUFFER 10000
#define GSPROV_MAX_DEVICE_STATUS_BUFFER 1000000
/* Failed status writes are logged at most once per this many seconds per
 * tenant (at least the flush interval). */
#define GSPROV_DEVICE_STATUS_LOG_INTERVAL 60
/* The directory store's status settler (gsprov_status_dir.h) waits while
 * its child records more than this many requests a second (a reboot
 * storm: measured, settling during one cost a fifth of its throughput,
 * even in an idle-priority thread) ... */
#define GSPROV_STATUS_SETTLE_BUSY      100
/* ... but not longer than this many seconds: then it settles in bursts of
 * at most GSPROV_STATUS_SETTLE_BURST_MS a second (a tenth of one core) */
#define GSPROV_STATUS_SETTLE_MAX_WAIT  60
#define GSPROV_STATUS_SETTLE_BURST_MS  100

#endif
