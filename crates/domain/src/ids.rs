//! Identifiers in Cloudflare's formats: account ids are 32 lowercase hex, service token ids are
//! UUIDv4, client ids are 32 lowercase hex followed by `.access`.

use std::fmt;

use uuid::Uuid;

use crate::secret::random_bytes;

/// An identifier that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {value:?}")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    random_bytes(&mut buf);
    hex::encode(buf)
}

/// An account: 32 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    pub fn generate() -> Self {
        AccountId(random_hex(16))
    }

    pub fn parse(value: &str) -> Result<Self, IdError> {
        if is_lower_hex(value, 32) {
            Ok(AccountId(value.to_owned()))
        } else {
            Err(IdError { kind: "account id", value: value.to_owned() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A service token's `id` (UUIDv4), the identifier used in API paths and policy rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(Uuid);

impl TokenId {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        random_bytes(&mut bytes);
        TokenId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// Accepts any UUID in its hyphenated form (ids imported from elsewhere need not be v4).
    pub fn parse(value: &str) -> Result<Self, IdError> {
        match Uuid::try_parse(value) {
            Ok(uuid) if value.len() == 36 => Ok(TokenId(uuid)),
            _ => Err(IdError { kind: "service token id", value: value.to_owned() }),
        }
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The public half of a service token, sent as `CF-Access-Client-Id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    const SUFFIX: &'static str = ".access";

    pub fn generate() -> Self {
        ClientId(format!("{}{}", random_hex(16), Self::SUFFIX))
    }

    /// Accepts gatehouse's and Cloudflare's format (`<32 hex>.access`) and, for imported tokens,
    /// any 1–128 characters of letters, digits, `.`, `-` and `_` — all safe in an HTTP header.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let ok = !value.is_empty()
            && value.len() <= 128
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if ok {
            Ok(ClientId(value.to_owned()))
        } else {
            Err(IdError { kind: "client id", value: value.to_owned() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_cloudflare_shapes() {
        let account = AccountId::generate();
        assert!(AccountId::parse(account.as_str()).is_ok());
        let client = ClientId::generate();
        let (hex_part, suffix) = client.as_str().split_at(32);
        assert!(is_lower_hex(hex_part, 32));
        assert_eq!(suffix, ".access");
        let id = TokenId::generate();
        assert_eq!(id.as_uuid().get_version_num(), 4);
        assert_eq!(TokenId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn refuses_malformed_ids() {
        assert!(AccountId::parse("ABCDEF0123456789abcdef0123456789").is_err());
        assert!(AccountId::parse("abc").is_err());
        assert!(TokenId::parse("not-a-uuid").is_err());
        assert!(TokenId::parse("f174e90afafe4643bbbc4a0ed4fc8415").is_err());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("bad id\r\n").is_err());
        assert!(ClientId::parse("dfcafc3f102dd48b7d00256cfd940325.access").is_ok());
    }
}
