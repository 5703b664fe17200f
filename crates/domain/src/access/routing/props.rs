use proptest::prelude::*;

use super::*;

fn domains() -> impl Strategy<Value = Vec<String>> {
    let host = prop_oneof![
        Just("example.com"),
        Just("*.example.com"),
        Just("a*.example.com"),
        Just("api.example.com"),
        Just("*.*.com"),
    ];
    let path = prop_oneof![Just(""), Just("/*"), Just("/a"), Just("/a/*"), Just("/a*/b"), Just("/*/c")];
    prop::collection::vec((host, path).prop_map(|(h, p)| format!("{h}{p}")), 0..8)
}

proptest! {
    #[test]
    fn normalize_is_idempotent(raw in "/[a-zA-Z0-9%./;?#*\\x{c4}\\x{130}\\x{3a3}-]{0,40}") {
        if let Some(once) = normalize_path(&raw) {
            prop_assert_eq!(normalize_path(&once), Some(once.clone()));
            prop_assert!(once.starts_with('/'));
            prop_assert!(!once.contains("//"));
            prop_assert!(!once.split('/').any(|s| s == "." || s == ".."));
        }
    }

    #[test]
    fn normalize_is_idempotent_on_any_string(raw in any::<String>()) {
        if let Some(once) = normalize_path(&raw) {
            prop_assert_eq!(normalize_path(&once), Some(once.clone()));
        }
    }

    #[test]
    fn lookup_never_panics(domains in domains(), host in any::<String>(), path in any::<String>()) {
        let mut apps = RouteTable::new();
        for domain in &domains {
            apps.insert(DomainPattern::parse(domain).unwrap(), domain.clone());
        }
        let _ = apps.lookup(&host, &path);
        if let Some(path) = normalize_path(&path) {
            let _ = apps.lookup(&host, &path);
        }
    }

    #[test]
    fn pattern_parsing_never_panics(domain in any::<String>()) {
        let _ = DomainPattern::parse(&domain);
    }

    /// The indexed lookup agrees with a scan of every pattern in specificity order.
    #[test]
    fn lookup_agrees_with_a_full_scan(
        domains in domains(),
        host in "(a|ab|api|x)\\.(example|b)\\.com(:80)?",
        path in "/(a|b|c|ab)?(/(a|b|c))?/?",
    ) {
        let mut apps = RouteTable::new();
        for (i, domain) in domains.iter().enumerate() {
            apps.insert(DomainPattern::parse(domain).unwrap(), i);
        }
        let mut buffer = [0u8; MAX_HOST_LEN];
        let canonical = canonical_host(&host, &mut buffer).unwrap();
        let path = normalize_path(&path).unwrap();
        let expected = (0..apps.entries.len())
            .filter(|&i| apps.entries[i].0.matches(canonical, &path))
            .min_by(|&a, &b| order(&apps.entries, a, b));
        prop_assert_eq!(apps.lookup(&host, &path).copied(), expected);
    }
}
