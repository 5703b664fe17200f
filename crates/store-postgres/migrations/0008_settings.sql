-- Server-wide settings that every node sharing the database must agree on, one named value per
-- row (the server key's check value: a node started with another server key refuses to start).
-- Written only with INSERT … ON CONFLICT DO NOTHING, so no unique violation ever reaches a caller.
CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
