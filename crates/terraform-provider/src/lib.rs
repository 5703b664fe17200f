//! `terraform-provider-cloudflare` for gatehouse: a Terraform provider speaking plugin protocol 6
//! that implements the Access resources of Cloudflare's v5 provider
//! (`cloudflare_zero_trust_access_service_token`, `_application`, `_policy`, `_group` and their
//! data sources) on top of the v4 API, so `.tf` files written for Cloudflare apply against
//! gatehouse unchanged. See `docs/terraform.md`.

pub mod client;
pub mod mtls;
pub mod proto;
pub mod provider;
pub mod resource;
pub mod resources;
pub mod schema;
pub mod serve;
pub mod value;
