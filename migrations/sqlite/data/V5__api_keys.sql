-- Croft's API keys for machines: only a SHA-256 of the secret is kept; scopes name collections
-- and record actions.
CREATE TABLE _apiKeys (
    id       TEXT PRIMARY KEY NOT NULL,
    name     TEXT NOT NULL,
    hash     TEXT NOT NULL,
    scopes   JSON DEFAULT '[]' NOT NULL,
    expires  TEXT DEFAULT '' NOT NULL,
    created  TEXT NOT NULL
) WITHOUT ROWID;
