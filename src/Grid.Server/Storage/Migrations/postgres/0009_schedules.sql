-- Schedules (issue 6): a rate or cron expression that invokes a function asynchronously with an EventBridge-shaped event.
-- Firing is driven by Orleans reminders (OrleansRemindersTable, 0002); this table is the truth about what exists.
CREATE TABLE IF NOT EXISTS grid_schedules (
    account_id     text   NOT NULL,
    name           text   NOT NULL,
    function_name  text   NOT NULL,          -- unqualified name
    qualifier      text,                     -- null: unqualified ($LATEST)
    expression     text   NOT NULL,          -- rate(...) | cron(...)
    input          text,                     -- null: the EventBridge scheduled event
    state          text   NOT NULL,          -- ENABLED | DISABLED
    description    text   NOT NULL DEFAULT '',
    created        bigint NOT NULL,          -- unix ms; also anchors rate(...) and names the schedule's generation in event ids
    last_modified  bigint NOT NULL,
    fire_after     bigint NOT NULL,          -- unix ms: only later occurrences fire (creation, re-enable or new expression)
    last_fired     bigint,                   -- unix ms of the last occurrence handed to the async queue
    PRIMARY KEY (account_id, name)
);
