-- The access log; the same schema as crates/store-sqlite's 0004_access_logs.sql, in
-- PostgreSQL types. No foreign keys: a batch from the gateway must not fail because an
-- application or token was deleted meanwhile (records outlive what they name).

CREATE TABLE access_logs (
    -- Insertion order, breaking ties between records of the same second.
    seq               BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id        TEXT     NOT NULL,
    ray_id            TEXT     NOT NULL,
    -- Unix seconds.
    created_at        BIGINT   NOT NULL,
    allowed           BOOLEAN  NOT NULL,
    app_uid           TEXT     NOT NULL,
    app_domain        TEXT     NOT NULL,
    ip_address        TEXT     NOT NULL,
    is_service_token  BOOLEAN  NOT NULL,
    service_token_id  TEXT,
    client_id         TEXT,
    policy_id         TEXT,
    decision          TEXT,
    reason            TEXT,
    status            INTEGER  NOT NULL,
    method            TEXT     NOT NULL
);

-- Listing: an account's records by time, ties in insertion order.
CREATE INDEX access_logs_by_account ON access_logs (account_id, created_at, seq);
-- Pruning across accounts.
CREATE INDEX access_logs_by_time ON access_logs (created_at);
-- Looking one request up by the Ray ID a client reports.
CREATE INDEX access_logs_by_ray ON access_logs (account_id, ray_id);
