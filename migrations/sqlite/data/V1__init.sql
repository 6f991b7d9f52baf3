-- Croft system tables in data.db. Layout follows PocketBase 0.40 so that `pb_data/data.db`
-- schemas map one to one: `_collections` describes every collection, each collection is a table.

CREATE TABLE _collections (
    id         TEXT PRIMARY KEY NOT NULL,
    system     BOOLEAN DEFAULT FALSE NOT NULL,
    type       TEXT DEFAULT 'base' NOT NULL,
    name       TEXT UNIQUE NOT NULL,
    fields     JSON DEFAULT '[]' NOT NULL,
    indexes    JSON DEFAULT '[]' NOT NULL,
    listRule   TEXT DEFAULT NULL,
    viewRule   TEXT DEFAULT NULL,
    createRule TEXT DEFAULT NULL,
    updateRule TEXT DEFAULT NULL,
    deleteRule TEXT DEFAULT NULL,
    options    JSON DEFAULT '{}' NOT NULL,
    created    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
    updated    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL
);

-- Application settings, one JSON document per key (PocketBase keeps them in `_params`).
CREATE TABLE _params (
    id      TEXT PRIMARY KEY NOT NULL,
    value   JSON DEFAULT NULL,
    created TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
    updated TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL
);

CREATE TABLE _superusers (
    id              TEXT PRIMARY KEY NOT NULL,
    email           TEXT DEFAULT '' NOT NULL,
    emailVisibility BOOLEAN DEFAULT FALSE NOT NULL,
    verified        BOOLEAN DEFAULT FALSE NOT NULL,
    password        TEXT DEFAULT '' NOT NULL,
    tokenKey        TEXT DEFAULT '' NOT NULL,
    created         TEXT DEFAULT '' NOT NULL,
    updated         TEXT DEFAULT '' NOT NULL
);
CREATE UNIQUE INDEX idx_tokenKey_pbc_3142635823 ON _superusers (tokenKey);
CREATE UNIQUE INDEX idx_email_pbc_3142635823 ON _superusers (email) WHERE email != '';

-- The token secret is random per installation, as in PocketBase.
INSERT INTO _collections (id, system, type, name, fields, indexes, options) VALUES (
    'pbc_3142635823', TRUE, 'auth', '_superusers',
    json('[
      {"id":"text3208210256","name":"id","type":"text","system":true,"primaryKey":true,"required":true,"hidden":false,"presentable":false,"min":15,"max":15,"pattern":"^[a-z0-9]+$","autogeneratePattern":"[a-z0-9]{15}"},
      {"id":"password901924565","name":"password","type":"password","system":true,"required":true,"hidden":true,"presentable":false,"min":8,"max":0,"cost":0,"pattern":""},
      {"id":"text2504183744","name":"tokenKey","type":"text","system":true,"required":true,"hidden":true,"presentable":false,"primaryKey":false,"min":30,"max":60,"pattern":"","autogeneratePattern":"[a-zA-Z0-9]{50}"},
      {"id":"email3885137012","name":"email","type":"email","system":true,"required":true,"hidden":false,"presentable":false,"exceptDomains":[],"onlyDomains":[]},
      {"id":"bool1547992806","name":"emailVisibility","type":"bool","system":true,"required":false,"hidden":false,"presentable":false},
      {"id":"bool256245529","name":"verified","type":"bool","system":true,"required":false,"hidden":false,"presentable":false},
      {"id":"autodate2990389176","name":"created","type":"autodate","system":true,"hidden":false,"presentable":false,"onCreate":true,"onUpdate":false},
      {"id":"autodate3332085495","name":"updated","type":"autodate","system":true,"hidden":false,"presentable":false,"onCreate":true,"onUpdate":true}
    ]'),
    json('["CREATE UNIQUE INDEX `idx_tokenKey_pbc_3142635823` ON `_superusers` (`tokenKey`)","CREATE UNIQUE INDEX `idx_email_pbc_3142635823` ON `_superusers` (`email`) WHERE `email` != ''''"]'),
    json_object(
        'authToken', json_object('secret', lower(hex(randomblob(25))), 'duration', 86400),
        'passwordAuth', json_object('enabled', json('true'), 'identityFields', json('["email"]')),
        'authRule', '',
        'manageRule', NULL
    )
);

-- Exactly-once cron ticks: the replica whose INSERT succeeds runs the tick.
CREATE TABLE _jobClaims (
    job     TEXT NOT NULL,
    tick    TEXT NOT NULL,
    claimed TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
    PRIMARY KEY (job, tick)
) WITHOUT ROWID;
