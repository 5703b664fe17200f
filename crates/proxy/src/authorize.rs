//! Stage 4: the application's policies decide (`gatehouse_domain::access::decide`: strict mode's
//! refusal of failed credentials, a broken application's refusal, else Cloudflare's order, deny
//! by default). The facts are the token or the person that authenticated — only one that did —
//! and the TCP peer address; a client's `X-Forwarded-For` is never believed. Explanations call the same
//! `decide`, with a tracer; here it is `NoTrace`, which costs nothing.

use std::net::IpAddr;

use gatehouse_domain::access::{AppPolicies, Authentication, Decided, NoTrace, decide};

use crate::snapshot::App;

pub(crate) fn authorize(app: &App, authentication: Authentication<'_>, peer: IpAddr) -> Decided {
    decide(app.rules(), authentication, peer, &mut NoTrace)
}

impl App {
    /// What the decision reads of this application.
    pub fn rules(&self) -> AppPolicies<'_> {
        AppPolicies {
            policies: &self.policies,
            groups: &self.account.groups,
            strict: self.account.strict,
            broken: self.broken,
        }
    }
}
