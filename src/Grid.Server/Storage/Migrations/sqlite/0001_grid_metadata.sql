-- Grid metadata on SQLite (embedded mode).
CREATE TABLE IF NOT EXISTS grid_functions (
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    config       TEXT NOT NULL,
    tags         TEXT NOT NULL DEFAULT '{}',
    code_sha256  TEXT NOT NULL,
    code_size    INTEGER NOT NULL,
    revision_id  TEXT NOT NULL,
    PRIMARY KEY (account_id, name, version)
);
CREATE TABLE IF NOT EXISTS grid_code (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    data     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS grid_access_keys (
    access_key_id TEXT PRIMARY KEY,
    secret        TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    created       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grid_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
