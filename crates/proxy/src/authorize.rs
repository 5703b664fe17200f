//! Stage 4: the application's policies decide (`gatehouse_domain::access::evaluate`, Cloudflare's
//! order, deny by default). The facts are the token that authenticated — only one that did —
//! and the TCP peer address; a client's `X-Forwarded-For` is never believed.

use std::net::IpAddr;

use gatehouse_domain::TokenId;
use gatehouse_domain::access::{Facts, Verdict, evaluate};

use crate::snapshot::App;

pub(crate) fn authorize(app: &App, token: Option<TokenId>, peer: IpAddr) -> Verdict {
    if app.broken {
        return Verdict::Deny { policy: None };
    }
    let facts = Facts { token, person: None, client_ip: peer };
    evaluate(&app.policies, &app.account.groups, &facts, app.account.strict)
}
