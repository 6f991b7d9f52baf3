-- aux.db: operational data that may be lost without losing user data (job history, logs).

CREATE TABLE _jobRuns (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job        TEXT NOT NULL,
    trigger    TEXT NOT NULL,          -- 'schedule' or 'manual'
    started    TEXT NOT NULL,          -- 2006-01-02 15:04:05.000Z
    durationMs INTEGER NOT NULL,
    ok         BOOLEAN NOT NULL,
    error      TEXT DEFAULT '' NOT NULL
);
CREATE INDEX idx_jobRuns_job_started ON _jobRuns (job, started);
CREATE INDEX idx_jobRuns_started ON _jobRuns (started);
