//! UUID identifiers of access resources.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::IdError;
use crate::secret::random_bytes;

macro_rules! uuid_id {
    ($name:ident, $kind:literal) => {
        #[doc = concat!("The UUID of ", $kind, ".")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            pub fn generate() -> Self {
                let mut bytes = [0u8; 16];
                random_bytes(&mut bytes);
                $name(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }

            /// Accepts the hyphenated form only.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                match Uuid::try_parse(value) {
                    Ok(uuid) if value.len() == 36 => Ok($name(uuid)),
                    _ => Err(IdError { kind: $kind, value: value.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
    };
}

uuid_id!(AppId, "an application");
uuid_id!(PolicyId, "a policy");
uuid_id!(GroupId, "an access group");
uuid_id!(IdpId, "an identity provider");
uuid_id!(ListId, "a Zero Trust list");
