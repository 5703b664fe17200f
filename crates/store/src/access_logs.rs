//! The access log: one record per gateway decision on a request that matched an application,
//! written in batches by the gateway's background writer, listed by the management API
//! (`/access/logs/access_requests`), and pruned by the server's retention task.
//!
//! A record holds no secret: client ids are public, and the request path is not stored at all
//! (clients paste secrets into URLs); `app_domain` is the application's configured domain.

use async_trait::async_trait;
use gatehouse_domain::access::{AppId, IdpId, PolicyId};
use gatehouse_domain::{AccountId, Timestamp, TokenId};

use crate::{Page, PageRequest, StoreError};

/// How a batch of records is cut into multi-row `INSERT` statements: as many of `max` rows as
/// there are, then the rest in powers of two (1,234 with `max` 500: 500, 500, 128, 64, 32, 8, 2).
/// A store prepares each statement text once and keeps it in its statement cache; cut this way a
/// batch of any size uses at most `log2(max) + 2` texts instead of one per batch size, which at
/// low and moderate traffic (batches of every size, flushed on a tick) meant parsing a new
/// statement of hundreds of placeholders at every flush and pushing other statements out of
/// the cache.
pub fn insert_chunks<T>(records: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let max = max.max(1);
    let mut rest = records;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if rest.len() >= max { max } else { 1 << rest.len().ilog2() };
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// How many records a replay reads per batch.
pub const REPLAY_BATCH: u64 = 10_000;

/// One gateway decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogRecord {
    pub account_id: AccountId,
    /// 16 lowercase hex characters, the `Cf-Ray` header of the response.
    pub ray_id: String,
    pub created_at: Timestamp,
    pub allowed: bool,
    pub app_uid: AppId,
    /// The application's configured `domain` (`host[/path]`).
    pub app_domain: String,
    /// The TCP peer.
    pub ip_address: String,
    /// Service-token credentials were presented: client id and secret, or a session JWT.
    pub is_service_token: bool,
    /// The token that authenticated, if one did.
    pub service_token_id: Option<TokenId>,
    /// The presented (or authenticated) client id; public, never the secret.
    pub client_id: Option<String>,
    /// The policy that decided, if one matched.
    pub policy_id: Option<PolicyId>,
    /// That policy's decision (`allow`, `non_identity`, `bypass`, `deny`); `None` when none did.
    pub decision: Option<String>,
    /// Why the request was refused (`unknown_client_id`, `wrong_secret`, …); `None` if allowed.
    pub reason: Option<String>,
    /// The HTTP status the client got.
    pub status: u16,
    pub method: String,
    /// The person whose session authenticated, if one did (never with a service token).
    pub person: Option<RecordedPerson>,
}

/// Who a person's request came from: what the access log keeps to show them (`user_email`,
/// `connection`) and to replay their request as them (their stored identity is found by e-mail
/// address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPerson {
    /// In lowercase.
    pub email: String,
    /// The identity provider of the person's login.
    pub idp_id: Option<IdpId>,
    /// Its type (`oidc`, `onetimepin`, `github`, …): Cloudflare's `connection`.
    pub idp_type: Option<String>,
}

/// How a text field is compared: equal, not equal, or containing the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    Eq(String),
    Neq(String),
    Contains(String),
}

impl TextMatch {
    /// The value, and the operator's name as the stores bind it (`eq`, `neq`, `contains`).
    pub fn parts(&self) -> (&str, &'static str) {
        match self {
            TextMatch::Eq(value) => (value, "eq"),
            TextMatch::Neq(value) => (value, "neq"),
            TextMatch::Contains(value) => (value, "contains"),
        }
    }
}

/// Newest first (the default) or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Desc,
    Asc,
}

/// A value a field must (`Eq`) or must not (`Neq`) have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match<T> {
    Eq(T),
    Neq(T),
}

impl<T> Match<T> {
    /// The value, and whether the comparison is negated.
    pub fn parts(&self) -> (&T, bool) {
        match self {
            Match::Eq(value) => (value, false),
            Match::Neq(value) => (value, true),
        }
    }
}

/// Filters and order of an account's access log. Ties on `created_at` keep insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogQuery {
    /// Records at or after this time.
    pub since: Option<Timestamp>,
    /// Records at or before this time.
    pub until: Option<Timestamp>,
    pub direction: Direction,
    pub allowed: Option<bool>,
    pub is_service_token: Option<bool>,
    pub app_uid: Option<Match<AppId>>,
    pub ray_id: Option<Match<String>>,
    pub service_token_id: Option<TokenId>,
    pub client_id: Option<String>,
    /// The recorded `user_email` (`""` for records without a person), compared in lowercase.
    pub user_email: Option<TextMatch>,
    pub page: PageRequest,
}

impl Default for AccessLogQuery {
    fn default() -> Self {
        AccessLogQuery {
            since: None,
            until: None,
            direction: Direction::Desc,
            allowed: None,
            is_service_token: None,
            app_uid: None,
            ray_id: None,
            service_token_id: None,
            client_id: None,
            user_email: None,
            page: PageRequest { offset: 0, limit: 25 },
        }
    }
}

/// What [`AccessLogStore::access_activity`] counts: an account's records at or after `since`, in
/// buckets of `bucket_secs` seconds counted from `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityQuery {
    pub since: Timestamp,
    /// At least 1.
    pub bucket_secs: i64,
    /// Only the records that presented these client ids (authenticated or not: a wrong secret
    /// counts as a denial of that client id), counted per client id; `None`: every record, not
    /// split.
    pub client_ids: Option<Vec<String>>,
    /// Split the denials by their reason (else `reason` is always `None`).
    pub by_reason: bool,
}

/// How many records fell in one bucket with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    /// The client id, when the query named client ids.
    pub client_id: Option<String>,
    /// The bucket's number, from 0 at `since`.
    pub bucket: i64,
    pub allowed: bool,
    pub reason: Option<String>,
    pub count: u64,
}

#[async_trait]
pub trait AccessLogStore: Send + Sync {
    /// Appends the records, all or none.
    async fn insert_access_logs(&self, records: &[AccessLogRecord]) -> Result<(), StoreError>;
    /// One page of the account's records matching `query`, and how many match in all.
    async fn list_access_logs(
        &self,
        account: &AccountId,
        query: &AccessLogQuery,
    ) -> Result<Page<AccessLogRecord>, StoreError>;
    /// Counts of the account's records by bucket, outcome (and token, and reason) for charts,
    /// in no particular order; empty buckets are absent.
    async fn access_activity(
        &self,
        account: &AccountId,
        query: &ActivityQuery,
    ) -> Result<Vec<ActivityCount>, StoreError>;
    /// Hands `each` the account's records of `app` created at or after `since`, newest first, at
    /// most `limit` of them; returns how many it handed. For replaying recorded requests (what-if)
    /// over up to millions of records: a backend should read them in keyset-ordered batches,
    /// without counting, and never hold them all. This default pages through
    /// [`Self::list_access_logs`], which counts every page.
    async fn replay_access_logs(
        &self,
        account: &AccountId,
        app: &AppId,
        since: Timestamp,
        limit: u64,
        each: &mut (dyn FnMut(AccessLogRecord) + Send),
    ) -> Result<u64, StoreError> {
        let mut query = AccessLogQuery {
            since: Some(since),
            app_uid: Some(Match::Eq(*app)),
            ..AccessLogQuery::default()
        };
        let mut handed = 0;
        while handed < limit {
            query.page = PageRequest { offset: handed, limit: (limit - handed).min(REPLAY_BATCH) };
            let page = self.list_access_logs(account, &query).await?;
            if page.items.is_empty() {
                break;
            }
            for record in page.items {
                handed += 1;
                each(record);
            }
        }
        Ok(handed)
    }
    /// Deletes every record (of every account) created before `older_than`; returns how many.
    async fn prune_access_logs(&self, older_than: Timestamp) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::insert_chunks;

    fn sizes(n: usize, max: usize) -> Vec<usize> {
        let records: Vec<usize> = (0..n).collect();
        let chunks: Vec<&[usize]> = insert_chunks(&records, max).collect();
        // Every record once, in order.
        assert_eq!(chunks.concat(), records);
        chunks.iter().map(|c| c.len()).collect()
    }

    #[test]
    fn full_statements_first_then_powers_of_two() {
        assert_eq!(sizes(0, 500), Vec::<usize>::new());
        assert_eq!(sizes(1, 500), [1]);
        assert_eq!(sizes(500, 500), [500]);
        assert_eq!(sizes(1_234, 500), [500, 500, 128, 64, 32, 8, 2]);
        assert_eq!(sizes(3, 0), [1, 1, 1], "a zero maximum is one row per statement");
    }

    #[test]
    fn every_batch_size_up_to_two_thousand_uses_at_most_ten_statement_shapes() {
        let mut shapes = std::collections::BTreeSet::new();
        for n in 0..2_000 {
            shapes.extend(sizes(n, 500));
        }
        assert_eq!(shapes.into_iter().collect::<Vec<_>>(), [1, 2, 4, 8, 16, 32, 64, 128, 256, 500]);
    }
}
