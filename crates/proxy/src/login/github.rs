//! GitHub's OAuth web flow, as Cloudflare Access uses it for a `github` identity provider:
//! [`start`] sends the browser to `<base>/login/oauth/authorize` (the app's `client_id`, the
//! auth domain's callback, a fresh `state`, the scopes `read:user user:email read:org`, and a
//! PKCE S256 challenge, which GitHub checks and older Enterprise Servers ignore); [`finish`]
//! exchanges the code at `<base>/login/oauth/access_token` and asks GitHub's REST API who the
//! person is: `GET /user`, `GET /user/emails` (the primary address, which must be verified),
//! `GET /user/orgs` and `GET /user/teams`. The access token is used for these requests only:
//! it is neither stored nor logged, and no error message carries it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_domain::access::{GithubIdentity, GithubTeam, Identity, normalize_email};
use gatehouse_domain::{Secret, Timestamp};
use reqwest::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::idp::{Github, Idp};
use super::oidc::Started;
use super::random_token;

/// What gatehouse asks GitHub for: the profile, the e-mail addresses, the memberships.
pub(crate) const SCOPES: &str = "read:user user:email read:org";
/// Items per page of GitHub's lists (its maximum).
const PER_PAGE: usize = 100;
/// Pages read of a list at most (so 1000 organizations or teams).
const MAX_PAGES: usize = 10;
/// The REST API version gatehouse speaks.
const API_VERSION: &str = "2022-11-28";

/// Who GitHub says the person is.
#[derive(Debug)]
pub(crate) struct Person {
    /// The primary, verified address (not yet normalized).
    pub email: String,
    /// The profile's name, or the login when it has none.
    pub name: String,
    pub github: GithubIdentity,
}

pub(crate) fn start(github: &Github, redirect_uri: &str) -> Result<Started, String> {
    let (state, verifier) = (random_token(), random_token());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = reqwest::Url::parse(&format!("{}/login/oauth/authorize", github.base_url))
        .map_err(|e| format!("base_url: {e}"))?;
    url.query_pairs_mut()
        .append_pair("client_id", &github.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPES)
        .append_pair("state", &state)
        .append_pair("allow_signup", "false")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(Started { url: url.to_string(), state, nonce: String::new(), verifier })
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    /// GitHub answers a refused code with 200 and `error` (`bad_verification_code`, …).
    error: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
    id: u64,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

#[derive(Deserialize)]
struct Org {
    login: String,
}

#[derive(Deserialize)]
struct Team {
    slug: String,
    #[serde(default)]
    name: String,
    organization: Org,
}

pub(crate) async fn finish(
    http: &reqwest::Client,
    github: &Github,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> Result<Person, String> {
    let form = [
        ("client_id", github.client_id.as_str()),
        ("client_secret", github.client_secret.expose()),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let response = http
        .post(format!("{}/login/oauth/access_token", github.base_url))
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, user_agent())
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("the token request failed: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the token request was refused ({status})"));
    }
    let tokens: TokenResponse =
        response.json().await.map_err(|e| format!("the token response: {}", e.without_url()))?;
    if let Some(error) = tokens.error {
        let error: String = error.chars().filter(char::is_ascii_graphic).take(64).collect();
        return Err(format!("GitHub refused the code ({error})"));
    }
    let token =
        Secret::new(tokens.access_token.filter(|t| !t.is_empty()).ok_or("GitHub sent no access token")?);

    let user: User = get(http, github, &token, "/user").await?;
    let emails: Vec<Email> = get(http, github, &token, "/user/emails").await?;
    let email = emails.into_iter().find(|e| e.primary).ok_or("GitHub lists no primary e-mail address")?;
    if !email.verified {
        return Err("the primary e-mail address is not verified on GitHub".to_owned());
    }
    let orgs: Vec<Org> = list(http, github, &token, "/user/orgs").await?;
    let teams: Vec<Team> = list(http, github, &token, "/user/teams").await?;
    let name = user.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| user.login.clone());
    Ok(Person {
        email: email.email,
        name,
        github: GithubIdentity {
            login: user.login,
            id: user.id,
            orgs: orgs.into_iter().map(|o| o.login).collect(),
            teams: teams
                .into_iter()
                .map(|t| GithubTeam { org: t.organization.login, slug: t.slug, name: t.name })
                .collect(),
        },
    })
}

/// The address (normalized) and identity of the `person` GitHub named for a login through
/// `idp`: the organizations and teams GitHub lists for them now are what `github-organization`
/// rules compare until their next login.
pub(crate) fn person(idp: &Idp, person: Person, now: Timestamp) -> Result<(String, Identity), &'static str> {
    let email = Some(normalize_email(&person.email))
        .filter(|e| e.contains('@'))
        .ok_or("GitHub's primary address is not an e-mail address")?;
    let identity = Identity {
        identity_nonce: super::random_token(),
        name: person.name,
        idp_id: idp.id.to_string(),
        idp_type: idp.kind.clone(),
        groups: person.github.groups(),
        oidc_fields: serde_json::Map::new(),
        amr: Vec::new(),
        github: Some(person.github),
        iat: now,
    };
    Ok((email, identity))
}

/// `GET <api_url><path>` as the person.
async fn get<T: DeserializeOwned>(
    http: &reqwest::Client,
    github: &Github,
    token: &Secret,
    path: &str,
) -> Result<T, String> {
    let response = http
        .get(format!("{}{path}", github.api_url))
        .header(ACCEPT, "application/vnd.github+json")
        .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
        .header(USER_AGENT, user_agent())
        .header("x-github-api-version", API_VERSION)
        .send()
        .await
        .map_err(|e| format!("GET {path} failed: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {path} was refused ({status})"));
    }
    response.json().await.map_err(|e| format!("GET {path}: {}", e.without_url()))
}

/// Every page of the list at `path` (up to [`MAX_PAGES`]).
async fn list<T: DeserializeOwned>(
    http: &reqwest::Client,
    github: &Github,
    token: &Secret,
    path: &str,
) -> Result<Vec<T>, String> {
    let mut all = Vec::new();
    for page in 1..=MAX_PAGES {
        let items: Vec<T> =
            get(http, github, token, &format!("{path}?per_page={PER_PAGE}&page={page}")).await?;
        let last = items.len() < PER_PAGE;
        all.extend(items);
        if last {
            break;
        }
    }
    Ok(all)
}

fn user_agent() -> String {
    format!("gatehouse/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enterprise() -> Github {
        Github {
            client_id: "Iv1.abc".into(),
            client_secret: Secret::new("s".into()),
            base_url: "https://github.acme.test".into(),
            api_url: "https://github.acme.test/api/v3".into(),
        }
    }

    #[test]
    fn the_authorization_url_asks_for_the_profile_the_addresses_and_the_memberships() {
        let started = start(&enterprise(), "https://team.example/cdn-cgi/access/callback").unwrap();
        let url = reqwest::Url::parse(&started.url).unwrap();
        assert_eq!(url.origin().unicode_serialization(), "https://github.acme.test");
        assert_eq!(url.path(), "/login/oauth/authorize");
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["client_id"], "Iv1.abc");
        assert_eq!(query["redirect_uri"], "https://team.example/cdn-cgi/access/callback");
        assert_eq!(query["scope"], "read:user user:email read:org");
        assert_eq!(query["state"], started.state);
        assert_eq!(
            query["code_challenge"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(started.verifier.as_bytes()))
        );
        assert_ne!(started.state, start(&enterprise(), "x:").unwrap().state, "fresh each time");
    }
}
