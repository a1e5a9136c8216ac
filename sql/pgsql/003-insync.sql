-- mod_gsprov database store, schema version 3 (PostgreSQL): GET
-- /devices?in_sync=false as an indexed query.
--
-- in_sync is served_version = gsprov_devices.version, kept in the status
-- row (false while no config was served, served_version ''), so
-- that the devices out of sync, a few among many, have an index of their
-- own in MAC order (a partial index): a page walks only them.  Written by
-- the status flusher with each row, and by every record write for the
-- record's status row, in its transaction.  (A record deleted leaves its
-- row as it was: the listing only shows rows that have a record.)
ALTER TABLE gsprov_device_status ADD COLUMN in_sync BOOLEAN NOT NULL DEFAULT false;
UPDATE gsprov_device_status SET in_sync = true
 WHERE served_version <> '' AND EXISTS (SELECT 1 FROM gsprov_devices d
   WHERE d.tenant = gsprov_device_status.tenant
     AND d.mac = gsprov_device_status.mac
     AND d.version = gsprov_device_status.served_version);
CREATE INDEX gsprov_device_status_out ON gsprov_device_status (tenant, mac)
 WHERE NOT in_sync;
