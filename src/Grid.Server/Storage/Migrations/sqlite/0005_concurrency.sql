-- Reserved and provisioned concurrency (issue 5).
CREATE TABLE IF NOT EXISTS grid_function_concurrency (
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    reserved    INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS grid_provisioned_concurrency (
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    requested     INTEGER NOT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (account_id, name, qualifier)
);
