//! An application's `domain` (`host[/path]`) as a pattern, and how specific it is.

use std::cmp::Reverse;

use super::path::normalize_path;

/// The longest host name DNS allows.
pub(super) const MAX_HOST_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// A parsed `domain` or destination URI: host labels with at most one `*` each, and an optional
/// path with at most one `*` per segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPattern {
    raw: String,
    /// Lowercase labels, left to right.
    labels: Vec<Box<str>>,
    /// Matches the path exactly (`None` when the pattern ends in `/*`).
    exact: Option<Box<str>>,
    /// Matches the path and everything below it: always ends in `*`.
    subtree: Box<str>,
    specificity: Specificity,
}

/// Sorts the most specific pattern first. Field order is the precedence of the criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Specificity {
    /// Characters of the path that are not `*` (none or `/*` counts 1).
    path_literal: Reverse<usize>,
    /// Wildcards in the path.
    path_wildcards: usize,
    /// Exact hosts before wildcard hosts.
    host_wildcard: bool,
    /// Characters of the host that are not `*`.
    host_literal: Reverse<usize>,
}

impl DomainPattern {
    /// Parses `host[/path]`, e.g. `*.example.com`, `app.example.com/admin/*`.
    /// The host is compared case-insensitively and may end in a dot; it may not carry a scheme
    /// or a port. The path is normalized like a request path (see `normalize_path`).
    pub fn parse(domain: &str) -> Result<Self, String> {
        let (host, path) = match domain.find('/') {
            Some(slash) => domain.split_at(slash),
            None => (domain, "/*"),
        };
        let labels = parse_host(host)?;
        let (exact, subtree) = parse_path(path)?;
        let path = exact.as_deref().unwrap_or(&subtree);
        let path_wildcards = path.matches('*').count();
        let host_wildcards = labels.iter().map(|l| l.matches('*').count()).sum::<usize>();
        let specificity = Specificity {
            path_literal: Reverse(path.len() - path_wildcards),
            path_wildcards,
            host_wildcard: host_wildcards > 0,
            host_literal: Reverse(labels.iter().map(|l| l.len()).sum::<usize>() - host_wildcards),
        };
        Ok(DomainPattern { raw: domain.to_owned(), labels, exact, subtree, specificity })
    }

    /// The domain as configured.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub(super) fn specificity(&self) -> Specificity {
        self.specificity
    }

    /// The literal host suffix right of the last wildcard label (the whole host when there is
    /// none): every host this pattern matches ends with it, so the route table indexes by it.
    pub(super) fn index_key(&self) -> String {
        let wildcard = self.labels.iter().rposition(|l| l.contains('*'));
        let literal = wildcard.map_or(&self.labels[..], |i| self.labels.get(i + 1..).unwrap_or_default());
        literal.join(".")
    }

    /// `host`: lowercase, no port, no trailing dot, no empty label. `path`: normalized.
    pub(super) fn matches(&self, host: &str, path: &str) -> bool {
        self.host_matches(host) && self.path_matches(path)
    }

    /// `host`: lowercase, no port, no trailing dot, no empty label.
    pub(super) fn host_matches(&self, host: &str) -> bool {
        let mut request = host.split('.');
        let mut pattern = self.labels.iter();
        loop {
            match (pattern.next(), request.next()) {
                (Some(p), Some(r)) if label_matches(p, r) => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }

    fn path_matches(&self, path: &str) -> bool {
        let path = path.as_bytes();
        self.exact.as_deref().is_some_and(|e| glob(e.as_bytes(), path)) || glob(self.subtree.as_bytes(), path)
    }
}

fn parse_host(host: &str) -> Result<Vec<Box<str>>, String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err("the domain needs a host name".to_owned());
    }
    if host.len() > MAX_HOST_LEN {
        return Err("the host name is too long".to_owned());
    }
    if host.contains(':') {
        return Err("the domain must not contain a scheme or a port".to_owned());
    }
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*' | b'.')) {
        return Err("the host name may only contain letters, digits, '-', '_', '*' and '.'".into());
    }
    let labels: Vec<Box<str>> = host.split('.').map(|l| l.to_ascii_lowercase().into()).collect();
    for label in &labels {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return Err("each label of the host name must have 1 to 63 characters".to_owned());
        }
        if label.matches('*').count() > 1 {
            return Err("a host label may contain at most one '*'".to_owned());
        }
    }
    Ok(labels)
}

/// `(exact, subtree)`: a path without a trailing `/*` matches itself and everything below it;
/// with one, only what is below.
fn parse_path(path: &str) -> Result<(Option<Box<str>>, Box<str>), String> {
    if path.contains(['?', '#']) {
        return Err("the path must not contain a query string or fragment".to_owned());
    }
    let path =
        normalize_path(path).ok_or("the path has an invalid percent-escape, an encoded '/' or a '\\'")?;
    if path.split('/').any(|segment| segment.matches('*').count() > 1) {
        return Err("a path segment may contain at most one '*'".to_owned());
    }
    if path.ends_with("/*") {
        return Ok((None, path.into()));
    }
    let subtree = if path.ends_with('/') { format!("{path}*") } else { format!("{path}/*") };
    Ok((Some(path.into()), subtree.into()))
}

/// A host label with at most one `*`, which matches any run of characters within the label.
fn label_matches(pattern: &str, label: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == label,
        Some((prefix, suffix)) => {
            label.len() >= prefix.len() + suffix.len() && label.starts_with(prefix) && label.ends_with(suffix)
        }
    }
}

/// Glob matching where `*` matches any run of bytes, `/` included (a mid-path `*` may span
/// segments). Iterative with a single backtrack point: no allocation, O(pattern × text).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, start)) => {
                    p = star + 1;
                    t = start + 1;
                    backtrack = Some((star, start + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}
