-- Access configuration (applications, policies, groups, the organization, signing keys), one
-- JSON document per resource; the same table as crates/store-sqlite's 0002_access_resources.sql.
--
-- The body is JSON, not JSONB: JSON checks that the text is a document and then keeps it exactly
-- as written, so a body reads back byte for byte (JSONB would reorder keys and drop whitespace).
-- The API validates documents against their kind; nothing here queries inside them.

CREATE TABLE access_resources (
    -- Listing by seq gives creation order even when several resources share a created_at second.
    seq         BIGSERIAL NOT NULL,
    -- No CHECK on the kind, as in SQLite: reading an unknown kind fails as a corrupt record.
    kind        TEXT      NOT NULL,
    -- Unique per kind (a UUID, or the account id for one-per-account kinds).
    id          TEXT      NOT NULL,
    account_id  TEXT      NOT NULL REFERENCES accounts (id),
    body        JSON      NOT NULL,
    created_at  BIGINT    NOT NULL,
    updated_at  BIGINT    NOT NULL,
    -- Incremented by every update; updates are conditional on it (optimistic concurrency).
    revision    BIGINT    NOT NULL,
    CONSTRAINT access_resources_pkey PRIMARY KEY (seq),
    CONSTRAINT access_resources_kind_id_key UNIQUE (kind, id)
);

CREATE INDEX access_resources_by_account ON access_resources (kind, account_id, seq);
