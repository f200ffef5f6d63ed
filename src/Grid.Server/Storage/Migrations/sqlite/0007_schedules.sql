-- Schedules (issue 6): a rate or cron expression that invokes a function asynchronously with an EventBridge-shaped event.
CREATE TABLE IF NOT EXISTS grid_schedules (
    account_id     TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    function_name  TEXT    NOT NULL,         -- unqualified name
    qualifier      TEXT,                     -- null: unqualified ($LATEST)
    expression     TEXT    NOT NULL,         -- rate(...) | cron(...)
    input          TEXT,                     -- null: the EventBridge scheduled event
    state          TEXT    NOT NULL,         -- ENABLED | DISABLED
    description    TEXT    NOT NULL DEFAULT '',
    created        INTEGER NOT NULL,         -- unix ms; also anchors rate(...) and names the schedule's generation in event ids
    last_modified  INTEGER NOT NULL,
    fire_after     INTEGER NOT NULL,         -- unix ms: only later occurrences fire (creation, re-enable or new expression)
    last_fired     INTEGER,                  -- unix ms of the last occurrence handed to the async queue
    PRIMARY KEY (account_id, name)
);

-- Orleans reminders in embedded mode: the ADO.NET reminder provider with invariant "System.Data.SQLite" (which 10.4.2 maps
-- to Microsoft.Data.Sqlite), on the same contract as postgres/0002_orleans_reminders.sql: the provider reads its statements
-- from OrleansQuery ("SELECT QueryKey, QueryText FROM OrleansQuery") and binds @ServiceId, @GrainId, @ReminderName,
-- @StartTime (DateTime, stored as text), @Period (ms), @GrainHash (the uniform hash as a signed int), @Version, @BeginHash,
-- @EndHash. Rows come back with GrainId, ReminderName, StartTime, Period, Version.
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey   TEXT NOT NULL PRIMARY KEY,
    QueryText  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS OrleansRemindersTable (
    ServiceId     TEXT    NOT NULL,
    GrainId       TEXT    NOT NULL,
    ReminderName  TEXT    NOT NULL,
    StartTime     TEXT    NOT NULL,
    Period        INTEGER NOT NULL,
    GrainHash     INTEGER NOT NULL,
    Version       INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);
CREATE INDEX IF NOT EXISTS ix_orleansreminders_servicehash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadReminderRowsKey',
 'SELECT GrainId, ReminderName, StartTime, Period, Version FROM OrleansRemindersTable
  WHERE ServiceId = @ServiceId AND GrainId = @GrainId'),
('ReadReminderRowKey',
 'SELECT GrainId, ReminderName, StartTime, Period, Version FROM OrleansRemindersTable
  WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName'),
('ReadRangeRows1Key',
 'SELECT GrainId, ReminderName, StartTime, Period, Version FROM OrleansRemindersTable
  WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash'),
('ReadRangeRows2Key',
 'SELECT GrainId, ReminderName, StartTime, Period, Version FROM OrleansRemindersTable
  WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash)'),
-- New rows start at version 0; every update bumps it (wrapping instead of overflowing).
('UpsertReminderRowKey',
 'INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
  VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
  ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
  SET StartTime = excluded.StartTime, Period = excluded.Period, GrainHash = excluded.GrainHash,
      Version = CASE WHEN OrleansRemindersTable.Version = 2147483647 THEN 0 ELSE OrleansRemindersTable.Version + 1 END
  RETURNING Version'),
-- Deletes only if the caller's etag still matches; the reader skips the DELETE (no columns) and answers the SELECT.
('DeleteReminderRowKey',
 'DELETE FROM OrleansRemindersTable
  WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName AND Version = @Version;
  SELECT changes() > 0 AS Deleted'),
('DeleteReminderRowsKey',
 'DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId');
