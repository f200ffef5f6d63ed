-- Versions, aliases, layers and encrypted environment variables (issue 4).
ALTER TABLE grid_functions ADD COLUMN environment TEXT;
ALTER TABLE grid_functions ADD COLUMN layers TEXT NOT NULL DEFAULT '';
ALTER TABLE grid_functions ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS grid_aliases (
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    alias       TEXT NOT NULL,
    config      TEXT NOT NULL,
    PRIMARY KEY (account_id, name, alias)
);
CREATE TABLE IF NOT EXISTS grid_layer_versions (
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    config        TEXT NOT NULL,
    code_sha256   TEXT NOT NULL,
    unzipped_size INTEGER NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, name, version)
);
