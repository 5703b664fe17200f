//! The audit log, newest first, and on request the verification of the account's hash chain
//! (the same check as `gatehouse audit verify`, [`gatehouse_domain::ChainVerifier`]).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_api::ApiError;
use gatehouse_api::auth::Access;
use gatehouse_api::pagination::Pagination;
use gatehouse_domain::{AccountId, AuditRecord, ChainVerifier};
use gatehouse_store::AuditFilter;
use serde::Deserialize;

use super::Chrome;
use crate::Dash;
use crate::error::{Failure, render};
use crate::session::Operator;

const PER_PAGE: u64 = 50;
/// Records read per query while verifying.
const CHAIN_PAGE: u64 = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    page: Option<u64>,
    #[serde(default)]
    verify: String,
}

/// The outcome of a verification.
#[derive(Debug)]
pub struct Verification {
    pub ok: bool,
    pub verified: u64,
    pub head: String,
    pub problem: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    records: Vec<AuditRecord>,
    page: u64,
    pages: u64,
    verification: Option<Verification>,
}

pub async fn list(
    State(dash): State<Dash>,
    operator: Operator,
    Query(query): Query<AuditQuery>,
) -> Result<Response, Failure> {
    let (_, account) = operator.caller(Access::Read)?;
    let page = query.page.unwrap_or(1).clamp(1, 100_000);
    let pagination = Pagination { page, per_page: PER_PAGE };
    let found = gatehouse_api::audit::list(&dash.api, &account, &AuditFilter::default(), pagination).await?;
    let verification = if query.verify.is_empty() { None } else { Some(verify(&dash, &account).await?) };
    render(&AuditPage {
        chrome: Chrome::new(&operator, "audit", "Audit log"),
        records: found.items,
        page,
        pages: found.total.div_ceil(PER_PAGE).max(1),
        verification,
    })
}

async fn verify(dash: &Dash, account: &AccountId) -> Result<Verification, ApiError> {
    let mut verifier = ChainVerifier::new(account.clone());
    loop {
        let records = dash.api.store.audit_chain(account, verifier.next_seq() - 1, CHAIN_PAGE).await?;
        if records.is_empty() {
            break;
        }
        for record in &records {
            if let Err(broken) = verifier.check(record) {
                return Ok(Verification {
                    ok: false,
                    verified: verifier.verified(),
                    head: verifier.head().to_owned(),
                    problem: broken.to_string(),
                });
            }
        }
    }
    Ok(Verification {
        ok: true,
        verified: verifier.verified(),
        head: verifier.head().to_owned(),
        problem: String::new(),
    })
}
