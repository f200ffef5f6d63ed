-- Grid streams (Kinesis-compatible, issue 6): the durable, retained record log and the event source mappings that read it.
CREATE TABLE IF NOT EXISTS grid_streams (
    account_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    id               TEXT NOT NULL UNIQUE,       -- random; a re-created stream never sees an old stream's records
    arn              TEXT NOT NULL,
    shard_count      INTEGER NOT NULL,
    retention_hours  INTEGER NOT NULL,
    status           TEXT NOT NULL,              -- ACTIVE | DELETING
    created          INTEGER NOT NULL,                -- unix ms
    PRIMARY KEY (account_id, name)
);

-- The last sequence number assigned per shard, updated in the append's transaction: readers ask "anything new?" cheaply.
CREATE TABLE IF NOT EXISTS grid_stream_shards (
    stream_id  TEXT NOT NULL,
    shard      INTEGER NOT NULL,
    head_seq   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, shard)
);

-- Records, contiguous per shard from 1; retention trims from the front.
CREATE TABLE IF NOT EXISTS grid_stream_records (
    stream_id      TEXT NOT NULL,
    shard          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    partition_key  TEXT NOT NULL,
    data           BLOB NOT NULL,
    arrived        INTEGER NOT NULL,                  -- unix ms
    PRIMARY KEY (stream_id, shard, seq)
);
CREATE INDEX IF NOT EXISTS grid_stream_records_arrived ON grid_stream_records (arrived);

CREATE TABLE IF NOT EXISTS grid_event_source_mappings (
    uuid                    TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL,
    function_name           TEXT NOT NULL,       -- unqualified name
    qualifier               TEXT,                -- null: $LATEST
    event_source_arn        TEXT NOT NULL,
    stream_id               TEXT NOT NULL,
    config                  TEXT NOT NULL,       -- the mapping's settings as JSON
    state                   TEXT NOT NULL,       -- Enabled | Disabled | ...
    state_reason            TEXT NOT NULL,
    last_processing_result  TEXT NOT NULL,
    created                 INTEGER NOT NULL,
    last_modified           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS grid_event_source_mappings_function ON grid_event_source_mappings (account_id, function_name);

-- Per mapping and shard: the highest sequence whose processing is finished.
CREATE TABLE IF NOT EXISTS grid_esm_checkpoints (
    mapping_uuid  TEXT NOT NULL,
    shard         INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    PRIMARY KEY (mapping_uuid, shard)
);
