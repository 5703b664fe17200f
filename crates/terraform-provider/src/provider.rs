//! The `tfplugin6.Provider` gRPC service: decodes Terraform's requests, dispatches them to the
//! resources and data sources, and encodes their answers and diagnostics.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Notify, RwLock};
use tonic::{Request, Response, Status};

use crate::client::{Client, Credentials, DEFAULT_BASE_URL};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderService;
use crate::resource::{DataSource, Diag, Resource};
use crate::schema::{Attr, Schema};
use crate::value::{Ty, Value};

/// The provider's version, reported in the User-Agent and used as the mirror directory name.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The provider: every resource and data source, and the API client once configured.
pub struct CloudflareProvider {
    resources: Vec<Box<dyn Resource>>,
    data_sources: Vec<Box<dyn DataSource>>,
    client: RwLock<Option<Client>>,
    /// Notified when Terraform asks the plugin to shut down.
    pub shutdown: Arc<Notify>,
}

impl std::fmt::Debug for CloudflareProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudflareProvider")
            .field("resources", &self.resources.iter().map(|r| r.type_name()).collect::<Vec<_>>())
            .field("data_sources", &self.data_sources.iter().map(|d| d.type_name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The provider block's schema (the v5 provider's names).
pub fn provider_schema() -> Schema {
    Schema {
        version: 0,
        description: "gatehouse's drop-in for the Access resources of the cloudflare/cloudflare provider.",
        attrs: vec![
            Attr::optional("api_token", Ty::String, "The API Token for operations. Alternatively, can be configured using the `CLOUDFLARE_API_TOKEN` environment variable.").sensitive(),
            Attr::optional("api_key", Ty::String, "The API key for operations (legacy). Alternatively, `CLOUDFLARE_API_KEY`. Requires `email`.").sensitive(),
            Attr::optional("email", Ty::String, "A registered email address, used with `api_key`. Alternatively, `CLOUDFLARE_EMAIL`."),
            Attr::optional("api_user_service_key", Ty::String, "A user service key. Alternatively, `CLOUDFLARE_API_USER_SERVICE_KEY`.").sensitive(),
            Attr::optional("user_agent_operator_suffix", Ty::String, "A value to append to the HTTP User Agent for all API calls. Alternatively, `CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX`."),
            Attr::optional("base_url", Ty::String, "Value to override the default HTTP client base URL, e.g. `http://127.0.0.1:8787/client/v4` for gatehouse. Alternatively, `CLOUDFLARE_BASE_URL`."),
        ],
    }
}

impl CloudflareProvider {
    pub fn new(resources: Vec<Box<dyn Resource>>, data_sources: Vec<Box<dyn DataSource>>) -> Self {
        CloudflareProvider {
            resources,
            data_sources,
            client: RwLock::new(None),
            shutdown: Arc::new(Notify::new()),
        }
    }

    fn resource(&self, type_name: &str) -> Result<&dyn Resource, Status> {
        self.resources
            .iter()
            .find(|r| r.type_name() == type_name)
            .map(AsRef::as_ref)
            .ok_or_else(|| Status::not_found(format!("unknown resource type {type_name}")))
    }

    fn data_source(&self, type_name: &str) -> Result<&dyn DataSource, Status> {
        self.data_sources
            .iter()
            .find(|d| d.type_name() == type_name)
            .map(AsRef::as_ref)
            .ok_or_else(|| Status::not_found(format!("unknown data source type {type_name}")))
    }

    async fn client(&self) -> Result<Client, Diag> {
        self.client.read().await.clone().ok_or_else(|| {
            Diag::error(
                "provider not configured",
                "the cloudflare provider was used before it was configured",
            )
        })
    }
}

/// Builds the API client from the provider block and the environment, as the v5 provider does:
/// the environment first, the provider block overriding it.
pub fn configure_client(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    terraform_version: &str,
) -> Result<Client, Diag> {
    let setting = |attr: &str, var: &str| -> Option<String> {
        config.get(attr).as_str().map(str::to_string).or_else(|| env(var).filter(|v| !v.is_empty()))
    };
    let token = setting("api_token", "CLOUDFLARE_API_TOKEN");
    let key = setting("api_key", "CLOUDFLARE_API_KEY");
    let email = setting("email", "CLOUDFLARE_EMAIL");
    let service_key = setting("api_user_service_key", "CLOUDFLARE_API_USER_SERVICE_KEY");
    let credentials = match (token, key, service_key) {
        (Some(token), None, None) => Some(Credentials::Token(token)),
        (None, Some(key), None) => match email {
            Some(email) => Some(Credentials::Key { email, key }),
            None => {
                return Err(Diag::error(
                    "Invalid Attribute Combination",
                    "api_key requires email (or CLOUDFLARE_EMAIL).",
                ));
            }
        },
        (None, None, Some(key)) => Some(Credentials::UserServiceKey(key)),
        (None, None, None) => None,
        _ => {
            return Err(Diag::error(
                "Invalid Attribute Combination",
                "Must provide only one of api_key, api_token, api_user_service_key (counting the CLOUDFLARE_* environment variables).",
            ));
        }
    };
    let base_url = setting("base_url", "CLOUDFLARE_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let user_agent = match setting("user_agent_operator_suffix", "CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX") {
        Some(suffix) => format!("terraform-provider-cloudflare/{VERSION} gatehouse {suffix}"),
        None => format!("terraform-provider-cloudflare/{VERSION} gatehouse terraform/{terraform_version}"),
    };
    Client::new(&base_url, credentials, &user_agent)
        .map_err(|e| Diag::error("Invalid base_url", e).at("base_url"))
}

fn diagnostics(diags: Vec<Diag>) -> Vec<pb::Diagnostic> {
    diags
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: if d.error {
                pb::diagnostic::Severity::Error
            } else {
                pb::diagnostic::Severity::Warning
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.attribute.map(|name| attribute_path(&name)),
        })
        .collect()
}

fn attribute_path(name: &str) -> pb::AttributePath {
    pb::AttributePath {
        steps: vec![pb::attribute_path::Step {
            selector: Some(pb::attribute_path::step::Selector::AttributeName(name.to_string())),
        }],
    }
}

/// Decodes a request's value; a missing value is null.
fn decode(value: Option<&pb::DynamicValue>, ty: &Ty) -> Result<Value, Diag> {
    let Some(value) = value else { return Ok(Value::Null) };
    if !value.msgpack.is_empty() {
        return Value::from_msgpack(&value.msgpack, ty)
            .map_err(|e| Diag::error("invalid value from Terraform", e.0));
    }
    if !value.json.is_empty() {
        let json: serde_json::Value = serde_json::from_slice(&value.json)
            .map_err(|e| Diag::error("invalid JSON from Terraform", e.to_string()))?;
        return Value::from_json(&json, ty).map_err(|e| Diag::error("invalid value from Terraform", e.0));
    }
    Ok(Value::Null)
}

fn encode(value: &Value, ty: &Ty) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: value.to_msgpack(ty), json: Vec::new() })
}

/// Refuses configured attributes gatehouse does not implement.
fn unsupported(schema: &Schema, config: &Value, type_name: &str) -> Vec<Diag> {
    schema
        .unsupported_in(config)
        .into_iter()
        .map(|(path, why)| {
            let top = path.split(['.', '[']).next().unwrap_or_default().to_string();
            Diag::error(
                format!("Unsupported argument: {path}"),
                format!("{type_name}.{path} is part of Cloudflare's provider but gatehouse does not support it: {why} Remove it from the configuration (see docs/terraform.md)."),
            )
            .at(top)
        })
        .collect()
}

#[tonic::async_trait]
impl ProviderService for CloudflareProvider {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(pb::ServerCapabilities::default()),
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .iter()
                .map(|d| pb::get_metadata::DataSourceMetadata { type_name: d.type_name().to_string() })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|r| pb::get_metadata::ResourceMetadata { type_name: r.type_name().to_string() })
                .collect(),
            functions: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(provider_schema().to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|r| (r.type_name().to_string(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|d| (d.type_name().to_string(), d.schema().to_proto()))
                .collect(),
            functions: HashMap::new(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(pb::ServerCapabilities::default()),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let diags = match decode(request.config.as_ref(), &provider_schema().ty()) {
            Ok(_) => Vec::new(),
            Err(diag) => vec![diag],
        };
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics: diagnostics(diags) }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let schema = resource.schema();
        let diags = match decode(request.config.as_ref(), &schema.ty()) {
            Ok(config) => {
                let mut diags = unsupported(&schema, &config, resource.type_name());
                diags.extend(resource.validate(&config));
                diags
            }
            Err(diag) => vec![diag],
        };
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics: diagnostics(diags) }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let data_source = self.data_source(&request.type_name)?;
        let schema = data_source.schema();
        let diags = match decode(request.config.as_ref(), &schema.ty()) {
            Ok(config) => {
                let mut diags = unsupported(&schema, &config, data_source.type_name());
                diags.extend(data_source.validate(&config));
                diags
            }
            Err(diag) => vec![diag],
        };
        Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics: diagnostics(diags) }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let ty = resource.schema().ty();
        let json = request.raw_state.map(|raw| raw.json).unwrap_or_default();
        let result = if json.is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_slice::<serde_json::Value>(&json)
                .map_err(|e| Diag::error("invalid stored state", e.to_string()))
                .and_then(|json| {
                    Value::from_json(&json, &ty).map_err(|e| Diag::error("invalid stored state", e.0))
                })
        };
        Ok(Response::new(match result {
            Ok(state) => pb::upgrade_resource_state::Response {
                upgraded_state: encode(&state, &ty),
                diagnostics: Vec::new(),
            },
            Err(diag) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: diagnostics(vec![diag]),
            },
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let result = decode(request.config.as_ref(), &provider_schema().ty()).and_then(|config| {
            configure_client(&config, &|name| std::env::var(name).ok(), &request.terraform_version)
        });
        let diags = match result {
            Ok(client) => {
                *self.client.write().await = Some(client);
                Vec::new()
            }
            Err(diag) => vec![diag],
        };
        Ok(Response::new(pb::configure_provider::Response { diagnostics: diagnostics(diags) }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let ty = resource.schema().ty();
        let result = async {
            let state = decode(request.current_state.as_ref(), &ty)?;
            if state.is_null() {
                return Ok((Value::Null, Vec::new()));
            }
            let client = self.client().await?;
            match resource.read(&client, &state).await? {
                Some(new_state) => Ok((new_state, Vec::new())),
                None => Ok((
                    Value::Null,
                    vec![Diag::warning(
                        "Resource not found",
                        "The resource was not found on the server and will be removed from state.",
                    )],
                )),
            }
        }
        .await;
        Ok(Response::new(match result {
            Ok((new_state, diags)) => pb::read_resource::Response {
                new_state: encode(&new_state, &ty),
                diagnostics: diagnostics(diags),
                private: request.private,
            },
            Err(diag) => pb::read_resource::Response {
                new_state: request.current_state,
                diagnostics: diagnostics(vec![diag]),
                private: request.private,
            },
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let ty = resource.schema().ty();
        let result = (|| {
            let prior = decode(request.prior_state.as_ref(), &ty)?;
            let proposed = decode(request.proposed_new_state.as_ref(), &ty)?;
            let config = decode(request.config.as_ref(), &ty)?;
            if proposed.is_null() {
                // Destroy.
                return Ok((Value::Null, Vec::new()));
            }
            Ok(resource.plan(&prior, &proposed, &config))
        })();
        Ok(Response::new(match result {
            Ok((planned, replace)) => pb::plan_resource_change::Response {
                planned_state: encode(&planned, &ty),
                requires_replace: replace.into_iter().map(attribute_path).collect(),
                planned_private: request.prior_private,
                diagnostics: Vec::new(),
                legacy_type_system: false,
            },
            Err(diag) => pb::plan_resource_change::Response {
                planned_state: None,
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
                diagnostics: diagnostics(vec![diag]),
                legacy_type_system: false,
            },
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let ty = resource.schema().ty();
        let prior = decode(request.prior_state.as_ref(), &ty);
        let result = async {
            let prior = prior.clone()?;
            let planned = decode(request.planned_state.as_ref(), &ty)?;
            let client = self.client().await?;
            if planned.is_null() {
                resource.delete(&client, &prior).await?;
                Ok(Value::Null)
            } else if prior.is_null() {
                resource.create(&client, &planned).await
            } else {
                resource.update(&client, &prior, &planned).await
            }
        }
        .await;
        Ok(Response::new(match result {
            Ok(new_state) => pb::apply_resource_change::Response {
                new_state: encode(&new_state, &ty),
                private: request.planned_private,
                diagnostics: Vec::new(),
                legacy_type_system: false,
            },
            // On failure the object is as it was: keep the prior state (null for a failed create).
            Err(diag) => pb::apply_resource_change::Response {
                new_state: encode(&prior.unwrap_or(Value::Null), &ty),
                private: request.planned_private,
                diagnostics: diagnostics(vec![diag]),
                legacy_type_system: false,
            },
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let ty = resource.schema().ty();
        let result = async {
            let client = self.client().await?;
            resource.import(&client, &request.id).await
        }
        .await;
        Ok(Response::new(match result {
            Ok(state) => pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: request.type_name,
                    state: encode(&state, &ty),
                    private: Vec::new(),
                }],
                diagnostics: Vec::new(),
            },
            Err(diag) => pb::import_resource_state::Response {
                imported_resources: Vec::new(),
                diagnostics: diagnostics(vec![diag]),
            },
        }))
    }

    async fn move_resource_state(
        &self,
        _request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Err(Status::unimplemented("moving resource state is not supported"))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let data_source = self.data_source(&request.type_name)?;
        let ty = data_source.schema().ty();
        let result = async {
            let config = decode(request.config.as_ref(), &ty)?;
            let client = self.client().await?;
            data_source.read(&client, &config).await
        }
        .await;
        Ok(Response::new(match result {
            Ok(state) => {
                pb::read_data_source::Response { state: encode(&state, &ty), diagnostics: Vec::new() }
            }
            Err(diag) => pb::read_data_source::Response { state: None, diagnostics: diagnostics(vec![diag]) },
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response { functions: HashMap::new(), diagnostics: Vec::new() }))
    }

    async fn call_function(
        &self,
        _request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Err(Status::unimplemented("this provider has no functions"))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn provider_block_overrides_the_environment() {
        let mut config = Value::Null;
        config.set("base_url", Value::str("http://127.0.0.1:1/client/v4"));
        let client = configure_client(
            &config,
            &env(&[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_BASE_URL", "http://x")]),
            "1.11.4",
        );
        assert!(format!("{client:?}").contains("http://127.0.0.1:1/client/v4"));
        assert!(format!("{client:?}").contains("Token(..)"));
    }

    #[test]
    fn environment_configures_the_client() {
        let client = configure_client(
            &Value::Null,
            &env(&[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_BASE_URL", "http://127.0.0.1:2/client/v4")]),
            "1.11.4",
        )
        .unwrap();
        assert!(format!("{client:?}").contains("127.0.0.1:2"));
    }

    #[test]
    fn conflicting_credentials_are_refused() {
        let err = configure_client(
            &Value::Null,
            &env(&[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_API_KEY", "k")]),
            "1",
        )
        .unwrap_err();
        assert!(err.detail.contains("only one"));
        let err = configure_client(&Value::Null, &env(&[("CLOUDFLARE_API_KEY", "k")]), "1").unwrap_err();
        assert!(err.detail.contains("email"));
    }

    #[test]
    fn provider_schema_has_the_v5_names() {
        let names: Vec<_> = provider_schema().attrs.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "api_token",
                "api_key",
                "email",
                "api_user_service_key",
                "user_agent_operator_suffix",
                "base_url"
            ]
        );
        assert!(provider_schema().attr("api_token").unwrap().sensitive);
    }
}
