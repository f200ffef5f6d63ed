-- Durable asynchronous invocation (Event invokes): the queue and the per-qualifier event invoke configs.
-- An event is claimed with a lease (lease_owner, lease_until); a killed node's leases expire and another node claims them.
CREATE TABLE IF NOT EXISTS grid_async_events (
    id              TEXT PRIMARY KEY,          -- the request id, the same for every attempt
    account_id      TEXT NOT NULL,
    name            TEXT NOT NULL,
    qualifier       TEXT,                      -- null: unqualified ($LATEST)
    payload         BLOB NOT NULL,
    client_context  TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0, -- invocations that ended in a function error
    throttles       INTEGER NOT NULL DEFAULT 0, -- throttles and system errors (not counted as attempts)
    created         INTEGER NOT NULL,           -- unix ms: enqueued
    due             INTEGER NOT NULL,           -- unix ms: next attempt
    lease_owner     TEXT,
    lease_until     INTEGER NOT NULL DEFAULT 0  -- unix ms
);
CREATE INDEX IF NOT EXISTS grid_async_events_due ON grid_async_events (due);
CREATE INDEX IF NOT EXISTS grid_async_events_owner ON grid_async_events (lease_owner);

CREATE TABLE IF NOT EXISTS grid_event_invoke_configs (
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    qualifier   TEXT NOT NULL,                 -- $LATEST, a version number or an alias
    config      TEXT NOT NULL,                 -- FunctionEventInvokeConfig JSON
    PRIMARY KEY (account_id, name, qualifier)
);
