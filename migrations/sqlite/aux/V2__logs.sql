-- Request and application logs, in PocketBase's `_logs` shape (level: -4 debug, 0 info,
-- 4 warn, 8 error; data: JSON details such as method, url, status and execTime).
CREATE TABLE _logs (
    id      TEXT PRIMARY KEY NOT NULL,
    level   INTEGER DEFAULT 0 NOT NULL,
    message TEXT DEFAULT '' NOT NULL,
    data    JSON DEFAULT '{}' NOT NULL,
    created TEXT NOT NULL           -- 2006-01-02 15:04:05.000Z
);
CREATE INDEX idx_logs_level ON _logs (level);
CREATE INDEX idx_logs_message ON _logs (message);
CREATE INDEX idx_logs_created_hour ON _logs (strftime('%Y-%m-%d %H:00:00', created));
CREATE INDEX idx_logs_created ON _logs (created);
