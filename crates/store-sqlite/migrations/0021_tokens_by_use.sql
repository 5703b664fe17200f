-- The token list's total under the "unused for 90 days" filter counts two ranges of this index
-- (never used; last seen before the cut-off) instead of reading every token of the account, and
-- the unfiltered total reads it alone. Numbered 0021 to stay clear of migrations added beside it;
-- sqlx applies them in order.
CREATE INDEX service_tokens_by_use ON service_tokens (account_id, last_seen_at);
