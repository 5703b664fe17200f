-- Monitoring (expiry alerts, inactivity enforcement, old-secret-still-used alerts).
--
-- Numbered 0006 to stay clear of migrations added beside it; sqlx applies them in order.

-- When the rotation that made the previous secret "previous" happened, so that a use of the
-- previous secret after it can be told from uses before it. NULL for rotations stored earlier.
ALTER TABLE service_tokens ADD COLUMN previous_secret_rotated_at INTEGER;

-- What the monitoring jobs notified or acted on, once per key, so that a restart (or a second
-- node) does not repeat it. `kind` names the event and what makes it unique, for example
-- 'expiring:7d:1798761600' (7-day lead before that expiry) or 'previous_secret_used:3'.
-- No foreign key to service_tokens: a token deleted for inactivity keeps its record.
CREATE TABLE sent_notifications (
    token_id    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (token_id, kind)
) STRICT;
