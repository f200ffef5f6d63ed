-- Grid: Orleans reminders on PostgreSQL.
--
-- Written for the query-key contract of Microsoft.Orleans.Reminders.AdoNet 10.4.2
-- (invariant "Npgsql"). Same mechanism as 0001: the provider loads its statements from
-- OrleansQuery and binds named parameters (@Name). Result columns are read by name.
--
-- Keys and the parameters 10.4.2 binds:
--   ReadReminderRowsKey    ServiceId, GrainId                          -> reminder rows
--   ReadReminderRowKey     ServiceId, GrainId, ReminderName            -> 0 or 1 reminder row
--   ReadRangeRows1Key      ServiceId, BeginHash, EndHash               -> rows in (BeginHash, EndHash]
--   ReadRangeRows2Key      ServiceId, BeginHash, EndHash               -> rows in the wrapped range
--   UpsertReminderRowKey   ServiceId, GrainId, ReminderName, StartTime,
--                          Period, GrainHash                           -> 1 row with column Version
--   DeleteReminderRowKey   ServiceId, GrainId, ReminderName, Version   -> 1 row, 1 boolean column
--   DeleteReminderRowsKey  ServiceId
--
-- A reminder row is returned with columns GrainId, ReminderName, StartTime, Period (milliseconds)
-- and Version (the etag). Hashes are the grain's uniform hash cast to a signed 32-bit integer. The
-- provider uses ReadRangeRows1Key when (int)BeginHash < (int)EndHash and ReadRangeRows2Key
-- otherwise (the range wraps around the ring). Period is bound as int, or as bigint when it
-- does not fit in an int.
--
-- Idempotent: safe to run any number of times. Objects live in the connection's default schema.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (QueryKey)
);

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150) NOT NULL,
    GrainId      text         NOT NULL,
    ReminderName text         NOT NULL,
    StartTime    timestamptz  NOT NULL,
    Period       bigint       NOT NULL,
    GrainHash    integer      NOT NULL,
    Version      integer      NOT NULL,
    CONSTRAINT pk_orleansreminders PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Each silo reads the reminders of its own hash range of the ring.
CREATE INDEX IF NOT EXISTS ix_orleansreminders_servicehash
    ON OrleansRemindersTable (ServiceId, GrainHash);

-- Statements. Each is a single SQL statement without a trailing semicolon, so a runner that
-- splits scripts on semicolons outside quotes and comments still works. Re-running replaces the text.
INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'ReadReminderRowsKey',
    $sql$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
    $sql$
),
(
    'ReadReminderRowKey',
    $sql$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
      AND ReminderName = @ReminderName
    $sql$
),
(
    'ReadRangeRows1Key',
    $sql$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainHash > @BeginHash
      AND GrainHash <= @EndHash
    $sql$
),
(
    'ReadRangeRows2Key',
    $sql$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND (GrainHash > @BeginHash OR GrainHash <= @EndHash)
    $sql$
),
(
    -- New rows start at version 0. Every update bumps the version (wrapping instead of overflowing).
    'UpsertReminderRowKey',
    $sql$
    INSERT INTO OrleansRemindersTable AS r
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
    SET StartTime = EXCLUDED.StartTime,
        Period = EXCLUDED.Period,
        GrainHash = EXCLUDED.GrainHash,
        Version = CASE WHEN r.Version = 2147483647 THEN 0 ELSE r.Version + 1 END
    RETURNING r.Version AS Version
    $sql$
),
(
    -- Deletes only if the caller's etag still matches.
    'DeleteReminderRowKey',
    $sql$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
        WHERE ServiceId = @ServiceId
          AND GrainId = @GrainId
          AND ReminderName = @ReminderName
          AND Version = @Version
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM deleted) AS Deleted
    $sql$
),
(
    'DeleteReminderRowsKey',
    $sql$
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
    $sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
