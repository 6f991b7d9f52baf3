-- PocketBase's system collections for OTP, MFA, login origins and OAuth2 links (ids, fields,
-- rules and indexes as PocketBase 0.40.6 creates them).

CREATE TABLE _otps (
    id            TEXT PRIMARY KEY NOT NULL,
    collectionRef TEXT DEFAULT '' NOT NULL,
    recordRef     TEXT DEFAULT '' NOT NULL,
    password      TEXT DEFAULT '' NOT NULL,
    sentTo        TEXT DEFAULT '' NOT NULL,
    created       TEXT DEFAULT '' NOT NULL,
    updated       TEXT DEFAULT '' NOT NULL
);
CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (collectionRef, recordRef);
INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options) VALUES (
    'pbc_1638494021', TRUE, 'base', '_otps',
    json('[{"autogeneratePattern":"[a-z0-9]{15}","help":"","hidden":false,"id":"text3208210256","max":15,"min":15,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text455797646","max":0,"min":0,"name":"collectionRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text127846527","max":0,"min":0,"name":"recordRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"cost":8,"help":"","hidden":true,"id":"password901924565","max":0,"min":0,"name":"password","pattern":"","presentable":false,"required":true,"system":true,"type":"password"},{"autogeneratePattern":"","help":"","hidden":true,"id":"text3866985172","max":0,"min":0,"name":"sentTo","pattern":"","presentable":false,"primaryKey":false,"required":false,"system":true,"type":"text"},{"hidden":false,"id":"autodate2990389176","name":"created","onCreate":true,"onUpdate":false,"presentable":false,"system":true,"type":"autodate"},{"hidden":false,"id":"autodate3332085495","name":"updated","onCreate":true,"onUpdate":true,"presentable":false,"system":true,"type":"autodate"}]'),
    json('["CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (collectionRef, recordRef)"]'),
    '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', NULL, NULL, NULL, '{}'
);

CREATE TABLE _mfas (
    id            TEXT PRIMARY KEY NOT NULL,
    collectionRef TEXT DEFAULT '' NOT NULL,
    recordRef     TEXT DEFAULT '' NOT NULL,
    method        TEXT DEFAULT '' NOT NULL,
    created       TEXT DEFAULT '' NOT NULL,
    updated       TEXT DEFAULT '' NOT NULL
);
CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (collectionRef,recordRef);
INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options) VALUES (
    'pbc_2279338944', TRUE, 'base', '_mfas',
    json('[{"autogeneratePattern":"[a-z0-9]{15}","help":"","hidden":false,"id":"text3208210256","max":15,"min":15,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text455797646","max":0,"min":0,"name":"collectionRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text127846527","max":0,"min":0,"name":"recordRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text1582905952","max":0,"min":0,"name":"method","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"hidden":false,"id":"autodate2990389176","name":"created","onCreate":true,"onUpdate":false,"presentable":false,"system":true,"type":"autodate"},{"hidden":false,"id":"autodate3332085495","name":"updated","onCreate":true,"onUpdate":true,"presentable":false,"system":true,"type":"autodate"}]'),
    json('["CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (collectionRef,recordRef)"]'),
    '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', NULL, NULL, NULL, '{}'
);

CREATE TABLE _authOrigins (
    id            TEXT PRIMARY KEY NOT NULL,
    collectionRef TEXT DEFAULT '' NOT NULL,
    recordRef     TEXT DEFAULT '' NOT NULL,
    fingerprint   TEXT DEFAULT '' NOT NULL,
    created       TEXT DEFAULT '' NOT NULL,
    updated       TEXT DEFAULT '' NOT NULL
);
CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (collectionRef, recordRef, fingerprint);
INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options) VALUES (
    'pbc_4275539003', TRUE, 'base', '_authOrigins',
    json('[{"autogeneratePattern":"[a-z0-9]{15}","help":"","hidden":false,"id":"text3208210256","max":15,"min":15,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text455797646","max":0,"min":0,"name":"collectionRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text127846527","max":0,"min":0,"name":"recordRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text4228609354","max":0,"min":0,"name":"fingerprint","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"hidden":false,"id":"autodate2990389176","name":"created","onCreate":true,"onUpdate":false,"presentable":false,"system":true,"type":"autodate"},{"hidden":false,"id":"autodate3332085495","name":"updated","onCreate":true,"onUpdate":true,"presentable":false,"system":true,"type":"autodate"}]'),
    json('["CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (collectionRef, recordRef, fingerprint)"]'),
    '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', NULL, NULL, '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', '{}'
);

CREATE TABLE _externalAuths (
    id            TEXT PRIMARY KEY NOT NULL,
    collectionRef TEXT DEFAULT '' NOT NULL,
    recordRef     TEXT DEFAULT '' NOT NULL,
    provider      TEXT DEFAULT '' NOT NULL,
    providerId    TEXT DEFAULT '' NOT NULL,
    created       TEXT DEFAULT '' NOT NULL,
    updated       TEXT DEFAULT '' NOT NULL
);
CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (collectionRef, recordRef, provider);
CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (collectionRef, provider, providerId);
INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options) VALUES (
    'pbc_2281828961', TRUE, 'base', '_externalAuths',
    json('[{"autogeneratePattern":"[a-z0-9]{15}","help":"","hidden":false,"id":"text3208210256","max":15,"min":15,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text455797646","max":0,"min":0,"name":"collectionRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text127846527","max":0,"min":0,"name":"recordRef","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text2462348188","max":0,"min":0,"name":"provider","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"autogeneratePattern":"","help":"","hidden":false,"id":"text1044722854","max":0,"min":0,"name":"providerId","pattern":"","presentable":false,"primaryKey":false,"required":true,"system":true,"type":"text"},{"hidden":false,"id":"autodate2990389176","name":"created","onCreate":true,"onUpdate":false,"presentable":false,"system":true,"type":"autodate"},{"hidden":false,"id":"autodate3332085495","name":"updated","onCreate":true,"onUpdate":true,"presentable":false,"system":true,"type":"autodate"}]'),
    json('["CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (collectionRef, recordRef, provider)","CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (collectionRef, provider, providerId)"]'),
    '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', NULL, NULL, '@request.auth.id != '''' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId', '{}'
);
