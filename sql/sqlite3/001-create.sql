-- mod_gsprov database store, schema version 1 (SQLite 3).
-- Applied by `gsprov db init --driver sqlite3`; the module only checks the
-- version (gsprov_schema) and never creates or changes tables.
-- Every table is keyed by tenant first (GsProvStore dbd [TENANT]).
CREATE TABLE gsprov_schema (
    version INTEGER NOT NULL
);
INSERT INTO gsprov_schema (version) VALUES (1);

-- Device and redirect records: the XML bytes as the directory store holds
-- them, their content version (hex SHA-256, the ETag and cache key), and
-- what the listing filters on.  A row with version '' is a transaction's
-- hold on a MAC that has no record yet: never committed, never served.
CREATE TABLE gsprov_devices (
    tenant  VARCHAR(255) NOT NULL,
    mac     VARCHAR(12)  NOT NULL,
    version VARCHAR(64)  NOT NULL,
    model   VARCHAR(32)  NOT NULL,
    record  TEXT         NOT NULL,
    changed BIGINT       NOT NULL,
    PRIMARY KEY (tenant, mac)
);

-- The groups of each record, for GET /devices?group= (keyset paging),
-- and by record, for replacing them when the record changes.
CREATE TABLE gsprov_device_groups (
    tenant VARCHAR(255) NOT NULL,
    grp    VARCHAR(64)  NOT NULL,
    mac    VARCHAR(12)  NOT NULL,
    PRIMARY KEY (tenant, grp, mac)
);
CREATE INDEX gsprov_device_groups_mac ON gsprov_device_groups (tenant, mac);

-- Pending PIN activations (a pin_hash of '' is a hold, as above).
CREATE TABLE gsprov_activations (
    tenant     VARCHAR(255) NOT NULL,
    number     VARCHAR(32)  NOT NULL,
    pin_hash   TEXT         NOT NULL,
    created    BIGINT       NOT NULL,
    expires    BIGINT       NOT NULL,
    failures   INTEGER      NOT NULL,
    claimed_by VARCHAR(12)  NOT NULL,
    profile    TEXT         NOT NULL,
    PRIMARY KEY (tenant, number)
);

-- The audit trail: one JSON object per change, committed with it.
CREATE TABLE gsprov_audit (
    id     INTEGER      PRIMARY KEY,
    tenant VARCHAR(255) NOT NULL,
    at     BIGINT       NOT NULL,
    mac    VARCHAR(12)  NOT NULL,
    entry  TEXT         NOT NULL
);
CREATE INDEX gsprov_audit_tenant ON gsprov_audit (tenant, id);
