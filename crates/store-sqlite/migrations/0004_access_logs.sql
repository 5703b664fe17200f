-- The access log: one row per gateway decision on a request that matched an application.
-- Numbered 0004 beside the other migrations of this round; the PostgreSQL twin has the same
-- number. No foreign keys: the gateway writes in batches, and a batch must not fail because an
-- application or token was deleted meanwhile (records outlive what they name).

CREATE TABLE access_logs (
    -- Insertion order, breaking ties between records of the same second.
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        TEXT    NOT NULL,
    ray_id            TEXT    NOT NULL,
    -- Unix seconds.
    created_at        INTEGER NOT NULL,
    allowed           INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    app_uid           TEXT    NOT NULL,
    app_domain        TEXT    NOT NULL,
    ip_address        TEXT    NOT NULL,
    is_service_token  INTEGER NOT NULL CHECK (is_service_token IN (0, 1)),
    service_token_id  TEXT,
    client_id         TEXT,
    policy_id         TEXT,
    decision          TEXT,
    reason            TEXT,
    status            INTEGER NOT NULL,
    method            TEXT    NOT NULL
) STRICT;

-- Listing: an account's records by time (the rowid, i.e. seq, is implied as the last column).
CREATE INDEX access_logs_by_account ON access_logs (account_id, created_at);
-- Pruning across accounts.
CREATE INDEX access_logs_by_time ON access_logs (created_at);
-- Looking one request up by the Ray ID a client reports.
CREATE INDEX access_logs_by_ray ON access_logs (account_id, ray_id);
