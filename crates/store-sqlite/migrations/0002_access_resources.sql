-- Access configuration (applications, policies, groups, the organization, signing keys), one
-- JSON document per resource. The API validates documents against their kind; the store keeps
-- them as written, so a body reads back byte for byte.

CREATE TABLE access_resources (
    -- Never reused (AUTOINCREMENT): listing by seq gives creation order even when several
    -- resources share a created_at second.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- ResourceKind::as_str. No CHECK: adding a kind then needs no table rebuild, which SQLite
    -- requires to change a CHECK; every read asks for one known kind.
    kind        TEXT    NOT NULL,
    -- Unique per kind (a UUID, or the account id for one-per-account kinds).
    id          TEXT    NOT NULL,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    body        TEXT    NOT NULL CHECK (json_valid(body)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Incremented by every update; updates are conditional on it (optimistic concurrency).
    revision    INTEGER NOT NULL,
    UNIQUE (kind, id)
) STRICT;

CREATE INDEX access_resources_by_account ON access_resources (kind, account_id, seq);
