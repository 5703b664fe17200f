//! Credentials for the management API: bearer API tokens and Cloudflare's legacy global API key
//! (`X-Auth-Email` + `X-Auth-Key`). Each is bound to one account, stored only as a keyed hash,
//! and either reads or edits.

use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::secret::SecretHash;

/// What an API credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Edit,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Edit => "edit",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Permission::Read),
            "edit" => Some(Permission::Edit),
            _ => None,
        }
    }

    pub fn allows_writes(self) -> bool {
        self == Permission::Edit
    }
}

/// How the credential is presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiTokenKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `X-Auth-Key: <key>` together with `X-Auth-Email: <email>` (compared case-insensitively).
    GlobalKey { email: String },
}

/// A management API credential as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    /// 32 lowercase hex, reported by the verify endpoints.
    pub id: String,
    pub account_id: AccountId,
    pub name: String,
    pub hash: SecretHash,
    pub permission: Permission,
    pub kind: ApiTokenKind,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub enabled: bool,
}

impl ApiToken {
    /// `active`, `disabled` or `expired`, as Cloudflare's verify endpoint reports it.
    pub fn status(&self, now: Timestamp) -> &'static str {
        if !self.enabled {
            "disabled"
        } else if self.expires_at.is_some_and(|t| t <= now) {
            "expired"
        } else {
            "active"
        }
    }
}
