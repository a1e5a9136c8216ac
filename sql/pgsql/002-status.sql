-- mod_gsprov database store, schema version 2 (PostgreSQL): the provisioning
-- status (GsProvDeviceStatus).  Written in batches by each node's status
-- flusher, never inside a device request; a row is only ever replaced by
-- a newer observation (at), so nodes may flush in any order.

-- The device's latest request of any kind.  served_version: the record
-- version in the last config file (xml, bin) served with 200 ('' if none
-- yet); in_sync is served_version = gsprov_devices.version (a column
-- of its own since version 3, 003-insync.sql).
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

-- The listing's filters (GET /devices?model=, ?var.<name>=<value>): each
-- page is one indexed query in MAC order.  A record's variables are kept
-- by name and the hex SHA-256 of the value (any length fits the index);
-- `gsprov db init` fills them in for records written before this version.
CREATE INDEX gsprov_devices_model ON gsprov_devices (tenant, model, mac);
CREATE TABLE gsprov_device_vars (
    tenant VARCHAR(255) NOT NULL,
    name   VARCHAR(128) NOT NULL,
    vhash  VARCHAR(64)  NOT NULL,
    mac    VARCHAR(12)  NOT NULL,
    PRIMARY KEY (tenant, name, vhash, mac)
);
CREATE INDEX gsprov_device_vars_mac ON gsprov_device_vars (tenant, mac);
