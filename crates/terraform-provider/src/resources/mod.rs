//! The Access resources and data sources.

pub mod service_token;

use crate::resource::{DataSource, Resource};

/// Every resource type the provider serves.
pub fn resources() -> Vec<Box<dyn Resource>> {
    vec![Box::new(service_token::ServiceToken)]
}

/// Every data source type the provider serves.
pub fn data_sources() -> Vec<Box<dyn DataSource>> {
    vec![Box::new(service_token::ServiceTokenData), Box::new(service_token::ServiceTokensData)]
}
