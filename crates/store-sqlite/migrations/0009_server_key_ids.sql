-- Which server key made each stored hash: the key's id, the first 16 hex characters of its
-- check value (the `server_key_check` setting). With it the server key can be rotated without
-- invalidating secrets: each hash is verified under the key that made it and moved to the new
-- key when it is next used. Kept in lock-step with the PostgreSQL migration of the same number.
ALTER TABLE service_tokens ADD COLUMN secret_key_id TEXT NOT NULL DEFAULT '';
-- Set exactly when previous_secret_hash is.
ALTER TABLE service_tokens ADD COLUMN previous_secret_key_id TEXT;
ALTER TABLE api_tokens ADD COLUMN key_id TEXT NOT NULL DEFAULT '';

-- Every existing hash was made with the key the database was set up with, whose check value is
-- stored. (A database that never stored one keeps '' until the server's next start records it.)
UPDATE service_tokens
SET secret_key_id = COALESCE((SELECT substr(value, 1, 16) FROM settings WHERE name = 'server_key_check'), '');
UPDATE service_tokens SET previous_secret_key_id = secret_key_id WHERE previous_secret_hash IS NOT NULL;
UPDATE api_tokens
SET key_id = COALESCE((SELECT substr(value, 1, 16) FROM settings WHERE name = 'server_key_check'), '');
