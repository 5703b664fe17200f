-- People in the access log (the twin of crates/store-sqlite's 0025_access_logs_people.sql): a request whose person's session authenticated records that
-- person's e-mail address (lowercase) and the identity provider of their login, as Cloudflare's
-- access requests carry `user_email` and `connection`. NULL for service tokens and anonymous
-- requests. Numbered 0025 to stay clear of migrations added beside it; sqlx applies them in
-- order. The e-mail filters of the API read the `(account_id, created_at)` range and compare.
ALTER TABLE access_logs ADD COLUMN user_email TEXT;
ALTER TABLE access_logs ADD COLUMN idp_id TEXT;
ALTER TABLE access_logs ADD COLUMN idp_type TEXT;
