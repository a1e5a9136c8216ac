-- mod_gsprov database store, schema version 2 (PostgreSQL): the provisioning
-- status (GsProvDeviceStatus).  Written in batches by each node's status
-- flusher, never inside a device request; a row is only ever replaced by
-- a newer observation (at), so nodes may flush in any order.

-- The device's latest request of any kind.  served_version: the record
-- version in the last config file (xml, bin) served with 200 ('' if none
-- yet); in_sync is served_version = gsprov_devices.version.
CREATE TABLE gsprov_device_status (
    tenant         VARCHAR(255) NOT NULL,
    mac            VARCHAR(12)  NOT NULL,
    at             BIGINT       NOT NULL,
    client         VARCHAR(64)  NOT NULL,
    ua_model       VARCHAR(32)  NOT NULL,
    ua_hardware    VARCHAR(64)  NOT NULL,
    ua_firmware    VARCHAR(64)  NOT NULL,
    kind           VARCHAR(16)  NOT NULL,
    file           VARCHAR(255) NOT NULL,
    result         INTEGER      NOT NULL,
    served_version VARCHAR(64)  NOT NULL,
    PRIMARY KEY (tenant, mac)
);
CREATE INDEX gsprov_device_status_at ON gsprov_device_status (tenant, at);
CREATE INDEX gsprov_device_status_fw ON gsprov_device_status (tenant, ua_firmware, mac);

-- The latest request per file kind (xml, bin, model, generic, firmware,
-- redirect).
CREATE TABLE gsprov_device_fetch (
    tenant  VARCHAR(255) NOT NULL,
    mac     VARCHAR(12)  NOT NULL,
    kind    VARCHAR(16)  NOT NULL,
    at      BIGINT       NOT NULL,
    client  VARCHAR(64)  NOT NULL,
    file    VARCHAR(255) NOT NULL,
    result  INTEGER      NOT NULL,
    version VARCHAR(64)  NOT NULL,
    PRIMARY KEY (tenant, mac, kind)
);
