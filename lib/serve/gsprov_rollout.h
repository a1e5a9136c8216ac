/*
 * Staged firmware rollouts : a layer sets `firmware.next` and
 * `firmware.next.percent`, and a stable share of devices, chosen by a
 * hash of MAC and target version, is offered the next version.  Applied
 * to a device's variables when its context is built (gsprov_context.h),
 * so that the firmware handler and every ${firmware} (e.g. a P233
 * postfix) agree.
 */
#ifndef GSPROV_ROLLOUT_H
#define GSPROV_ROLLOUT_H

#include "gsprov_device.h"
#include "gsprov_vars.h"

/* The device's rollout bucket for a target version, 0 <= b < 100:
 * (first 4 bytes of SHA-256("<mac>:<version>") big-endian mod 10000)/100. */
double gsprov_rollout_bucket(const char *mac, const char *version);

/* For a device (dev; NULL: an unknown device, which never takes part)
 * whose variables set firmware.next and firmware.next.percent and whose
 * bucket is below the percentage: override the variable firmware with
 * firmware.next in vars (over every level, the device's own included)
 * and set *applied to 1; else leave both alone.  A percentage that is
 * not a number from 0 to 100 fails with GSPROV_EPARSE. */
apr_status_t gsprov_rollout_apply(apr_pool_t *p, const gsprov_device_t *dev,
                                  gsprov_vars_t *vars, int *applied,
                                  char **err);

#endif
