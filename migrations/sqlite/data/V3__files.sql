-- Blobs to delete: queued by the transaction that stops referencing them (and, with a delay,
-- before an upload is stored, so that an upload whose record never commits is removed too).
CREATE TABLE _blobQueue (
    key       TEXT PRIMARY KEY NOT NULL,
    notBefore TEXT NOT NULL,
    attempts  INTEGER DEFAULT 0 NOT NULL,
    lastError TEXT DEFAULT '' NOT NULL
) WITHOUT ROWID;

CREATE INDEX idx__blobQueue_notBefore ON _blobQueue (notBefore);

-- File tokens for every auth collection that has no secret for them yet.
UPDATE _collections
SET options = json_set(options, '$.fileToken', json_object(
    'secret', lower(hex(randomblob(25))),
    'duration', coalesce(json_extract(options, '$.fileToken.duration'), 180)))
WHERE type = 'auth' AND coalesce(json_extract(options, '$.fileToken.secret'), '') = '';
