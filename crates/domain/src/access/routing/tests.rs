use super::*;

fn table(domains: &[&'static str]) -> RouteTable<&'static str> {
    let mut table = RouteTable::new();
    for domain in domains {
        table.insert(DomainPattern::parse(domain).unwrap(), *domain);
    }
    table
}

/// Routes like the gateway: normalize, then look up.
#[track_caller]
fn route(table: &RouteTable<&'static str>, host: &str, raw_path: &str) -> Option<&'static str> {
    let path = normalize_path(raw_path).unwrap_or_else(|| panic!("{raw_path} refused"));
    table.lookup(host, &path).copied()
}

#[test]
fn normalize_resolves_the_usual_tricks() {
    for trick in [
        "/admin",
        "/ADMIN",
        "/admin/../admin",
        "/%61dmin",
        "/%2e/admin",
        "//admin",
        "/x/../admin",
        "/x/%2e%2e/admin",
        "/./admin",
        "/../../admin",
        "/public/..;/admin",
        "/admin;jsessionid=1",
        "/admin?x=/public",
        "/admin#frag",
    ] {
        assert_eq!(normalize_path(trick).as_deref(), Some("/admin"), "{trick}");
    }
}

#[test]
fn normalize_keeps_a_trailing_slash_and_the_root() {
    assert_eq!(normalize_path("/").as_deref(), Some("/"));
    assert_eq!(normalize_path("/..").as_deref(), Some("/"));
    assert_eq!(normalize_path("/a/b/..").as_deref(), Some("/a/"));
    assert_eq!(normalize_path("/a//").as_deref(), Some("/a/"));
    assert_eq!(normalize_path("/a/.").as_deref(), Some("/a/"));
}

#[test]
fn normalize_refuses_what_could_hide_a_path() {
    for bad in [
        "/a%2fadmin",
        "/a%2Fadmin",
        "/%zz",
        "/%4",
        "/a%",
        "/a\\..\\admin",
        "/a%5c..%5cadmin",
        "/a%00",
        "/%ff",
        "admin",
        "",
        "*",
    ] {
        assert_eq!(normalize_path(bad), None, "{bad}");
    }
}

#[test]
fn normalize_escapes_what_it_decoded_so_it_is_idempotent() {
    assert_eq!(normalize_path("/a%2541").as_deref(), Some("/a%2541"));
    assert_eq!(normalize_path("/a%3Fb").as_deref(), Some("/a%3fb"));
    assert_eq!(normalize_path("/%C3%84").as_deref(), Some("/ä"));
}

#[test]
fn path_tricks_cannot_escape_a_more_specific_app() {
    let apps = table(&["example.com", "example.com/admin"]);
    for trick in ["/admin", "/ADMIN", "/admin/../admin", "/%61dmin", "//admin", "/x/../admin"] {
        assert_eq!(route(&apps, "example.com", trick), Some("example.com/admin"), "{trick}");
    }
    assert_eq!(route(&apps, "example.com", "/admin/../public"), Some("example.com"));
}

#[test]
fn wildcard_hosts_match_within_one_label() {
    let apps = table(&["*.example.com"]);
    assert_eq!(route(&apps, "a.example.com", "/"), Some("*.example.com"));
    assert_eq!(route(&apps, "example.com", "/"), None);
    assert_eq!(route(&apps, "a.b.example.com", "/"), None);

    let apps = table(&["*test.example.com"]);
    assert_eq!(route(&apps, "test.example.com", "/"), Some("*test.example.com"));
    assert_eq!(route(&apps, "alphatest.example.com", "/"), Some("*test.example.com"));
    assert_eq!(route(&apps, "testing.example.com", "/"), None);

    let apps = table(&["api.*.example.com"]);
    assert_eq!(route(&apps, "api.eu.example.com", "/"), Some("api.*.example.com"));
    assert_eq!(route(&apps, "web.eu.example.com", "/"), None);
}

#[test]
fn hosts_ignore_case_port_and_trailing_dot() {
    let apps = table(&["App.Example.com"]);
    for host in ["app.example.com", "APP.EXAMPLE.COM:8443", "app.example.com.", "app.example.com.:80"] {
        assert_eq!(route(&apps, host, "/"), Some("App.Example.com"), "{host}");
    }
    for host in ["", ".", "app..example.com", "[::1]:80", "app.example.com/x", "other.com"] {
        assert_eq!(route(&apps, host, "/"), None, "{host:?}");
    }
}

#[test]
fn paths_follow_cloudflare_coverage() {
    let apps = table(&["example.com/alpha/*"]);
    assert_eq!(route(&apps, "example.com", "/alpha/x"), Some("example.com/alpha/*"));
    assert_eq!(route(&apps, "example.com", "/alpha/"), Some("example.com/alpha/*"));
    assert_eq!(route(&apps, "example.com", "/alpha"), None);

    let apps = table(&["example.com/alpha"]);
    for path in ["/alpha", "/alpha/", "/alpha/x/y", "/Alpha?q=1"] {
        assert_eq!(route(&apps, "example.com", path), Some("example.com/alpha"), "{path}");
    }
    assert_eq!(route(&apps, "example.com", "/alphabet"), None);
    assert_eq!(route(&apps, "example.com", "/"), None);

    for everything in ["example.com", "example.com/", "example.com/*"] {
        let apps = table(&[everything]);
        assert_eq!(route(&apps, "example.com", "/"), Some(everything));
        assert_eq!(route(&apps, "example.com", "/any/thing"), Some(everything));
    }
}

#[test]
fn a_mid_path_wildcard_may_span_segments() {
    let apps = table(&["example.com/foo*/bar"]);
    for path in ["/foo/bar", "/food/bar", "/food/x/bar", "/foo/bar/baz"] {
        assert_eq!(route(&apps, "example.com", path), Some("example.com/foo*/bar"), "{path}");
    }
    assert_eq!(route(&apps, "example.com", "/fo/bar"), None);
    assert_eq!(route(&apps, "example.com", "/food/barn"), None);
}

#[test]
fn the_most_specific_app_wins() {
    let domains = ["*.example.com/admin", "api.example.com", "*.example.com", "api.example.com/admin/*"];
    let forward = table(&domains);
    let mut reversed = domains;
    reversed.reverse();
    let backward = table(&reversed);
    for apps in [&forward, &backward] {
        // A longer path beats an exact host.
        assert_eq!(route(apps, "api.example.com", "/admin"), Some("*.example.com/admin"));
        assert_eq!(route(apps, "api.example.com", "/admin/x"), Some("api.example.com/admin/*"));
        assert_eq!(route(apps, "www.example.com", "/admin/x"), Some("*.example.com/admin"));
        // Same path: the exact host beats the wildcard.
        assert_eq!(route(apps, "api.example.com", "/"), Some("api.example.com"));
        assert_eq!(route(apps, "www.example.com", "/"), Some("*.example.com"));
    }
}

#[test]
fn literal_paths_beat_wildcard_paths_and_ties_are_deterministic() {
    let apps = table(&["example.com/a*", "example.com/a"]);
    assert_eq!(route(&apps, "example.com", "/a"), Some("example.com/a"));
    assert_eq!(route(&apps, "example.com", "/ab"), Some("example.com/a*"));

    // Equally specific: the pattern text decides, whatever the insertion order.
    let one = table(&["x*.example.com", "*x.example.com"]);
    let other = table(&["*x.example.com", "x*.example.com"]);
    assert_eq!(route(&one, "xx.example.com", "/"), Some("*x.example.com"));
    assert_eq!(route(&other, "xx.example.com", "/"), Some("*x.example.com"));

    // The same pattern twice: the first inserted wins.
    let mut apps = RouteTable::new();
    apps.insert(DomainPattern::parse("example.com").unwrap(), 1);
    apps.insert(DomainPattern::parse("example.com").unwrap(), 2);
    assert_eq!(apps.lookup("example.com", "/"), Some(&1));
    assert_eq!(apps.len(), 2);
}

#[test]
fn refuses_malformed_domains() {
    for bad in [
        "",
        "/admin",
        "**.example.com",
        "a*b*.example.com",
        "example..com",
        "example.com:8080",
        "https://example.com",
        "exa mple.com",
        "example.com/a**",
        "example.com/a%2fb",
        "example.com/a?b",
    ] {
        assert!(DomainPattern::parse(bad).is_err(), "{bad:?} accepted");
    }
    let pattern = DomainPattern::parse("Example.com./Admin/*").unwrap();
    assert_eq!(pattern.as_str(), "Example.com./Admin/*");
}

#[test]
fn the_ip_v4_host_of_a_pattern_routes() {
    let apps = table(&["127.0.0.1/api"]);
    assert_eq!(route(&apps, "127.0.0.1:8080", "/api/v1"), Some("127.0.0.1/api"));
}

#[test]
fn find_on_host_sees_every_application_of_a_host_whatever_its_path() {
    let table = table(&["example.com/admin", "example.com/reports/*", "*.example.com", "other.com"]);
    let on = |host: &str, wanted: &str| table.find_on_host(host, |domain| *domain == wanted).copied();
    for domain in ["example.com/admin", "example.com/reports/*"] {
        assert_eq!(on("Example.COM:8443", domain), Some(domain), "{domain}");
    }
    assert_eq!(on("a.example.com", "*.example.com"), Some("*.example.com"));
    assert_eq!(on("example.com", "*.example.com"), None, "a wildcard label needs a label");
    assert_eq!(on("example.com", "other.com"), None, "another host's application");
    assert_eq!(on("a.b.example.com", "example.com/admin"), None);
    assert_eq!(on("[::1]", "example.com/admin"), None);
    assert_eq!(table.find_on_host("example.com", |_| false), None, "only what is wanted");
}
