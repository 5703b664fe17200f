-- Server-wide settings that every node sharing the database must agree on, one named value per
-- row (the server key's check value: a server started with another server key refuses to start).
CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
