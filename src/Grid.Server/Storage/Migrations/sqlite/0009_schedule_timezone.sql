-- Schedule time zones: the IANA zone cron(...) expressions are evaluated in (EventBridge Scheduler's
-- ScheduleExpressionTimezone). Existing schedules keep firing in UTC, as before.
ALTER TABLE grid_schedules ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
