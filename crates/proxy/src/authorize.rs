//! Stage 4: the application's policies decide (`gatehouse_domain::access::evaluate`, Cloudflare's
//! order, deny by default). The facts are the token or the person that authenticated — only one
//! that did — and the TCP peer address; a client's `X-Forwarded-For` is never believed.

use std::net::IpAddr;

use gatehouse_domain::TokenId;
use gatehouse_domain::access::{Facts, Person, Verdict, evaluate};

use crate::session::PersonSession;
use crate::snapshot::App;

pub(crate) fn authorize(
    app: &App,
    token: Option<TokenId>,
    person: Option<&PersonSession>,
    peer: IpAddr,
) -> Verdict {
    if app.broken {
        return Verdict::Deny { policy: None };
    }
    let person = person.map(|p| Person { email: &p.email, idp: p.idp });
    let facts = Facts { token, person, client_ip: peer };
    evaluate(&app.policies, &app.account.groups, &facts, app.account.strict)
}
