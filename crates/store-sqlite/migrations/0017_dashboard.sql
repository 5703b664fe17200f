-- The dashboard's sparklines count one page of tokens' access-log records over the last day, by
-- the client id presented (a wrong secret is a denial of that client id, with no token id):
-- by client id and time, so the count reads those records only, not the whole account's.
-- Numbered 0017 to stay clear of migrations added beside it; sqlx applies them in order.
CREATE INDEX access_logs_by_client_id ON access_logs (client_id, created_at);

-- The "expires within 30 days" / "expired" filters of the token list (and the home page's
-- counts) read a range of this index instead of every token of the account.
CREATE INDEX service_tokens_by_expiry ON service_tokens (account_id, expires_at);
