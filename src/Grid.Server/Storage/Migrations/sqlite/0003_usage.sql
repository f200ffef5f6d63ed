-- Metering: requests and billed time per function and hour, summed by every node (issue 9).
CREATE TABLE IF NOT EXISTS grid_usage (
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    hour         INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    billed_ms    INTEGER NOT NULL,
    mb_ms        INTEGER NOT NULL,
    PRIMARY KEY (account_id, name, hour)
);
