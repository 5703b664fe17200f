-- Every access-log record the gateway writes updates each index of access_logs, and two of them
-- served no query: SQLite's planner reads the API's filters (the Ray ID one included, whose
-- `(ray_id = ?) <> ?` form no index serves), the dashboard's activity counts and the what-if
-- replay from `access_logs_by_account`, and pruning from `access_logs_by_time`
-- (`crates/store-sqlite/src/access_logs.rs` checks each plan). `access_logs_by_ray` was the
-- costliest: its random keys touched a different page for every record, about half of SQLite's
-- work per record (docs/benchmarks.md). PostgreSQL keeps its indexes; its planner may use them.
-- Numbered 0032 to stay clear of migrations added beside it; sqlx applies them in order.
DROP INDEX access_logs_by_ray;
DROP INDEX access_logs_by_client_id;
