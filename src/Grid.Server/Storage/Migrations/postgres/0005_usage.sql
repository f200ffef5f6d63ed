-- Metering: requests and billed time per function and hour, summed by every node (issue 9).
CREATE TABLE IF NOT EXISTS grid_usage (
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    hour         BIGINT NOT NULL,
    requests     BIGINT NOT NULL,
    billed_ms    BIGINT NOT NULL,
    mb_ms        BIGINT NOT NULL,
    PRIMARY KEY (account_id, name, hour)
);
