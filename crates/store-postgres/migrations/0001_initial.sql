-- The first schema of gatehouse on PostgreSQL; the same tables, columns and constraints as
-- crates/store-sqlite/migrations/0001_initial.sql, in PostgreSQL's types.
--
-- Timestamps are BIGINT seconds since the Unix epoch (not TIMESTAMPTZ: the domain counts whole
-- seconds up to 9999-12-31T23:59:59Z, and both backends then store the same numbers); hashes are
-- 32-byte BYTEA values (HMAC-SHA-256 under a server key kept outside the database). No secret is
-- ever stored in clear.
--
-- Unique constraints are named explicitly: the store turns a violation of each into a message
-- naming the resource and column (src/error.rs), never the value.

CREATE TABLE accounts (
    -- SQLite lists accounts created in the same second by rowid; this is its stand-in.
    seq         BIGSERIAL NOT NULL,
    id          TEXT      NOT NULL,
    name        TEXT      NOT NULL,
    created_at  BIGINT    NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_seq_key UNIQUE (seq)
);

CREATE TABLE api_tokens (
    id          TEXT    NOT NULL,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    token_hash  BYTEA   NOT NULL CHECK (octet_length(token_hash) = 32),
    permission  TEXT    NOT NULL CHECK (permission IN ('read', 'edit')),
    kind        TEXT    NOT NULL CHECK (kind IN ('bearer', 'global_key')),
    -- Present exactly for global keys: the X-Auth-Email presented with the key.
    email       TEXT    CHECK ((kind = 'global_key') = (email IS NOT NULL)),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT,
    enabled     BOOLEAN NOT NULL,
    CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

CREATE TABLE service_tokens (
    -- Listing by seq gives a stable creation order even when several tokens share a created_at
    -- second. A sequence never hands out a number twice (a rolled-back insert leaves a gap).
    seq                          BIGSERIAL NOT NULL,
    id                           TEXT      NOT NULL,
    account_id                   TEXT      NOT NULL REFERENCES accounts (id),
    name                         TEXT      NOT NULL,
    client_id                    TEXT      NOT NULL,
    -- As the operator wrote it ('8760h', '2h45m', 'forever'); parsed again on read.
    duration                     TEXT      NOT NULL,
    created_at                   BIGINT    NOT NULL,
    updated_at                   BIGINT    NOT NULL,
    expires_at                   BIGINT    NOT NULL,
    last_seen_at                 BIGINT,
    enabled                      BOOLEAN   NOT NULL,
    secret_hash                  BYTEA     NOT NULL CHECK (octet_length(secret_hash) = 32),
    secret_version               BIGINT    NOT NULL CHECK (secret_version >= 1),
    secret_last_seen_at          BIGINT,
    -- The secret that was current before the last rotation, while it is still accepted:
    -- 'first_use' until the new secret is first used, 'deadline' until previous_secret_expires_at.
    previous_secret_hash         BYTEA     CHECK (octet_length(previous_secret_hash) = 32),
    previous_secret_version      BIGINT,
    previous_secret_grace        TEXT      CHECK (previous_secret_grace IN ('first_use', 'deadline')),
    previous_secret_expires_at   BIGINT,
    previous_secret_last_seen_at BIGINT,
    -- Incremented by every change; updates are conditional on it (optimistic concurrency).
    revision                     BIGINT    NOT NULL,
    CONSTRAINT service_tokens_pkey PRIMARY KEY (seq),
    CONSTRAINT service_tokens_id_key UNIQUE (id),
    CONSTRAINT service_tokens_client_id_key UNIQUE (client_id),
    CHECK ((previous_secret_hash IS NULL) = (previous_secret_version IS NULL)
       AND (previous_secret_hash IS NULL) = (previous_secret_grace IS NULL)
       AND (previous_secret_expires_at IS NOT NULL)
           = (previous_secret_grace IS NOT DISTINCT FROM 'deadline')
       AND (previous_secret_last_seen_at IS NULL OR previous_secret_hash IS NOT NULL))
);

CREATE INDEX service_tokens_by_account ON service_tokens (account_id, seq);
CREATE INDEX service_tokens_by_name ON service_tokens (account_id, name);
