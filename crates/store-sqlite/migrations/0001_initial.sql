-- The first schema of gatehouse on SQLite.
--
-- Timestamps are INTEGER seconds since the Unix epoch; hashes are 32-byte BLOBs (HMAC-SHA-256
-- under a server key kept outside the database). No secret is ever stored in clear.
-- STRICT tables make SQLite refuse values of the wrong type instead of storing them anyway.

CREATE TABLE accounts (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    permission  TEXT    NOT NULL CHECK (permission IN ('read', 'edit')),
    kind        TEXT    NOT NULL CHECK (kind IN ('bearer', 'global_key')),
    -- Present exactly for global keys: the X-Auth-Email presented with the key.
    email       TEXT    CHECK ((kind = 'global_key') = (email IS NOT NULL)),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1))
) STRICT;

CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

CREATE TABLE service_tokens (
    -- Never reused (AUTOINCREMENT), so listing by seq gives a stable creation order even when
    -- several tokens share a created_at second.
    seq                          INTEGER PRIMARY KEY AUTOINCREMENT,
    id                           TEXT    NOT NULL UNIQUE,
    account_id                   TEXT    NOT NULL REFERENCES accounts (id),
    name                         TEXT    NOT NULL,
    client_id                    TEXT    NOT NULL UNIQUE,
    -- As the operator wrote it ('8760h', '2h45m', 'forever'); parsed again on read.
    duration                     TEXT    NOT NULL,
    created_at                   INTEGER NOT NULL,
    updated_at                   INTEGER NOT NULL,
    expires_at                   INTEGER NOT NULL,
    last_seen_at                 INTEGER,
    enabled                      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    secret_hash                  BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    secret_version               INTEGER NOT NULL CHECK (secret_version >= 1),
    secret_last_seen_at          INTEGER,
    -- The secret that was current before the last rotation, while it is still accepted:
    -- 'first_use' until the new secret is first used, 'deadline' until previous_secret_expires_at.
    previous_secret_hash         BLOB    CHECK (length(previous_secret_hash) = 32),
    previous_secret_version      INTEGER,
    previous_secret_grace        TEXT    CHECK (previous_secret_grace IN ('first_use', 'deadline')),
    previous_secret_expires_at   INTEGER,
    previous_secret_last_seen_at INTEGER,
    -- Incremented by every change; updates are conditional on it (optimistic concurrency).
    revision                     INTEGER NOT NULL,
    CHECK ((previous_secret_hash IS NULL) = (previous_secret_version IS NULL)
       AND (previous_secret_hash IS NULL) = (previous_secret_grace IS NULL)
       AND (previous_secret_expires_at IS NOT NULL) = (previous_secret_grace IS 'deadline')
       AND (previous_secret_last_seen_at IS NULL OR previous_secret_hash IS NOT NULL))
) STRICT;

CREATE INDEX service_tokens_by_account ON service_tokens (account_id, seq);
CREATE INDEX service_tokens_by_name ON service_tokens (account_id, name);
