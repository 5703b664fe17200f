-- The audit log of management actions: one hash chain per account; the same table as
-- crates/store-sqlite's 0003_audit_log.sql. Each record stores the hash of the record before it
-- (`prev_hash`, 64 zeros for the first) and its own
-- `hash = SHA-256(prev_hash || canonical JSON of the record)` (gatehouse_domain::audit).
-- Values are TEXT, not JSON: the hash covers the exact text, which must read back byte for byte.

CREATE TABLE audit_log (
    account_id     TEXT    NOT NULL REFERENCES accounts (id),
    -- 1, 2, 3, … per account. Several nodes append at once: each reads the last record and
    -- inserts the next position; the primary key lets only one of them have it, the others retry.
    seq            BIGINT  NOT NULL CHECK (seq >= 1),
    id             TEXT    NOT NULL UNIQUE,
    occurred_at    BIGINT  NOT NULL,
    actor_id       TEXT    NOT NULL,
    actor_name     TEXT    NOT NULL,
    actor_type     TEXT    NOT NULL,
    actor_ip       TEXT,
    action         TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    resource_id    TEXT    NOT NULL,
    old_value      TEXT,
    new_value      TEXT,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    PRIMARY KEY (account_id, seq)
);

CREATE INDEX audit_log_by_time ON audit_log (account_id, occurred_at, seq);

-- Append-only: the application never changes or removes a record. The trigger stops mistakes;
-- someone who can drop it can also edit rows, which is what the hash chain is for.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log records are append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
