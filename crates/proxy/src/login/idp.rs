//! An identity provider as the login flow uses it: its config checked and its client secret
//! unsealed once, when the snapshot is built.

use gatehouse_domain::access::{IdentityProvider, IdpId};
use gatehouse_domain::{Secret, ServerKey};

/// Scopes asked for when the config names none.
const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// One identity provider, ready for logins.
pub(crate) struct Idp {
    pub id: IdpId,
    pub name: String,
    /// `oidc`, `onetimepin` or `github`.
    pub kind: String,
    pub protocol: Protocol,
}

/// How people log in with a provider.
pub(crate) enum Protocol {
    Oidc(Box<Oidc>),
    /// A code mailed by the gateway (`login::pin`); nothing to configure.
    OneTimePin,
    /// A GitHub (or GitHub Enterprise Server) OAuth app (`login::github`).
    Github(Box<Github>),
}

/// GitHub's web address for `/login/oauth/…` when the config names none.
pub(crate) const GITHUB_URL: &str = "https://github.com";
/// GitHub's REST API when the config names none.
pub(crate) const GITHUB_API_URL: &str = "https://api.github.com";

/// A GitHub OAuth app: where people authorize it and where its API is.
pub(crate) struct Github {
    pub client_id: String,
    pub client_secret: Secret,
    /// `https://github.com`, or a GitHub Enterprise Server's `https://HOST`; no trailing `/`.
    pub base_url: String,
    /// `https://api.github.com`, or `https://HOST/api/v3`; no trailing `/`.
    pub api_url: String,
}

/// An OpenID Connect provider's endpoints and client.
pub(crate) struct Oidc {
    pub client_id: String,
    pub client_secret: Secret,
    pub auth_url: String,
    pub token_url: String,
    pub certs_url: String,
    /// Always holds `openid`.
    pub scopes: Vec<String>,
    /// Claims copied into the identity's `oidc_fields`.
    pub claims: Vec<String>,
    /// The claim holding the e-mail address (default `email`).
    pub email_claim: String,
    /// gatehouse extension: when set, the ID token's `iss` must equal it.
    pub issuer: Option<String>,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Idp {
    pub fn compile(id: &str, doc: &IdentityProvider, server_key: &ServerKey) -> Result<Idp, String> {
        let id = IdpId::parse(id).map_err(|e| e.to_string())?;
        let protocol = match doc.kind.as_str() {
            "oidc" => Protocol::Oidc(Box::new(Oidc::compile(doc, server_key)?)),
            "onetimepin" => Protocol::OneTimePin,
            "github" => Protocol::Github(Box::new(Github::compile(doc, server_key)?)),
            other => return Err(format!("type '{other}' is not supported")),
        };
        Ok(Idp { id, name: doc.name.clone(), kind: doc.kind.clone(), protocol })
    }
}

impl Github {
    fn compile(doc: &IdentityProvider, server_key: &ServerKey) -> Result<Github, String> {
        let client_id =
            doc.config_str("client_id").filter(|v| !v.is_empty()).ok_or("config.client_id is missing")?;
        let url = |field: &str, default: &str| {
            doc.config_str(field)
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
                .trim_end_matches('/')
                .to_owned()
        };
        let client_secret =
            doc.client_secret(server_key).ok_or("the client secret does not open under the server key")?;
        Ok(Github {
            client_id: client_id.to_owned(),
            client_secret,
            base_url: url("base_url", GITHUB_URL),
            api_url: url("api_url", GITHUB_API_URL),
        })
    }
}

impl Oidc {
    fn compile(doc: &IdentityProvider, server_key: &ServerKey) -> Result<Oidc, String> {
        let text = |field: &str| {
            doc.config_str(field)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("config.{field} is missing"))
        };
        let list = |field: &str| -> Vec<String> {
            doc.config
                .get(field)
                .and_then(|v| v.as_array())
                .map(|items| items.iter().filter_map(|v| v.as_str()).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut scopes = list("scopes");
        if scopes.is_empty() {
            scopes = DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        }
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".to_owned());
        }
        let client_secret =
            doc.client_secret(server_key).ok_or("the client secret does not open under the server key")?;
        Ok(Oidc {
            client_id: text("client_id")?,
            client_secret,
            auth_url: text("auth_url")?,
            token_url: text("token_url")?,
            certs_url: text("certs_url")?,
            scopes,
            claims: list("claims"),
            email_claim: doc
                .config_str("email_claim_name")
                .filter(|c| !c.is_empty())
                .unwrap_or("email")
                .to_owned(),
            issuer: doc.config_str("issuer").filter(|i| !i.is_empty()).map(str::to_owned),
        })
    }
}
