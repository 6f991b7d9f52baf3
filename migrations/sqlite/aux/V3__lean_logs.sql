-- Request logs are written far more often than they are searched: every index is one more
-- B-tree insert per request. Keep the primary key (ids are time-ordered, so it appends) and
-- `created` (retention, time ranges, sorting); level, message and per-hour filters scan.
DROP INDEX IF EXISTS idx_logs_level;
DROP INDEX IF EXISTS idx_logs_message;
DROP INDEX IF EXISTS idx_logs_created_hour;
