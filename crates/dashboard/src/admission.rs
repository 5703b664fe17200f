//! Who may log into the dashboard through an identity provider, and with which permission. Two
//! access applications of the account, named by the server's settings, decide: a person their
//! `allow` policies admit to the first (the admins' application) gets full access, a person the
//! second (the viewers' application) admits gets read-only access, anyone else is refused. The
//! policies are evaluated by the gateway's own decision function over the configuration as the
//! gateway compiles it ([`gatehouse_api::access::explain::Configuration`]), exactly as a request
//! of that person to that application would be: `email`, `email_domain`, `login_method`,
//! `group`, `everyone`, `ip`, `oidc` claims and `auth_method` (with the identity the login
//! established), and the exclusions.

use std::net::IpAddr;

use gatehouse_api::ApiError;
use gatehouse_api::access::explain::{Configuration, judge};
use gatehouse_domain::access::{
    AppId, Authentication, Identity, IdpId, NoTrace, Person, decide, normalize_email,
};
use gatehouse_domain::{AccountId, Permission};

/// The applications whose policies admit people to the dashboard (ids, or domains).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// Admitted here: full access.
    pub admins_app: Option<String>,
    /// Admitted here (and not as an admin): read-only access.
    pub viewers_app: Option<String>,
}

impl Admission {
    /// Whether identity logins are offered at all.
    pub fn enabled(&self) -> bool {
        self.admins_app.is_some() || self.viewers_app.is_some()
    }
}

/// The permission `email`, logged in through `idp` from `ip`, gets in the dashboard of
/// `account`; `None` when neither application admits them (or names no application of the
/// account: a setting that names nothing admits nobody). `identity` is what the login through
/// `idp` established (for `oidc` and `auth_method` rules; without it those rules do not match).
pub async fn admit(
    api: &gatehouse_api::AppState,
    account: &AccountId,
    admission: &Admission,
    email: &str,
    idp: IdpId,
    identity: Option<&Identity>,
    ip: IpAddr,
) -> Result<Option<Permission>, ApiError> {
    // The person's identity comes with the call: the stored ones of every person are not read
    // (this runs at every request of a person's session).
    let config = Configuration::load_rules(api, account).await?;
    let email = normalize_email(email);
    for (wanted, permission) in
        [(&admission.admins_app, Permission::Edit), (&admission.viewers_app, Permission::Read)]
    {
        let Some(wanted) = wanted.as_deref().map(str::trim) else { continue };
        let by_id = AppId::parse(wanted).ok();
        let Some(app) = config.apps.values().find(|app| Some(app.id) == by_id || app.domain == wanted) else {
            tracing::warn!(app = wanted, "dashboard: the login setting names no application of the account");
            continue;
        };
        let rules = config.rules(app);
        let person = Authentication::Person(Person::new(&email, Some(idp)).with_identity(identity));
        let decided = decide(config.decision_inputs(&rules), person, ip, &mut NoTrace);
        if judge(decided, None).allowed {
            return Ok(Some(permission));
        }
    }
    Ok(None)
}
