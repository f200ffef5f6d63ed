-- Grid: Orleans cluster membership on PostgreSQL.
--
-- Written for the query-key contract of Microsoft.Orleans.Clustering.AdoNet 10.4.2
-- (invariant "Npgsql"). At start-up the provider runs
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- and then executes the statement stored for each key with named parameters (@Name).
-- The provider reads result columns by name (case-insensitively), so the column aliases
-- below are part of the contract as well.
--
-- Keys and the parameters 10.4.2 binds:
--   InsertMembershipVersionKey      DeploymentId                                  -> 1 row, 1 boolean column
--   MembershipReadAllKey            DeploymentId                                  -> version row LEFT JOIN members
--   MembershipReadRowKey            DeploymentId, Address, Port, Generation        -> version row LEFT JOIN one member
--   InsertMembershipKey             DeploymentId, Address, Port, Generation, SiloName, HostName,
--                                   Status, ProxyPort, StartTime, IAmAliveTime, Version -> 1 row, 1 boolean column
--   UpdateMembershipKey             DeploymentId, Address, Port, Generation, Status, SuspectTimes,
--                                   IAmAliveTime, Version                           -> 1 row, 1 boolean column
--   UpdateIAmAlivetimeKey           DeploymentId, Address, Port, Generation, IAmAliveTime
--   GatewaysQueryKey                DeploymentId, Status (always 3 = Active)       -> Address, ProxyPort, Generation
--   DeleteMembershipTableEntriesKey DeploymentId
--   CleanupDefunctSiloEntriesKey    DeploymentId, IAmAliveTime (cutoff)
--   CleanupDefunctSiloEntryKey      DeploymentId, Address, Port, Generation, SuspectTimes,
--                                   StartTime, IAmAliveTime  (optional key: when present 10.4.2 uses it
--                                   per Dead row instead of CleanupDefunctSiloEntriesKey)
--
-- "DeploymentId" is the Orleans ClusterId. Status values are Orleans.Runtime.SiloStatus
-- (3 = Active, 6 = Dead). "Version" is the membership table version used as the etag. A write
-- succeeds only if the caller's version still matches, and every successful write bumps it.
--
-- Idempotent: safe to run any number of times. Objects live in the connection's default schema
-- (the provider has no schema option).

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (QueryKey)
);

-- One row per cluster: the membership table version (etag).
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversion PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address      varchar(45)  NOT NULL,
    Port         integer      NOT NULL,
    Generation   integer      NOT NULL,
    SiloName     varchar(150) NOT NULL,
    HostName     varchar(150) NOT NULL,
    Status       integer      NOT NULL,
    ProxyPort    integer      NOT NULL DEFAULT 0,
    SuspectTimes text         NULL,
    StartTime    timestamptz  NOT NULL,
    IAmAliveTime timestamptz  NOT NULL,
    CONSTRAINT pk_orleansmembership PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT fk_orleansmembership_version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId) ON DELETE CASCADE
);

-- Statements. Each is a single SQL statement without a trailing semicolon, so a runner that
-- splits scripts on semicolons outside quotes and comments still works. Re-running replaces the text.
INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'InsertMembershipVersionKey',
    $sql$
    WITH created AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM created) AS Created
    $sql$
),
(
    'MembershipReadAllKey',
    $sql$
    SELECT
        v.DeploymentId,
        m.Address,
        m.Port,
        m.Generation,
        m.SiloName,
        m.HostName,
        m.Status,
        m.ProxyPort,
        m.SuspectTimes,
        m.StartTime,
        m.IAmAliveTime,
        v.Version
    FROM OrleansMembershipVersionTable AS v
    LEFT JOIN OrleansMembershipTable AS m
        ON m.DeploymentId = v.DeploymentId
    WHERE v.DeploymentId = @DeploymentId
    $sql$
),
(
    'MembershipReadRowKey',
    $sql$
    SELECT
        v.DeploymentId,
        m.Address,
        m.Port,
        m.Generation,
        m.SiloName,
        m.HostName,
        m.Status,
        m.ProxyPort,
        m.SuspectTimes,
        m.StartTime,
        m.IAmAliveTime,
        v.Version
    FROM OrleansMembershipVersionTable AS v
    LEFT JOIN OrleansMembershipTable AS m
        ON m.DeploymentId = v.DeploymentId
       AND m.Address = @Address
       AND m.Port = @Port
       AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId
    $sql$
),
(
    -- Bumps the version only if it still equals @Version and the silo row does not exist yet.
    -- the insert happens only if the bump happened. The version row lock serialises writers.
    'InsertMembershipKey',
    $sql$
    WITH bumped AS (
        UPDATE OrleansMembershipVersionTable AS v
        SET Version = v.Version + 1,
            Timestamp = now()
        WHERE v.DeploymentId = @DeploymentId
          AND v.Version = @Version
          AND v.Version < 2147483647
          AND NOT EXISTS (
              SELECT 1 FROM OrleansMembershipTable AS e
              WHERE e.DeploymentId = @DeploymentId
                AND e.Address = @Address
                AND e.Port = @Port
                AND e.Generation = @Generation)
        RETURNING v.DeploymentId
    ),
    inserted AS (
        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
        SELECT b.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
        FROM bumped AS b
        ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM inserted) AS Inserted
    $sql$
),
(
    -- Bumps the version only if it still equals @Version and the silo row exists.
    -- the row is updated only if the bump happened. IAmAliveTime never moves backwards.
    'UpdateMembershipKey',
    $sql$
    WITH bumped AS (
        UPDATE OrleansMembershipVersionTable AS v
        SET Version = v.Version + 1,
            Timestamp = now()
        WHERE v.DeploymentId = @DeploymentId
          AND v.Version = @Version
          AND v.Version < 2147483647
          AND EXISTS (
              SELECT 1 FROM OrleansMembershipTable AS e
              WHERE e.DeploymentId = @DeploymentId
                AND e.Address = @Address
                AND e.Port = @Port
                AND e.Generation = @Generation)
        RETURNING v.DeploymentId
    ),
    updated AS (
        UPDATE OrleansMembershipTable AS m
        SET Status = @Status,
            SuspectTimes = @SuspectTimes,
            IAmAliveTime = GREATEST(m.IAmAliveTime, @IAmAliveTime)
        FROM bumped AS b
        WHERE m.DeploymentId = b.DeploymentId
          AND m.Address = @Address
          AND m.Port = @Port
          AND m.Generation = @Generation
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM updated) AS Updated
    $sql$
),
(
    -- Heartbeat. Does not touch the version. IAmAliveTime never moves backwards.
    'UpdateIAmAlivetimeKey',
    $sql$
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
    $sql$
),
(
    'GatewaysQueryKey',
    $sql$
    SELECT Address, ProxyPort, Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0
    $sql$
),
(
    -- Member rows go with the version row (ON DELETE CASCADE).
    'DeleteMembershipTableEntriesKey',
    $sql$
    DELETE FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId
    $sql$
),
(
    -- Bulk form: Dead rows that started and last heartbeated before the cutoff and carry no suspicions.
    'CleanupDefunctSiloEntriesKey',
    $sql$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = ''
    $sql$
),
(
    -- Per-row form: the provider decides eligibility in .NET from a fresh read and passes back the
    -- values it saw. The row is deleted only if it is still Dead and unchanged since that read.
    'CleanupDefunctSiloEntryKey',
    $sql$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
      AND Status = 6
      AND StartTime = @StartTime
      AND IAmAliveTime = @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = COALESCE(@SuspectTimes, '')
    $sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
