//! Routing: `normalize_path`, `DomainPattern::parse` and `RouteTable::lookup`. The input is text:
//! each line is an application `domain` pattern, except lines `> <host> <path>`, which are
//! requests; every line is also normalized as a request path.
//! Checks: never panics; a normalized path starts with `/`, has no empty, `.` or `..` segment,
//! no `?`, `#`, `\` or NUL, and normalizes to itself; the table finds an application exactly
//! when one of the patterns, alone in a table, matches, and what it picks matches alone; the
//! host's case, a trailing dot and a port change nothing.
#![no_main]

use gatehouse_domain::access::{DomainPattern, RouteTable, normalize_path};
use libfuzzer_sys::fuzz_target;

const MAX_PATTERNS: usize = 16;
const MAX_REQUESTS: usize = 16;

fn check_normalized(raw: &str) -> Option<String> {
    let normalized = normalize_path(raw)?;
    assert!(normalized.starts_with('/'), "{raw:?} -> {normalized:?}");
    assert!(!normalized.contains("//"), "{raw:?} -> {normalized:?}");
    assert!(!normalized.contains(['?', '#', '\\', '\0']), "{raw:?} -> {normalized:?}");
    let inner = normalized.strip_suffix('/').unwrap_or(&normalized);
    for segment in inner.split('/').skip(1) {
        assert!(!matches!(segment, "" | "." | ".."), "{raw:?} -> {normalized:?}");
    }
    assert_eq!(
        normalize_path(&normalized).as_deref(),
        Some(normalized.as_str()),
        "not idempotent for {raw:?}"
    );
    Some(normalized)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut patterns = Vec::new();
    let mut requests = Vec::new();
    for line in text.lines() {
        let _ = check_normalized(line);
        if let Some(request) = line.strip_prefix("> ") {
            let (host, path) = request.split_once(' ').unwrap_or((request, "/"));
            if requests.len() < MAX_REQUESTS {
                requests.push((host.to_owned(), path.to_owned()));
            }
        } else if let Ok(pattern) = DomainPattern::parse(line) {
            assert_eq!(pattern.as_str(), line);
            if patterns.len() < MAX_PATTERNS {
                patterns.push(pattern);
            }
            if requests.len() < MAX_REQUESTS {
                // The pattern's own text as a request: wildcards as a literal label.
                let (host, path) = line.split_at(line.find('/').unwrap_or(line.len()));
                let path = if path.is_empty() { "/" } else { path };
                requests.push((host.replace('*', "x"), path.replace('*', "x")));
            }
        }
    }

    let mut table = RouteTable::new();
    for (index, pattern) in patterns.iter().enumerate() {
        table.insert(pattern.clone(), index);
    }
    assert_eq!(table.len(), patterns.len());
    let alone: Vec<RouteTable<usize>> = patterns
        .iter()
        .map(|pattern| {
            let mut one = RouteTable::new();
            one.insert(pattern.clone(), 0);
            one
        })
        .collect();

    for (host, raw_path) in &requests {
        let Some(path) = check_normalized(raw_path) else { continue };
        let found = table.lookup(host, &path).copied();
        let matching: Vec<usize> = alone
            .iter()
            .enumerate()
            .filter(|(_, one)| one.lookup(host, &path).is_some())
            .map(|(i, _)| i)
            .collect();
        match found {
            Some(index) => {
                assert!(matching.contains(&index), "{host} {path}: picked {index}, matching {matching:?}")
            }
            None => assert!(matching.is_empty(), "{host} {path}: nothing picked, matching {matching:?}"),
        }
        if !host.contains(':') && !host.ends_with('.') {
            for variant in [host.to_ascii_uppercase(), format!("{host}."), format!("{host}:8443")] {
                assert_eq!(table.lookup(&variant, &path).copied(), found, "{variant} {path}");
            }
        }
    }
});
