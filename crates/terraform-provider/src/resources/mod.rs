//! The Access resources and data sources.

pub mod access_application;
pub mod access_group;
pub mod access_policy;
pub mod access_rules;
pub mod access_schemas;
pub mod service_token;

use crate::resource::{DataSource, Resource};

/// Every resource type the provider serves.
pub fn resources() -> Vec<Box<dyn Resource>> {
    vec![
        Box::new(service_token::ServiceToken),
        Box::new(access_policy::AccessPolicy),
        Box::new(access_group::AccessGroup),
        Box::new(access_application::AccessApplication),
    ]
}

/// Every data source type the provider serves.
pub fn data_sources() -> Vec<Box<dyn DataSource>> {
    vec![
        Box::new(service_token::ServiceTokenData),
        Box::new(service_token::ServiceTokensData),
        Box::new(access_policy::AccessPolicyData),
        Box::new(access_policy::AccessPoliciesData),
        Box::new(access_group::AccessGroupData),
        Box::new(access_group::AccessGroupsData),
        Box::new(access_application::AccessApplicationData),
        Box::new(access_application::AccessApplicationsData),
    ]
}
