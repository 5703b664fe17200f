//! Parts of Cloudflare's API that the official SDKs can call but gatehouse does not serve. A
//! request for one gets a 404 in the v4 envelope (code 12180) that names what is missing and why,
//! instead of a bare "no route": the SDKs raise their `NotFoundError` with that message. The list
//! is the one in `docs/api.md`, "Not supported".

use axum::http::Method;

use crate::error::{ApiError, ErrorCode};

/// One unsupported path family: its segments below `/client/v4` (`*` matches one segment, a
/// trailing `**` any number, none included), what it is, and why gatehouse does not serve it.
struct Unsupported {
    pattern: &'static [&'static str],
    what: &'static str,
    why: &'static str,
}

const NO_USERS: &str = "gatehouse lists people (GET …/access/users) and ends their sessions \
     (POST …/access/organizations/revoke_user) only; people log in through OIDC identity providers \
     (see docs/identity.md)";

const TABLE: &[Unsupported] = &[
    Unsupported {
        pattern: &["accounts", "*", "access", "apps", "ca"],
        what: "short-lived certificates (zero_trust.access.applications.cas)",
        why: "gatehouse issues no SSH certificates",
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "apps", "*", "ca"],
        what: "short-lived certificates (zero_trust.access.applications.cas)",
        why: "gatehouse issues no SSH certificates",
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "apps", "*", "settings"],
        what: "application settings (zero_trust.access.applications.settings)",
        why: "allow_iframe and skip_interstitial concern browsers; send them in the application itself (PUT …/access/apps/{app_id}), where they are stored",
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "apps", "*", "user_policy_checks"],
        what: "user policy checks (zero_trust.access.applications.user_policy_checks)",
        why: NO_USERS,
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "policy-tests", "**"],
        what: "the policy tester (zero_trust.access.applications.policy_tests)",
        why: "explain a person's request with POST …/access/apps/{app_id}/explain and an 'email'",
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "users", "*", "**"],
        what: "one Access user, its sessions and logins (zero_trust.access.users.get, update, delete, active_sessions, failed_logins, last_seen_identity)",
        why: NO_USERS,
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "bookmarks", "**"],
        what: "bookmark applications (zero_trust.access.bookmarks, deprecated by Cloudflare)",
        why: "create an application of type \"bookmark\" instead (POST …/access/apps)",
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "logs", "scim", "**"],
        what: "SCIM provisioning logs (zero_trust.access.logs.scim)",
        why: "gatehouse does not provision people through SCIM",
    },
    Unsupported {
        pattern: &["accounts", "*", "access", "organizations", "doh"],
        what: "DNS-over-HTTPS settings (zero_trust.organizations.doh)",
        why: "gatehouse is not a DNS resolver",
    },
    Unsupported {
        pattern: &["zones", "**"],
        what: "zone-scoped paths (zone_id= in the SDKs)",
        why: "gatehouse has accounts only: pass account_id",
    },
    Unsupported {
        pattern: &["user", "tokens", "**"],
        what: "managing API tokens through the API (user.tokens; only user.tokens.verify is served)",
        why: "mint and revoke them with `gatehouse admin api-token`",
    },
];

/// The clear answer for an unsupported path, or `None` for a path that is simply unknown.
/// `/user/tokens/verify` is served, so it never reaches here with a method the route has.
pub fn answer(path: &str) -> Option<ApiError> {
    let rest = path.strip_prefix("/client/v4/")?;
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let entry = TABLE.iter().find(|entry| matches(entry.pattern, &segments))?;
    Some(ApiError::new(
        ErrorCode::NotSupported,
        format!(
            "access.api.error.not_supported: gatehouse does not serve {} ({}); see docs/api.md, \"Not supported\"",
            entry.what, entry.why
        ),
    ))
}

/// The clear answer for a method a served path does not have, when gatehouse knows why.
pub fn answer_method(method: &Method, path: &str) -> Option<ApiError> {
    let rest = path.strip_prefix("/client/v4/")?;
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    if method == Method::POST && matches(&["accounts", "*", "access", "organizations"], &segments) {
        return Some(ApiError::new(
            ErrorCode::MethodNotAllowed,
            "Method not allowed: gatehouse creates the Access organization with the account \
             (zero_trust.organizations.create is not supported); change it with PUT or PATCH \
             (zero_trust.organizations.update)",
        ));
    }
    if method == Method::POST && matches(&["accounts", "*", "access", "users"], &segments) {
        return Some(ApiError::new(
            ErrorCode::MethodNotAllowed,
            "Method not allowed: a person is known once they log in or their sessions are revoked \
             (zero_trust.access.users.create is not supported); list people with GET \
             (zero_trust.access.users.list)",
        ));
    }
    None
}

fn matches(pattern: &[&str], segments: &[&str]) -> bool {
    match (pattern.first(), segments.first()) {
        (Some(&"**"), _) => true,
        (Some(&want), Some(&got)) => (want == "*" || want == got) && matches(&pattern[1..], &segments[1..]),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_is_not_supported() {
        let error = answer("/client/v4/accounts/abc/access/users/u1/active_sessions").unwrap();
        assert_eq!(error.code, ErrorCode::NotSupported);
        assert!(error.message.contains("zero_trust.access.users"), "{}", error.message);
        assert!(answer("/client/v4/accounts/abc/access/bookmarks").is_some());
        assert!(answer("/client/v4/accounts/abc/access/apps/x/ca").is_some());
        assert!(answer("/client/v4/accounts/abc/access/apps/ca").is_some());
        assert!(answer("/client/v4/zones/z/access/apps").is_some());
        assert!(answer("/client/v4/user/tokens").is_some());
    }

    #[test]
    fn leaves_unknown_paths_alone() {
        for path in [
            "/",
            "/client/v4/nope",
            "/client/v4/accounts/abc/access/unknown",
            "/client/v4/accounts/abc/access/apps/x/y",
        ] {
            assert!(answer(path).is_none(), "{path}");
        }
    }
}
