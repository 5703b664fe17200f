//! People: the identity providers they log in with, the stable id of a person in an account,
//! and the stored [`User`] document: what the person's latest login established ([`Identity`],
//! kept server-side, not in the cookie) and when an administrator or the person ended their
//! sessions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::secret::Secret;
use crate::server_key::ServerKey;

/// An identity provider as stored. `config` never holds the client secret; that is in
/// `sealed_client_secret` (AES-256-GCM under the server key, base64).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_config: Option<Value>,
}

impl IdentityProvider {
    /// The client secret in clear, when one is stored and opens under the server key ring.
    pub fn client_secret(&self, key: &ServerKey) -> Option<Secret> {
        let sealed = BASE64.decode(self.sealed_client_secret.as_deref()?).ok()?;
        let opened = key.open(&sealed)?;
        String::from_utf8(opened.to_vec()).ok().map(Secret::new)
    }

    /// A string field of `config`.
    pub fn config_str(&self, field: &str) -> Option<&str> {
        self.config.get(field).and_then(Value::as_str)
    }
}

/// A person known to an account: someone who logged in, or whose sessions an administrator
/// revoked. Stored under the person's [`user_uuid`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// In lowercase ([`normalize_email`]).
    pub email: String,
    pub user_uuid: String,
    /// What the latest login established (`None` until the person logs in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// When the person's sessions were last revoked (`revoke_user`, logout). It decides only
    /// for sessions that carry no generation (issued before generations existed): those issued
    /// at or before this second are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<Timestamp>,
    /// How many times the person's sessions were revoked: each login seals the generation it
    /// read into its session, which is refused once it is behind (see
    /// [`User::revoke_sessions`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sessions_generation: u64,
}

fn is_zero(generation: &u64) -> bool {
    *generation == 0
}

impl Identity {
    /// Whether the claim `name` the provider sent (and the provider's `claims` kept) is `value`,
    /// or, for a list (such as `groups`), holds it. Strings compare exactly; numbers and booleans
    /// by their JSON text (`42`, `true`).
    pub fn claim_is(&self, name: &str, value: &str) -> bool {
        fn is(claim: &Value, value: &str) -> bool {
            match claim {
                Value::String(text) => text == value,
                Value::Number(number) => number.to_string() == value,
                Value::Bool(flag) => {
                    if *flag {
                        value == "true"
                    } else {
                        value == "false"
                    }
                }
                Value::Null | Value::Array(_) | Value::Object(_) => false,
            }
        }
        match self.oidc_fields.get(name) {
            Some(Value::Array(items)) => items.iter().any(|item| is(item, value)),
            Some(claim) => is(claim, value),
            None => false,
        }
    }
}

impl User {
    pub fn new(account: &AccountId, email: &str) -> Self {
        User {
            email: normalize_email(email),
            user_uuid: user_uuid(account, email),
            identity: None,
            sessions_revoked_at: None,
            sessions_generation: 0,
        }
    }

    /// Ends every session of the person issued so far, on every node.
    ///
    /// A revocation raises the person's generation rather than relying on `now` alone: each
    /// login reads the generation from the stored document in the same revision-checked
    /// read-modify-write that records its identity, so the store orders every login and every
    /// revocation of a person, and a session is alive exactly when no revocation was written
    /// after its login's. Timestamps cannot decide this: they come from each node's clock, in
    /// whole seconds, so a login in the second of a revocation is ambiguous, and with clocks
    /// skewed between nodes a session issued before a revocation could even look newer than it
    /// (kept alive) or one issued after it older (refused). A generation involves no clock, so
    /// every node that has read the document decides alike.
    pub fn revoke_sessions(&mut self, now: Timestamp) {
        self.sessions_revoked_at = Some(now);
        self.sessions_generation = self.sessions_generation.saturating_add(1);
    }
}

/// What a login established about a person, returned by `/cdn-cgi/access/get-identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The JWT's `identity_nonce` of the session this login issued.
    pub identity_nonce: String,
    #[serde(default)]
    pub name: String,
    pub idp_id: String,
    pub idp_type: String,
    /// The provider's `groups` claim, when it sent one.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The claims named in the provider's `config.claims`, as the provider sent them: what
    /// `oidc` rules compare.
    #[serde(default)]
    pub oidc_fields: Map<String, Value>,
    /// The ID token's `amr` (RFC 8176 authentication methods, such as `pwd`, `mfa`, `otp`):
    /// what `auth_method` rules compare. Empty when the provider sent none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// What GitHub said of the person, for a login through a `github` provider: what
    /// `github-organization` rules compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<GithubIdentity>,
    /// When the person logged in.
    pub iat: Timestamp,
}

/// A GitHub account and its memberships, as GitHub's API listed them at login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubIdentity {
    /// The account's login (user name).
    pub login: String,
    /// The account's numeric id (stable across renames).
    pub id: u64,
    /// The logins of the organizations the person is a member of.
    #[serde(default)]
    pub orgs: Vec<String>,
    /// The teams the person is a member of.
    #[serde(default)]
    pub teams: Vec<GithubTeam>,
}

/// One team of a GitHub organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubTeam {
    /// The organization's login.
    pub org: String,
    /// The team's slug (`platform-team`).
    pub slug: String,
    /// The team's display name (`Platform Team`).
    #[serde(default)]
    pub name: String,
}

impl GithubIdentity {
    /// Whether the person is a member of the organization `org` and, when `team` is given, of
    /// that team of it (by slug or by name). GitHub compares logins and slugs without regard
    /// to case, and so does this.
    pub fn is_member(&self, org: &str, team: Option<&str>) -> bool {
        let in_org = self.orgs.iter().any(|o| o.eq_ignore_ascii_case(org))
            || self.teams.iter().any(|t| t.org.eq_ignore_ascii_case(org));
        match team {
            None => in_org,
            Some(team) => self.teams.iter().any(|t| {
                t.org.eq_ignore_ascii_case(org)
                    && (t.slug.eq_ignore_ascii_case(team) || same_without_case(&t.name, team))
            }),
        }
    }

    /// The organizations and `org/team` slugs, as `get-identity` lists them in `groups`.
    pub fn groups(&self) -> Vec<String> {
        let teams = self.teams.iter().map(|t| format!("{}/{}", t.org, t.slug));
        self.orgs.iter().cloned().chain(teams).collect()
    }
}

/// Whether two texts are equal once lowercased (any script), without allocating: rules are
/// evaluated on every request.
fn same_without_case(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

/// An e-mail address as gatehouse compares it: trimmed, in lowercase.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The stable id of the person with `email` in `account` (a UUID, the JWT's `sub`): the same on
/// every node, after every restart and every rotation of keys, and different in each account.
/// Derived, not random, so that it needs no storage; it is not a secret.
pub fn user_uuid(account: &AccountId, email: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"gatehouse user v1\0");
    hash.update(account.as_str().as_bytes());
    hash.update(b"\0");
    hash.update(normalize_email(email).as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid().hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_stable_per_account_and_case_blind() {
        let account = AccountId::generate();
        let id = user_uuid(&account, "Alice@Example.com ");
        assert_eq!(id, user_uuid(&account, "alice@example.com"));
        assert_eq!(id.len(), 36);
        assert_ne!(id, user_uuid(&AccountId::generate(), "alice@example.com"));
        assert_ne!(id, user_uuid(&account, "bob@example.com"));
    }

    #[test]
    fn each_revocation_raises_the_generation_a_stored_document_keeps() {
        let account = AccountId::generate();
        let mut user = User::new(&account, "alice@example.com");
        let stored = serde_json::to_value(&user).unwrap();
        assert!(stored.get("sessions_generation").is_none(), "{stored}");
        user.revoke_sessions(Timestamp::from_unix(1_000));
        user.revoke_sessions(Timestamp::from_unix(1_000));
        assert_eq!(user.sessions_generation, 2, "two revocations in one second are two");
        assert_eq!(user.sessions_revoked_at, Some(Timestamp::from_unix(1_000)));
        let text = serde_json::to_string(&user).unwrap();
        assert_eq!(serde_json::from_str::<User>(&text).unwrap(), user);
        // A document written before generations existed reads as generation 0.
        let old = serde_json::json!({"email": "alice@example.com", "user_uuid": user.user_uuid,
            "sessions_revoked_at": "1970-01-01T00:16:40Z"});
        assert_eq!(serde_json::from_value::<User>(old).unwrap().sessions_generation, 0);
    }

    #[test]
    fn the_client_secret_opens_under_the_server_key_only() {
        let key = ServerKey::generate();
        let sealed = BASE64.encode(key.seal(b"s3cret"));
        let idp = IdentityProvider {
            name: "op".into(),
            kind: "oidc".into(),
            config: Map::new(),
            sealed_client_secret: Some(sealed),
            scim_config: None,
        };
        assert_eq!(idp.client_secret(&key).unwrap().expose(), "s3cret");
        assert!(idp.client_secret(&ServerKey::generate()).is_none());
    }

    #[test]
    fn claims_match_exactly_or_as_a_member_of_a_list() {
        let fields = serde_json::json!({"department": "eng", "groups": ["developers", "ops"],
            "level": 3, "admin": true, "profile": {"team": "x"}});
        let identity = Identity {
            identity_nonce: "n".into(),
            name: String::new(),
            idp_id: "i".into(),
            idp_type: "oidc".into(),
            groups: vec![],
            oidc_fields: fields.as_object().cloned().unwrap(),
            amr: vec![],
            github: None,
            iat: Timestamp::EPOCH,
        };
        assert!(identity.claim_is("department", "eng"));
        assert!(!identity.claim_is("department", "Eng"), "case matters");
        assert!(identity.claim_is("groups", "ops"));
        assert!(!identity.claim_is("groups", "developers,ops"));
        assert!(identity.claim_is("level", "3") && identity.claim_is("admin", "true"));
        assert!(!identity.claim_is("admin", "false"));
        assert!(!identity.claim_is("profile", "x"), "objects are not compared");
        assert!(!identity.claim_is("missing", ""));
    }

    fn octocat() -> GithubIdentity {
        let team = |org: &str, slug: &str, name: &str| GithubTeam {
            org: org.into(),
            slug: slug.into(),
            name: name.into(),
        };
        GithubIdentity {
            login: "octocat".into(),
            id: 583231,
            orgs: vec!["Acme-Corp".into()],
            teams: vec![team("Acme-Corp", "platform", "Platform"), team("Other", "ops-team", "Ops Team")],
        }
    }

    #[test]
    fn github_memberships_compare_orgs_and_teams_without_case() {
        let octocat = octocat();
        assert!(octocat.is_member("acme-corp", None));
        assert!(octocat.is_member("ACME-CORP", Some("Platform")));
        assert!(octocat.is_member("other", None), "a team's organization is a membership");
        assert!(octocat.is_member("other", Some("ops team")), "by the team's name");
        assert!(octocat.is_member("other", Some("OPS-TEAM")), "by its slug");
        assert!(!octocat.is_member("acme-corp", Some("ops-team")), "a team of another organization");
        assert!(!octocat.is_member("acme", None), "no prefix match");
        assert!(!octocat.is_member("acme-corp", Some("")));
        assert!(!GithubIdentity::default().is_member("acme-corp", None));
        assert_eq!(octocat.groups(), ["Acme-Corp", "Acme-Corp/platform", "Other/ops-team"]);
    }
}
