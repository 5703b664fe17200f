//! Zero Trust lists (Cloudflare's Gateway lists, `/gateway/lists`): named sets of values of one
//! type. An `EMAIL` list is what an `{"email_list":{"id":…}}` rule names; the engine reads it
//! as an [`EmailLists`] entry, resolved into the rule when policies and groups are compiled.
//!
//! Values are checked per type ([`ListType::value`]) and kept normalized (e-mail addresses and
//! domains in lowercase), so membership is a plain set lookup.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::ids::ListId;
use crate::clock::Timestamp;

/// Most items one list holds (Cloudflare's limit for an account on a paid plan).
pub const MAX_LIST_ITEMS: usize = 5000;
/// Longest item value, in bytes.
pub const MAX_VALUE_LEN: usize = 1024;
/// Longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;
/// Longest list name, in characters.
pub const MAX_LIST_NAME: usize = 350;
/// Longest list or item description, in characters.
pub const MAX_LIST_DESCRIPTION: usize = 500;

/// What a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ListType {
    Serial,
    Url,
    Domain,
    Email,
    Ip,
}

impl ListType {
    pub const ALL: [ListType; 5] =
        [ListType::Serial, ListType::Url, ListType::Domain, ListType::Email, ListType::Ip];

    pub fn as_str(self) -> &'static str {
        match self {
            ListType::Serial => "SERIAL",
            ListType::Url => "URL",
            ListType::Domain => "DOMAIN",
            ListType::Email => "EMAIL",
            ListType::Ip => "IP",
        }
    }

    /// The type named `text` exactly (Cloudflare's names are upper case).
    pub fn parse(text: &str) -> Option<ListType> {
        ListType::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// `value` checked as an item of this type and normalized: trimmed; e-mail addresses and
    /// domains in lowercase. The error names what is expected, never the value.
    pub fn value(self, value: &str) -> Result<String, String> {
        let value = value.trim();
        if value.is_empty() || value.len() > MAX_VALUE_LEN || value.chars().any(char::is_control) {
            return Err(format!("a non-empty string of at most {MAX_VALUE_LEN} bytes"));
        }
        let no_space = !value.chars().any(char::is_whitespace);
        match self {
            ListType::Email => {
                email(value).ok_or_else(|| "an e-mail address such as alice@example.com".to_owned())
            }
            ListType::Ip => {
                let ok = value.parse::<IpNet>().is_ok() || value.parse::<IpAddr>().is_ok();
                if ok {
                    Ok(value.to_owned())
                } else {
                    Err("an IPv4 or IPv6 address or CIDR range".to_owned())
                }
            }
            ListType::Domain if no_space && is_domain(value) => Ok(value.to_lowercase()),
            ListType::Domain => Err("a domain name such as example.com".to_owned()),
            ListType::Url | ListType::Serial if no_space => Ok(value.to_owned()),
            ListType::Url => Err("a URL without whitespace".to_owned()),
            ListType::Serial => Err("a serial number without whitespace".to_owned()),
        }
    }
}

/// A lowercase address with one `@`, a local part and a dotted domain; `None` otherwise.
fn email(value: &str) -> Option<String> {
    let (local, domain) = value.split_once('@')?;
    let ok = value.len() <= MAX_EMAIL_LEN
        && !local.is_empty()
        && !value.chars().any(char::is_whitespace)
        && is_domain(domain)
        && !domain.contains('*');
    ok.then(|| value.to_lowercase())
}

/// Labels of letters, digits, `-` and `_` separated by dots (a leading `*.` allowed).
fn is_domain(text: &str) -> bool {
    let text = text.strip_prefix("*.").unwrap_or(text);
    !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// One value of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListItem {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: Timestamp,
}

/// A stored list (its id is the resource's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZeroTrustList {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: ListType,
    #[serde(default)]
    pub items: Vec<ListItem>,
}

/// The members of one `EMAIL` list, lowercase.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EmailSet(HashSet<Box<str>>);

impl EmailSet {
    /// Whether `email` (lowercase) is a member.
    pub fn contains(&self, email: &str) -> bool {
        self.0.contains(email)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for EmailSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmailSet({} addresses)", self.0.len())
    }
}

/// The `EMAIL` lists of an account, by id: what `email_list` rules are resolved against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailLists(HashMap<ListId, Arc<EmailSet>>);

impl EmailLists {
    /// The `EMAIL` lists among `lists`; lists of other types are left out (a rule naming one
    /// stays unresolved, and fails closed).
    pub fn new<'a>(lists: impl IntoIterator<Item = (ListId, &'a ZeroTrustList)>) -> Self {
        let emails = lists
            .into_iter()
            .filter(|(_, list)| list.kind == ListType::Email)
            .map(|(id, list)| {
                let members =
                    list.items.iter().map(|item| item.value.to_lowercase().into_boxed_str()).collect();
                (id, Arc::new(EmailSet(members)))
            })
            .collect();
        EmailLists(emails)
    }

    pub fn get(&self, id: ListId) -> Option<&Arc<EmailSet>> {
        self.0.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalized_per_type() {
        assert_eq!(ListType::Email.value(" Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["alice", "@example.com", "alice@", "a b@example.com", "alice@exa mple.com", "a@b..c"] {
            assert!(ListType::Email.value(bad).is_err(), "{bad}");
        }
        assert!(ListType::Ip.value("192.0.2.0/24").is_ok());
        assert!(ListType::Ip.value("2001:db8::1").is_ok());
        assert!(ListType::Ip.value("192.0.2.300").is_err());
        assert_eq!(ListType::Domain.value("Example.COM").unwrap(), "example.com");
        assert!(ListType::Domain.value("https://example.com").is_err());
        assert!(ListType::Url.value("https://example.com/a b").is_err());
        assert!(ListType::Serial.value("8GE8721REF").is_ok());
        assert!(ListType::Serial.value(&"x".repeat(MAX_VALUE_LEN + 1)).is_err());
        assert!(ListType::Serial.value("").is_err());
        assert_eq!(ListType::parse("EMAIL"), Some(ListType::Email));
        assert_eq!(ListType::parse("email"), None);
    }

    #[test]
    fn only_email_lists_are_kept_for_the_engine() {
        let item =
            |value: &str| ListItem { value: value.into(), description: None, created_at: Timestamp::EPOCH };
        let list = |kind| ZeroTrustList {
            name: "l".into(),
            description: String::new(),
            kind,
            items: vec![item("alice@example.com")],
        };
        let (emails, ips) = (ListId::generate(), ListId::generate());
        let (email_list, ip_list) = (list(ListType::Email), list(ListType::Ip));
        let lists = EmailLists::new([(emails, &email_list), (ips, &ip_list)]);
        assert!(
            lists
                .get(emails)
                .is_some_and(|set| set.contains("alice@example.com") && !set.contains("bob@example.com"))
        );
        assert!(lists.get(ips).is_none());
    }
}
