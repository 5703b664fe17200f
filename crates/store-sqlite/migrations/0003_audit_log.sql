-- The audit log of management actions: one hash chain per account. Each record stores the hash
-- of the record before it (`prev_hash`, 64 zeros for the first) and its own
-- `hash = SHA-256(prev_hash || canonical JSON of the record)` (gatehouse_domain::audit), so an
-- edited, deleted or reordered record is found by `gatehouse audit verify`. Values never hold a
-- secret: tokens are recorded by their public body. Hashes are lowercase hex.

CREATE TABLE audit_log (
    account_id     TEXT    NOT NULL REFERENCES accounts (id),
    -- 1, 2, 3, … per account. The primary key is what makes two concurrent appenders (two
    -- processes on one file) unable to both write the same position: the loser retries.
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    id             TEXT    NOT NULL UNIQUE,
    occurred_at    INTEGER NOT NULL,
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
) STRICT;

CREATE INDEX audit_log_by_time ON audit_log (account_id, occurred_at, seq);

-- Append-only: the application never changes or removes a record. These triggers stop mistakes;
-- someone who can drop them can also edit the file, which is what the hash chain is for.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit log records are append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit log records are append-only');
END;
