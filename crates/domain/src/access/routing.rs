//! Which application handles a request (spec §5.1): the request's host and normalized path
//! against every application's `domain` and destinations.
//!
//! Matching, following Cloudflare:
//! - host: compared case-insensitively, label by label; a `*` matches within one label, so
//!   `*.example.com` matches `a.example.com` but neither `example.com` nor `a.b.example.com`,
//!   and `*test.example.com` matches `test.example.com` and `alphatest.example.com`. The request's
//!   port and trailing dot are ignored. IPv6 literal hosts (`[::1]`) never match.
//! - path: none, `/` or `/*` covers everything; `/alpha/*` covers what is below `/alpha/` but not
//!   `/alpha` itself; `/alpha` (no trailing `/*`) covers `/alpha` and everything below it
//!   (`/alpha/…`, not `/alphabet`) — Cloudflare's "no inheritance from a less specific app"
//!   then makes `/alpha` the owner of its subtree unless a more specific app claims part of it.
//!   A `*` inside the path may span segments (`/foo*/bar` matches `/food/x/bar`). Paths compare
//!   case-insensitively after [`normalize_path`]; query strings are ignored.
//!
//! When several applications match, the most specific wins, by these criteria in order:
//! 1. more literal (non-`*`) characters in the path (no path counts as `/`);
//! 2. fewer `*` in the path;
//! 3. an exact host before a wildcard host;
//! 4. more literal characters in the host;
//! 5. ties: the pattern text in byte order, then the earlier inserted.

mod path;
mod pattern;

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

pub use path::normalize_path;
pub use pattern::DomainPattern;
use pattern::MAX_HOST_LEN;

/// Application patterns and what each routes to (an application id, a compiled app…).
#[derive(Debug, Clone)]
pub struct RouteTable<T> {
    /// In insertion order; positions are stable and break the last ties.
    entries: Vec<(DomainPattern, T)>,
    /// Literal host suffix (see `DomainPattern::index_key`) → positions, most specific first.
    /// Up to three lookups per request: a fast hash (its keys are the operator's patterns; a
    /// client's host only picks which bucket to probe, it cannot add collisions).
    buckets: HashMap<Box<str>, Vec<usize>, FxBuildHasher>,
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        RouteTable { entries: Vec::new(), buckets: HashMap::default() }
    }
}

impl<T> RouteTable<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn insert(&mut self, pattern: DomainPattern, value: T) {
        let position = self.entries.len();
        let key = pattern.index_key().into_boxed_str();
        self.entries.push((pattern, value));
        let bucket = self.buckets.entry(key).or_default();
        let entries = &self.entries;
        let at = bucket.partition_point(|&other| order(entries, other, position).is_lt());
        bucket.insert(at, position);
    }

    /// The most specific application for `host` (as sent: any case, maybe a port or a trailing
    /// dot) and `path` (the output of [`normalize_path`]). Allocates nothing.
    pub fn lookup(&self, host: &str, path: &str) -> Option<&T> {
        let mut buffer = [0u8; MAX_HOST_LEN];
        let host = canonical_host(host, &mut buffer)?;
        let mut best: Option<usize> = None;
        for key in suffixes(host) {
            let Some(bucket) = self.buckets.get(key) else { continue };
            for &candidate in bucket {
                if best.is_some_and(|b| order(&self.entries, b, candidate).is_lt()) {
                    break;
                }
                if self.entries.get(candidate).is_some_and(|(p, _)| p.matches(host, path)) {
                    best = Some(candidate);
                    break;
                }
            }
        }
        best.and_then(|i| self.entries.get(i)).map(|(_, value)| value)
    }

    /// The first value, in no particular order, with a pattern whose host matches `host` (as
    /// for [`RouteTable::lookup`]) whatever its path, for which `wanted` holds. Allocates
    /// nothing.
    pub fn find_on_host(&self, host: &str, mut wanted: impl FnMut(&T) -> bool) -> Option<&T> {
        let mut buffer = [0u8; MAX_HOST_LEN];
        let host = canonical_host(host, &mut buffer)?;
        suffixes(host)
            .filter_map(|key| self.buckets.get(key))
            .flatten()
            .filter_map(|&candidate| self.entries.get(candidate))
            .find(|(pattern, value)| pattern.host_matches(host) && wanted(value))
            .map(|(_, value)| value)
    }
}

/// Most specific first; then the pattern text; then the position.
fn order<T>(entries: &[(DomainPattern, T)], a: usize, b: usize) -> std::cmp::Ordering {
    match (entries.get(a), entries.get(b)) {
        (Some((pa, _)), Some((pb, _))) => {
            pa.specificity().cmp(&pb.specificity()).then_with(|| pa.as_str().cmp(pb.as_str())).then(a.cmp(&b))
        }
        _ => a.cmp(&b),
    }
}

/// The host lowercased into `buffer`, without port or trailing dot; `None` when it cannot match
/// any pattern (empty, too long, empty label, IPv6 literal, unexpected characters).
fn canonical_host<'b>(host: &str, buffer: &'b mut [u8; MAX_HOST_LEN]) -> Option<&'b str> {
    let host = host.split_once(':').map_or(host, |(name, _port)| name);
    let host = host.strip_suffix('.').unwrap_or(host);
    let bytes = host.as_bytes();
    if bytes.is_empty() || host.starts_with('.') || host.contains("..") {
        return None;
    }
    let out = buffer.get_mut(..bytes.len())?;
    for (slot, &byte) in out.iter_mut().zip(bytes) {
        if !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.')) {
            return None;
        }
        *slot = byte.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

/// `a.b.c`, `b.c`, `c`, then the empty suffix.
fn suffixes(host: &str) -> impl Iterator<Item = &str> {
    let dots = host.match_indices('.').map(|(i, _)| i + 1);
    std::iter::once(0).chain(dots).map(|i| host.get(i..).unwrap_or_default()).chain([""])
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
