-- Monitoring (expiry alerts, inactivity enforcement, old-secret-still-used alerts); the same
-- schema as crates/store-sqlite's 0006_monitoring.sql.
--
-- Numbered 0006 to stay clear of migrations added beside it; sqlx applies them in order.

-- When the rotation that made the previous secret "previous" happened, so that a use of the
-- previous secret after it can be told from uses before it. NULL for rotations stored earlier.
ALTER TABLE service_tokens ADD COLUMN previous_secret_rotated_at BIGINT;

-- What the monitoring jobs notified or acted on, once per key, so that a restart (or a second
-- node) does not repeat it. No foreign key to service_tokens: a token deleted for inactivity
-- keeps its record.
CREATE TABLE sent_notifications (
    token_id    TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    account_id  TEXT   NOT NULL REFERENCES accounts (id),
    sent_at     BIGINT NOT NULL,
    -- Unnamed: claims use ON CONFLICT DO NOTHING, so a violation never reaches error.rs.
    PRIMARY KEY (token_id, kind)
);
