//! Zero Trust lists (`/accounts/{account_id}/gateway/lists`), in the shape of Cloudflare's
//! Gateway lists API and its official SDKs (`zero_trust.gateway.lists`): a list is
//! `{id, name, description, type, count, items, created_at, updated_at}`; the collection is
//! listed without `items`, which `GET …/lists/{list_id}/items` pages through.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ListTypeName {
    Serial,
    Url,
    Domain,
    /// E-mail addresses (compared without regard to case): what an `email_list` rule names.
    Email,
    /// IPv4 or IPv6 addresses or CIDR ranges.
    Ip,
}

/// One value of a list, as returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListItemBody {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the value was added (RFC 3339).
    pub created_at: String,
}

/// A list. `items` is left out of the collection's listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListBody {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: ListTypeName,
    /// How many items the list holds.
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ListItemBody>>,
    pub created_at: String,
    pub updated_at: String,
}

/// One value of a list, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListItemInput {
    /// Checked per the list's type: an e-mail address, an IP address or CIDR range, a domain, a
    /// URL or a serial number; at most 1024 bytes.
    pub value: String,
    /// At most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST …/gateway/lists`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreateListRequest {
    /// 1 to 350 characters.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ListTypeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// At most 5000 distinct values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ListItemInput>>,
}

/// `PUT …/gateway/lists/{list_id}`: the name, and the description and items when given
/// (items left out, or `[]`, are kept, as Cloudflare does; non-empty, they replace the list's).
/// The type cannot change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateListRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ListItemInput>>,
}

/// `PATCH …/gateway/lists/{list_id}`: values to add (one already in the list is kept as it is)
/// and values to take out (one not in the list is ignored); removals apply first. One of the two
/// is required: a PATCH with neither (say, a PUT's body sent by mistake) is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EditListRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub append: Option<Vec<ListItemInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<Vec<String>>,
}
