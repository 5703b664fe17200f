//! The behaviour every storage backend must have, as async cases that each take a fresh, empty
//! [`Store`](crate::Store). A backend's test binary runs them all with
//! [`store_conformance_tests!`](crate::store_conformance_tests), one `#[tokio::test]` per case:
//!
//! ```text
//! /// A fresh empty store, and whatever must live as long as it (a temporary directory, a
//! /// scratch database that is dropped afterwards).
//! async fn fresh_store() -> (MyStore, TempDir) { … }
//!
//! gatehouse_store::store_conformance_tests!(fresh_store);
//! ```
//!
//! The backend's crate needs `tokio` (with `macros` and `rt`) as a dev-dependency. Cases use only
//! the traits, never SQL, and read no clock: every timestamp is explicit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_logs;
mod accounts;
mod audit;
mod fixtures;
mod listing;
mod notifications;
mod resources;
mod server_keys;
mod service_tokens;
mod updates;
mod usage;

pub use access_logs::*;
pub use accounts::*;
pub use audit::*;
pub use listing::*;
pub use notifications::*;
pub use resources::*;
pub use server_keys::*;
pub use service_tokens::*;
pub use updates::*;
pub use usage::*;

/// Defines one `#[tokio::test]` per conformance case. `$fixture` is an async function returning
/// `(store, guard)`: a fresh empty store, and a value dropped after the store (its temporary
/// directory or scratch database).
#[macro_export]
macro_rules! store_conformance_tests {
    ($fixture:path) => {
        $crate::store_conformance_tests!(@cases $fixture;
            // Accounts and API tokens.
            bootstrap_creates_the_first_account_once,
            concurrent_bootstraps_create_one_account,
            get_account_finds_it_by_id,
            api_tokens_are_found_by_hash,
            api_token_duplicates_are_conflicts,
            // Service tokens.
            service_token_round_trips,
            service_tokens_of_another_account_are_invisible,
            unknown_ids_find_nothing,
            duplicate_client_id_or_id_is_a_conflict,
            delete_returns_the_token_and_removes_it,
            delete_of_an_unknown_token_is_none,
            forever_timestamps_round_trip,
            durations_and_the_epoch_round_trip,
            // Listing.
            list_is_in_creation_order,
            list_pages_through_offset_and_limit,
            list_pages_through_keyset_cursors,
            list_of_an_empty_account_is_empty,
            name_filter_is_exact,
            search_matches_name_substrings_ignoring_case,
            search_wildcards_match_literally,
            search_finds_exact_id_and_client_id,
            expiry_and_usage_filters,
            // Updates.
            update_persists_every_field,
            update_with_a_stale_revision_fails,
            concurrent_updates_let_one_writer_win,
            update_of_a_missing_token_returns_false,
            // The gateway: the snapshot and usage records.
            all_service_tokens_spans_accounts,
            usage_moves_last_seen_forward_only,
            current_use_ends_a_graceful_rotation,
            current_use_keeps_a_deadline_rotation,
            an_older_use_does_not_end_a_newer_rotation,
            previous_use_updates_previous_last_seen,
            usage_of_unknown_tokens_is_skipped,
            api_updates_do_not_move_usage_times_back,
            the_tokens_fingerprint_moves_with_every_change_but_usage,
            token_versions_and_reads_by_id_follow_every_change,
            // Access resources.
            resources_round_trip_in_creation_order,
            resources_of_another_account_are_invisible,
            all_resources_spans_accounts,
            resource_update_checks_the_revision,
            concurrent_resource_updates_let_one_writer_win,
            resource_delete_removes_it,
            duplicate_resource_insert_is_a_conflict,
            a_failing_batch_changes_nothing,
            every_resource_kind_round_trips_apart,
            // The audit log.
            audit_appends_form_a_chain_that_reads_back_exactly,
            audit_chains_are_per_account,
            audit_list_filters_and_pages,
            concurrent_audit_appends_keep_a_valid_chain,
            a_duplicate_audit_id_is_a_conflict,
            audited_writes_store_the_change_and_its_record_or_neither,
            // The access log.
            access_logs_round_trip_newest_first,
            access_log_batches_of_any_size_keep_every_record_in_order,
            access_logs_of_another_account_are_invisible,
            access_log_filters_apply_and_negate,
            access_logs_keep_people_and_filter_by_email,
            access_logs_page_through_offset_and_limit,
            prune_removes_only_older_access_logs,
            replay_hands_an_apps_records_newest_first_across_batches,
            access_activity_counts_by_bucket,
            // Monitoring: what was notified, and when the previous secret was rotated out.
            a_notification_is_claimed_once,
            a_released_notification_can_be_claimed_again,
            concurrent_claims_let_one_caller_win,
            the_rotation_time_round_trips,
            // Rotation of the server key.
            hashes_keep_their_server_key_and_move_to_a_new_one,
        );
    };
    (@cases $fixture:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, guard) = $fixture().await;
                $crate::conformance::$case(&store).await;
                drop(store);
                drop(guard);
            }
        )+
    };
}
