//! The attributes of Cloudflare's v5 provider (`cloudflare/cloudflare` 5.x) for the Access
//! application, policy and group resources and their data sources, transcribed attribute for
//! attribute (names, types, required/optional/computed/sensitive, defaults), with gatehouse's
//! support marked: an attribute gatehouse does not implement is kept, so configurations written
//! for Cloudflare still parse, and is refused with its reason when set. The behaviour lives in
//! `access_application.rs`, `access_policy.rs` and `access_group.rs`.

use super::access_rules::{self as rules, Flags, NO_ZONES, Selectors};
use crate::schema::{Attr, Nesting};
use crate::value::{Ty, Value};

const COOKIES: &str = "gatehouse sets its session cookie itself (HttpOnly, SameSite=Lax, Path=/).";
const NO_LAUNCHER: &str = "gatehouse has no App Launcher.";
const DENY_PAGES: &str = "gatehouse answers a denied request with its own error page.";
const NO_CORS: &str = "gatehouse does not answer CORS preflight requests for the origin.";
const IDPS: &str = "gatehouse does not restrict identity providers per application.";
const NO_MFA: &str = "gatehouse does not enforce multi-factor authentication.";
const PRIVATE_DESTINATIONS: &str =
    "gatehouse protects public hostnames only (destinations of type \"public\" with a uri).";
const INLINE_POLICIES: &str = "gatehouse links reusable policies only: create a cloudflare_zero_trust_access_policy and list it here as { id = ..., precedence = ... }.";
const NO_APPROVALS: &str = "gatehouse has no temporary-access approvals.";
const NO_JUSTIFICATION: &str = "gatehouse has no purpose-justification screen.";
const NO_CONNECTION_RULES: &str =
    "gatehouse protects HTTP applications only; SSH and RDP connection rules do not apply.";

/// `resource "cloudflare_zero_trust_access_application"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn application_resource() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "UUID.").keep_on_update(),
        Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID.").requires_replace(),
        Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.").requires_replace().unsupported(NO_ZONES),
        Attr::optional("allow_authenticate_via_warp", Ty::Bool, "When set to true, users can authenticate to this application using their WARP session.  When set to false this application will always require direct IdP authentication. This setting always overrides the organization setting for WARP authentication.").unsupported("gatehouse has no WARP client sessions."),
        Attr::optional("allow_iframe", Ty::Bool, "Enables loading application content in an iFrame.").unsupported("gatehouse does not change how the origin's pages may be framed."),
        Attr::optional("app_launcher_logo_url", Ty::String, "The image URL of the logo shown in the App Launcher header.").unsupported(NO_LAUNCHER),
        Attr::optional("bg_color", Ty::String, "The background color of the App Launcher page.").unsupported(NO_LAUNCHER),
        Attr::optional("custom_deny_message", Ty::String, "The custom error message shown to a user when they are denied access to the application.").unsupported(DENY_PAGES),
        Attr::optional("custom_deny_url", Ty::String, "The custom URL a user is redirected to when they are denied access to the application when failing identity-based rules.").unsupported(DENY_PAGES),
        Attr::optional("custom_non_identity_deny_url", Ty::String, "The custom URL a user is redirected to when they are denied access to the application when failing non-identity rules.").unsupported(DENY_PAGES),
        Attr::optional_computed("domain", Ty::String, "The primary hostname and path secured by Access. This domain will be displayed if the app is visible in the App Launcher."),
        Attr::optional("header_bg_color", Ty::String, "The background color of the App Launcher header.").unsupported(NO_LAUNCHER),
        Attr::optional("logo_url", Ty::String, "The image URL for the logo shown in the App Launcher dashboard.").unsupported(NO_LAUNCHER),
        Attr::optional_computed("name", Ty::String, "The name of the application.").keep_on_update(),
        Attr::optional("options_preflight_bypass", Ty::Bool, "Allows options preflight requests to bypass Access authentication and go directly to the origin. Cannot turn on if cors_headers is set.").unsupported(NO_CORS),
        Attr::optional("read_service_tokens_from_header", Ty::String, "Allows matching Access Service Tokens passed HTTP in a single header with this name.\nThis works as an alternative to the (CF-Access-Client-Id, CF-Access-Client-Secret) pair of headers.\nThe header value will be interpreted as a json object similar to: \n  {\n    \"cf-access-client-id\": \"88bf3b6d86161464f6509f7219099e57.access.example.com\",\n    \"cf-access-client-secret\": \"bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5\"\n  }"),
        Attr::optional("same_site_cookie_attribute", Ty::String, "Sets the SameSite cookie setting, which provides increased security against CSRF attacks.").unsupported(COOKIES),
        Attr::optional("service_auth_401_redirect", Ty::Bool, "Returns a 401 status code when the request is blocked by a Service Auth policy."),
        Attr::optional("skip_interstitial", Ty::Bool, "Enables automatic authentication through cloudflared.").unsupported("gatehouse shows no cloudflared interstitial page."),
        Attr::optional_computed("type", Ty::String, "The application type.\nAvailable values: \"self_hosted\", \"saas\", \"ssh\", \"vnc\", \"app_launcher\", \"warp\", \"biso\", \"bookmark\", \"dash_sso\", \"infrastructure\", \"rdp\", \"mcp\", \"mcp_portal\", \"proxy_endpoint\"."),
        Attr::optional("allowed_idps", Ty::Set(Box::new(Ty::String)), "The identity providers your users can select when connecting to this application. Defaults to all IdPs configured in your account.").unsupported(IDPS),
        Attr::optional("custom_pages", Ty::List(Box::new(Ty::String)), "The custom pages that will be displayed when applicable for this application").unsupported(DENY_PAGES),
        Attr::nested(
            "cors_headers",
            Nesting::Single,
            vec![
                Attr::optional("allow_all_headers", Ty::Bool, "Allows all HTTP request headers."),
                Attr::optional("allow_all_methods", Ty::Bool, "Allows all HTTP request methods."),
                Attr::optional("allow_all_origins", Ty::Bool, "Allows all origins."),
                Attr::optional("allow_credentials", Ty::Bool, "When set to `true`, includes credentials (cookies, authorization headers, or TLS client certificates) with requests."),
                Attr::optional("allowed_headers", Ty::Set(Box::new(Ty::String)), "Allowed HTTP request headers."),
                Attr::optional("allowed_methods", Ty::Set(Box::new(Ty::String)), "Allowed HTTP request methods."),
                Attr::optional("allowed_origins", Ty::Set(Box::new(Ty::String)), "Allowed origins."),
                Attr::optional("max_age", Ty::Number, "The maximum number of seconds the results of a preflight request can be cached."),
            ],
            "",
        ).with_optional().unsupported(NO_CORS),
        Attr::nested(
            "footer_links",
            Nesting::List,
            vec![
                Attr::required("name", Ty::String, "The hypertext in the footer link."),
                Attr::required("url", Ty::String, "the hyperlink in the footer link."),
            ],
            "The links in the App Launcher footer.",
        ).with_optional().unsupported(NO_LAUNCHER),
        Attr::nested(
            "oauth_configuration",
            Nesting::Single,
            vec![
                Attr::optional("enabled", Ty::Bool, "Whether the OAuth configuration is enabled for this application. When set to `false`, Access will not handle OAuth for this application. Defaults to `true` if omitted."),
                Attr::nested(
                    "dynamic_client_registration",
                    Nesting::Single,
                    vec![
                        Attr::optional("enabled", Ty::Bool, "Whether dynamic client registration is enabled."),
                        Attr::optional("allow_any_on_localhost", Ty::Bool, "Allows any client with redirect URIs on localhost."),
                        Attr::optional("allow_any_on_loopback", Ty::Bool, "Allows any client with redirect URIs on 127.0.0.1."),
                        Attr::optional("allowed_uris", Ty::List(Box::new(Ty::String)), "The URIs that are allowed as redirect URIs for dynamically registered clients. Must use the `https` protocol. Paths may end in `/*` to match all sub-paths."),
                    ],
                    "Settings for OAuth dynamic client registration.",
                ).with_optional(),
                Attr::nested(
                    "grant",
                    Nesting::Single,
                    vec![
                        Attr::optional("access_token_lifetime", Ty::String, "The lifetime of the access token. Must be in the format `300ms` or `2h45m`. Valid time units are ns, us (or µs), ms, s, m, h."),
                        Attr::optional("session_duration", Ty::String, "The duration of the OAuth session. Must be in the format `300ms` or `2h45m`. Valid time units are ns, us (or µs), ms, s, m, h."),
                    ],
                    "Settings for OAuth grant behavior.",
                ).with_optional(),
            ],
            "Optional configuration for managing an OAuth authorization flow controlled by Access. When set, Access will act as the OAuth authorization server for this application. This feature is currently in beta.",
        ).with_optional().unsupported("gatehouse does not act as an OAuth authorization server for applications."),
        Attr::nested(
            "scim_config",
            Nesting::Single,
            vec![
                Attr::required("idp_uid", Ty::String, "The UID of the IdP to use as the source for SCIM resources to provision to this application."),
                Attr::required("remote_uri", Ty::String, "The base URI for the application's SCIM-compatible API."),
                Attr::nested(
                    "authentication",
                    Nesting::Single,
                    vec![
                        Attr::optional("password", Ty::String, "Password used to authenticate with the remote SCIM service.").sensitive(),
                        Attr::required("scheme", Ty::String, "The authentication scheme to use when making SCIM requests to this application.\nAvailable values: \"httpbasic\", \"oauthbearertoken\", \"oauth2\", \"access_service_token\"."),
                        Attr::optional("user", Ty::String, "User name used to authenticate with the remote SCIM service."),
                        Attr::optional("token", Ty::String, "Token used to authenticate with the remote SCIM service.").sensitive(),
                        Attr::optional("authorization_url", Ty::String, "URL used to generate the auth code used during token generation."),
                        Attr::optional("client_id", Ty::String, "Client ID used to authenticate when generating a token for authenticating with the remote SCIM service."),
                        Attr::optional("client_secret", Ty::String, "Secret used to authenticate when generating a token for authenticating with the remove SCIM service.").sensitive(),
                        Attr::optional("token_url", Ty::String, "URL used to generate the token used to authenticate with the remote SCIM service."),
                        Attr::optional("scopes", Ty::List(Box::new(Ty::String)), "The authorization scopes to request when generating the token used to authenticate with the remove SCIM service."),
                    ],
                    "Attributes for configuring HTTP Basic authentication scheme for SCIM provisioning to an application.",
                ).with_optional(),
                Attr::optional("deactivate_on_delete", Ty::Bool, "If false, propagates DELETE requests to the target application for SCIM resources. If true, sets 'active' to false on the SCIM resource. Note: Some targets do not support DELETE operations."),
                Attr::optional("enabled", Ty::Bool, "Whether SCIM provisioning is turned on for this application."),
                Attr::nested(
                    "mappings",
                    Nesting::List,
                    vec![
                        Attr::required("schema", Ty::String, "Which SCIM resource type this mapping applies to."),
                        Attr::optional("enabled", Ty::Bool, "Whether or not this mapping is enabled."),
                        Attr::optional("filter", Ty::String, "A [SCIM filter expression](https://datatracker.ietf.org/doc/html/rfc7644#section-3.4.2.2) that matches resources that should be provisioned to this application."),
                        Attr::nested(
                            "operations",
                            Nesting::Single,
                            vec![
                                Attr::optional("create", Ty::Bool, "Whether or not this mapping applies to create (POST) operations."),
                                Attr::optional("delete", Ty::Bool, "Whether or not this mapping applies to DELETE operations."),
                                Attr::optional("update", Ty::Bool, "Whether or not this mapping applies to update (PATCH/PUT) operations."),
                            ],
                            "Whether or not this mapping applies to creates, updates, or deletes.",
                        ).with_optional(),
                        Attr::optional("strictness", Ty::String, "The level of adherence to outbound resource schemas when provisioning to this mapping. ‘Strict’ removes unknown values, while ‘passthrough’ passes unknown values to the target.\nAvailable values: \"strict\", \"passthrough\"."),
                        Attr::optional("transform_jsonata", Ty::String, "A [JSONata](https://jsonata.org/) expression that transforms the resource before provisioning it in the application."),
                    ],
                    "A list of mappings to apply to SCIM resources before provisioning them in this application. These can transform or filter the resources to be provisioned.",
                ).with_optional(),
            ],
            "Configuration for provisioning to this application via SCIM. This is currently in closed beta.",
        ).with_optional().unsupported("gatehouse does not provision users over SCIM."),
        Attr::nested(
            "target_criteria",
            Nesting::List,
            vec![
                Attr::required("port", Ty::Number, "The port that the targets use for the chosen communication protocol. A port cannot be assigned to multiple protocols."),
                Attr::required("protocol", Ty::String, "The communication protocol your application secures.\nAvailable values: \"SSH\", \"RDP\"."),
                Attr::required("target_attributes", Ty::Map(Box::new(Ty::List(Box::new(Ty::String)))), "Contains a map of target attribute keys to target attribute values."),
            ],
            "",
        ).with_optional().unsupported("gatehouse protects self_hosted applications only; infrastructure targets are not supported."),
        Attr::optional_computed("app_launcher_visible", Ty::Bool, "Displays the application in the App Launcher.").unsupported(NO_LAUNCHER),
        Attr::optional("auto_redirect_to_identity", Ty::Bool, "When set to `true`, users skip the identity provider selection step during login. You must specify only one identity provider in allowed_idps.").unsupported(IDPS),
        Attr::optional("enable_binding_cookie", Ty::Bool, "Enables the binding cookie, which increases security against compromised authorization tokens and CSRF attacks.").unsupported(COOKIES),
        Attr::optional_computed("http_only_cookie_attribute", Ty::Bool, "Enables the HttpOnly cookie attribute, which increases security against XSS attacks.").unsupported(COOKIES),
        Attr::optional("path_cookie_attribute", Ty::Bool, "Enables cookie paths to scope an application's JWT to the application path. If disabled, the JWT will scope to the hostname by default").unsupported(COOKIES),
        Attr::optional_computed("session_duration", Ty::String, "The amount of time that tokens issued for this application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h. Note: unsupported for infrastructure type applications."),
        Attr::optional_computed("skip_app_launcher_login_page", Ty::Bool, "Determines when to skip the App Launcher landing page.").unsupported(NO_LAUNCHER),
        Attr::optional_computed("self_hosted_domains", Ty::Set(Box::new(Ty::String)), "List of public domains that Access will secure. This field is deprecated in favor of `destinations` and will be supported until **November 21, 2025.** If `destinations` are provided, then `self_hosted_domains` will be ignored."),
        Attr::optional("tags", Ty::Set(Box::new(Ty::String)), "The tags you want assigned to an application. Tags are used to filter applications in the App Launcher dashboard.").unsupported(NO_LAUNCHER),
        Attr::nested(
            "destinations",
            Nesting::List,
            vec![
                Attr::optional_computed("type", Ty::String, "Available values: \"public\", \"private\".").default(Value::str("public")),
                Attr::optional("uri", Ty::String, "The URI of the destination. Public destinations' URIs can include a domain and path with [wildcards](https://developers.cloudflare.com/cloudflare-one/policies/access/app-paths/)."),
                Attr::optional("cidr", Ty::String, "The CIDR range of the destination. Single IPs will be computed as /32.").unsupported(PRIVATE_DESTINATIONS),
                Attr::optional("hostname", Ty::String, "The hostname of the destination. Matches a valid SNI served by an HTTPS origin.").unsupported(PRIVATE_DESTINATIONS),
                Attr::optional("l4_protocol", Ty::String, "The L4 protocol of the destination. When omitted, both UDP and TCP traffic will match.\nAvailable values: \"tcp\", \"udp\".").unsupported(PRIVATE_DESTINATIONS),
                Attr::optional("port_range", Ty::String, "The port range of the destination. Can be a single port or a range of ports. When omitted, all ports will match.").unsupported(PRIVATE_DESTINATIONS),
                Attr::optional("vnet_id", Ty::String, "The VNET ID to match the destination. When omitted, all VNETs will match.").unsupported(PRIVATE_DESTINATIONS),
                Attr::optional("mcp_server_id", Ty::String, "A MCP server id configured in ai-controls. Access will secure the MCP server if accessed through a MCP portal.").unsupported(PRIVATE_DESTINATIONS),
            ],
            "List of destinations secured by Access. This supersedes `self_hosted_domains` to allow for more flexibility in defining different types of domains. If `destinations` are provided, then `self_hosted_domains` will be ignored.",
        ).with_optional().with_computed(),
        Attr::nested(
            "landing_page_design",
            Nesting::Single,
            vec![
                Attr::optional("button_color", Ty::String, "The background color of the log in button on the landing page."),
                Attr::optional("button_text_color", Ty::String, "The color of the text in the log in button on the landing page."),
                Attr::optional("image_url", Ty::String, "The URL of the image shown on the landing page."),
                Attr::optional("message", Ty::String, "The message shown on the landing page."),
                Attr::optional_computed("title", Ty::String, "The title shown on the landing page.").default(Value::str("Welcome!")),
            ],
            "The design of the App Launcher landing page shown to users when they log in.",
        ).with_optional().unsupported(NO_LAUNCHER),
        Attr::nested(
            "mfa_config",
            Nesting::Single,
            vec![
                Attr::optional("allowed_authenticators", Ty::List(Box::new(Ty::String)), "The authenticators allowed for MFA.\nAvailable values: \"totp\", \"biometrics\", \"security_key\"."),
                Attr::optional("mfa_disabled", Ty::Bool, "Whether MFA is disabled for this application."),
                Attr::optional("session_duration", Ty::String, "How often a user will be forced to re-authenticate with MFA."),
            ],
            "Configures multi-factor authentication (MFA) settings for the application. Only valid for self_hosted, ssh, vnc, and rdp application types.",
        ).with_optional().unsupported(NO_MFA),
        Attr::nested(
            "policies",
            Nesting::List,
            vec![
                Attr::optional("id", Ty::String, "The UUID of the policy"),
                Attr::optional_computed("precedence", Ty::Number, "The order of execution for this policy. Must be unique for each policy within an app."),
                Attr::optional("decision", Ty::String, "The action Access will take if a user matches this policy. Infrastructure application policies can only use the Allow action.\nAvailable values: \"allow\", \"deny\", \"non_identity\", \"bypass\".").unsupported(INLINE_POLICIES),
                rules::rule_list("include", Nesting::Set, Selectors::AppInline, Flags::Config, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_optional().unsupported(INLINE_POLICIES),
                Attr::optional("name", Ty::String, "The name of the Access policy.").unsupported(INLINE_POLICIES),
                Attr::nested(
                    "connection_rules",
                    Nesting::Single,
                    vec![
                        Attr::nested(
                            "ssh",
                            Nesting::Single,
                            vec![
                                Attr::required("usernames", Ty::List(Box::new(Ty::String)), "Contains the Unix usernames that may be used when connecting over SSH."),
                                Attr::optional("allow_email_alias", Ty::Bool, "Enables using Identity Provider email alias as SSH username."),
                            ],
                            "The SSH-specific rules that define how users may connect to the targets secured by your application.",
                        ).with_optional(),
                        Attr::nested(
                            "rdp",
                            Nesting::Single,
                            vec![
                                Attr::optional("allowed_clipboard_local_to_remote_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from local machine to remote RDP session."),
                                Attr::optional("allowed_clipboard_remote_to_local_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from remote RDP session to local machine."),
                            ],
                            "The RDP-specific rules that define clipboard behavior for RDP connections.",
                        ).with_optional(),
                    ],
                    "The rules that define how users may connect to the targets secured by your application.",
                ).with_optional().unsupported(INLINE_POLICIES),
                Attr::nested(
                    "mfa_config",
                    Nesting::Single,
                    vec![
                        Attr::optional("allowed_authenticators", Ty::List(Box::new(Ty::String)), "The authenticators allowed for MFA.\nAvailable values: \"totp\", \"biometrics\", \"security_key\", \"ssh_piv_key\"."),
                        Attr::optional("mfa_disabled", Ty::Bool, "Whether MFA is disabled for this policy."),
                        Attr::optional("session_duration", Ty::String, "How often a user will be forced to re-authenticate with MFA."),
                    ],
                    "Configures multi-factor authentication (MFA) settings for this policy. For infrastructure applications only `ssh_piv_key` is a supported authenticator; for other application types use `totp`, `biometrics`, or `security_key`.",
                ).with_optional().unsupported(INLINE_POLICIES),
                rules::rule_list("exclude", Nesting::Set, Selectors::AppInline, Flags::Config, "Rules evaluated with a NOT logical operator. To match the policy, a user cannot meet any of the Exclude rules.").with_optional().unsupported(INLINE_POLICIES),
                rules::rule_list("require", Nesting::Set, Selectors::AppInline, Flags::Config, "Rules evaluated with an AND logical operator. To match the policy, a user must meet all of the Require rules.").with_optional().unsupported(INLINE_POLICIES),
            ],
            "The policies that Access applies to the application, in ascending order of precedence. Items can reference existing policies or create new policies exclusive to the application.",
        ).with_optional(),
        Attr::nested(
            "saas_app",
            Nesting::Single,
            vec![
                Attr::optional_computed("auth_type", Ty::String, "Optional identifier indicating the authentication protocol used for the saas app. Required for OIDC. Default if unset is \"saml\"\nAvailable values: \"saml\", \"oidc\".").default(Value::str("saml")),
                Attr::optional("consumer_service_url", Ty::String, "The service provider's endpoint that is responsible for receiving and parsing a SAML assertion."),
                Attr::nested(
                    "custom_attributes",
                    Nesting::List,
                    vec![
                        Attr::optional("friendly_name", Ty::String, "The SAML FriendlyName of the attribute."),
                        Attr::optional("name", Ty::String, "The name of the attribute."),
                        Attr::optional("name_format", Ty::String, "A globally unique name for an identity or service provider.\nAvailable values: \"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified\", \"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\", \"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\"."),
                        Attr::optional("required", Ty::Bool, "If the attribute is required when building a SAML assertion."),
                        Attr::nested(
                            "source",
                            Nesting::Single,
                            vec![
                                Attr::optional("name", Ty::String, "The name of the IdP attribute."),
                                Attr::nested(
                                    "name_by_idp",
                                    Nesting::List,
                                    vec![
                                        Attr::optional("idp_id", Ty::String, "The UID of the IdP."),
                                        Attr::optional("source_name", Ty::String, "The name of the IdP provided attribute."),
                                    ],
                                    "A mapping from IdP ID to attribute name.",
                                ).with_optional(),
                            ],
                            "",
                        ).with_optional(),
                    ],
                    "",
                ).with_optional(),
                Attr::optional("default_relay_state", Ty::String, "The URL that the user will be redirected to after a successful login for IDP initiated logins."),
                Attr::optional_computed("idp_entity_id", Ty::String, "The unique identifier for your SaaS application."),
                Attr::optional_computed("name_id_format", Ty::String, "The format of the name identifier sent to the SaaS application.\nAvailable values: \"id\", \"email\"."),
                Attr::optional("name_id_transform_jsonata", Ty::String, "A [JSONata](https://jsonata.org/) expression that transforms an application's user identities into a NameID value for its SAML assertion. This expression should evaluate to a singular string. The output of this expression can override the `name_id_format` setting."),
                Attr::computed("public_key", Ty::String, "The Access public certificate that will be used to verify your identity."),
                Attr::optional("saml_attribute_transform_jsonata", Ty::String, "A [JSONata] (https://jsonata.org/) expression that transforms an application's user identities into attribute assertions in the SAML response. The expression can transform id, email, name, and groups values. It can also transform fields listed in the saml_attributes or oidc_fields of the identity provider used to authenticate. The output of this expression must be a JSON object."),
                Attr::optional("sp_entity_id", Ty::String, "A globally unique name for an identity or service provider."),
                Attr::optional_computed("sso_endpoint", Ty::String, "The endpoint where your SaaS application will send login requests."),
                Attr::optional_computed("access_token_lifetime", Ty::String, "The lifetime of the OIDC Access Token after creation. Valid units are m,h. Must be greater than or equal to 1m and less than or equal to 24h."),
                Attr::optional("allow_pkce_without_client_secret", Ty::Bool, "If client secret should be required on the token endpoint when authorization_code_with_pkce grant is used."),
                Attr::optional("app_launcher_url", Ty::String, "The URL where this applications tile redirects users"),
                Attr::computed("client_id", Ty::String, "The application client id"),
                Attr::computed("client_secret", Ty::String, "The application client secret, only returned on POST request.").sensitive(),
                Attr::nested(
                    "custom_claims",
                    Nesting::List,
                    vec![
                        Attr::optional("name", Ty::String, "The name of the claim."),
                        Attr::optional("required", Ty::Bool, "If the claim is required when building an OIDC token."),
                        Attr::optional("scope", Ty::String, "The scope of the claim.\nAvailable values: \"groups\", \"profile\", \"email\", \"openid\"."),
                        Attr::nested(
                            "source",
                            Nesting::Single,
                            vec![
                                Attr::optional("name", Ty::String, "The name of the IdP claim."),
                                Attr::optional("name_by_idp", Ty::Map(Box::new(Ty::String)), "A mapping from IdP ID to claim name."),
                            ],
                            "",
                        ).with_optional(),
                    ],
                    "",
                ).with_optional(),
                Attr::optional("grant_types", Ty::List(Box::new(Ty::String)), "The OIDC flows supported by this application"),
                Attr::optional("group_filter_regex", Ty::String, "A regex to filter Cloudflare groups returned in ID token and userinfo endpoint"),
                Attr::nested(
                    "hybrid_and_implicit_options",
                    Nesting::Single,
                    vec![
                        Attr::optional("return_access_token_from_authorization_endpoint", Ty::Bool, "If an Access Token should be returned from the OIDC Authorization endpoint"),
                        Attr::optional("return_id_token_from_authorization_endpoint", Ty::Bool, "If an ID Token should be returned from the OIDC Authorization endpoint"),
                    ],
                    "",
                ).with_optional(),
                Attr::optional("redirect_uris", Ty::List(Box::new(Ty::String)), "The permitted URL's for Cloudflare to return Authorization codes and Access/ID tokens"),
                Attr::nested(
                    "refresh_token_options",
                    Nesting::Single,
                    vec![
                        Attr::optional("lifetime", Ty::String, "How long a refresh token will be valid for after creation. Valid units are m,h,d. Must be longer than 1m."),
                    ],
                    "",
                ).with_optional(),
                Attr::optional("scopes", Ty::List(Box::new(Ty::String)), "Define the user information shared with access, \"offline_access\" scope will be automatically enabled if refresh tokens are enabled"),
            ],
            "",
        ).with_optional().unsupported("gatehouse protects self_hosted applications only; SaaS (SAML/OIDC) applications are not supported."),
        Attr::computed("aud", Ty::String, "Audience tag.").keep_on_update(),
    ]
}

/// `data "cloudflare_zero_trust_access_application"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn application_data() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "Identifier."),
        Attr::optional("app_id", Ty::String, "Identifier."),
        Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID."),
        Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.").unsupported(NO_ZONES),
        Attr::computed("allow_authenticate_via_warp", Ty::Bool, "When set to true, users can authenticate to this application using their WARP session.  When set to false this application will always require direct IdP authentication. This setting always overrides the organization setting for WARP authentication."),
        Attr::computed("allow_iframe", Ty::Bool, "Enables loading application content in an iFrame."),
        Attr::computed("app_launcher_logo_url", Ty::String, "The image URL of the logo shown in the App Launcher header."),
        Attr::computed("app_launcher_visible", Ty::Bool, "Displays the application in the App Launcher."),
        Attr::computed("aud", Ty::String, "Audience tag."),
        Attr::computed("auto_redirect_to_identity", Ty::Bool, "When set to `true`, users skip the identity provider selection step during login. You must specify only one identity provider in allowed_idps."),
        Attr::computed("bg_color", Ty::String, "The background color of the App Launcher page."),
        Attr::computed("custom_deny_message", Ty::String, "The custom error message shown to a user when they are denied access to the application."),
        Attr::computed("custom_deny_url", Ty::String, "The custom URL a user is redirected to when they are denied access to the application when failing identity-based rules."),
        Attr::computed("custom_non_identity_deny_url", Ty::String, "The custom URL a user is redirected to when they are denied access to the application when failing non-identity rules."),
        Attr::computed("domain", Ty::String, "The primary hostname and path secured by Access. This domain will be displayed if the app is visible in the App Launcher."),
        Attr::computed("enable_binding_cookie", Ty::Bool, "Enables the binding cookie, which increases security against compromised authorization tokens and CSRF attacks."),
        Attr::computed("header_bg_color", Ty::String, "The background color of the App Launcher header."),
        Attr::computed("http_only_cookie_attribute", Ty::Bool, "Enables the HttpOnly cookie attribute, which increases security against XSS attacks."),
        Attr::computed("logo_url", Ty::String, "The image URL for the logo shown in the App Launcher dashboard."),
        Attr::computed("name", Ty::String, "The name of the application."),
        Attr::computed("options_preflight_bypass", Ty::Bool, "Allows options preflight requests to bypass Access authentication and go directly to the origin. Cannot turn on if cors_headers is set."),
        Attr::computed("path_cookie_attribute", Ty::Bool, "Enables cookie paths to scope an application's JWT to the application path. If disabled, the JWT will scope to the hostname by default"),
        Attr::computed("read_service_tokens_from_header", Ty::String, "Allows matching Access Service Tokens passed HTTP in a single header with this name.\nThis works as an alternative to the (CF-Access-Client-Id, CF-Access-Client-Secret) pair of headers.\nThe header value will be interpreted as a json object similar to: \n  {\n    \"cf-access-client-id\": \"88bf3b6d86161464f6509f7219099e57.access.example.com\",\n    \"cf-access-client-secret\": \"bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5\"\n  }"),
        Attr::computed("same_site_cookie_attribute", Ty::String, "Sets the SameSite cookie setting, which provides increased security against CSRF attacks."),
        Attr::computed("service_auth_401_redirect", Ty::Bool, "Returns a 401 status code when the request is blocked by a Service Auth policy."),
        Attr::computed("session_duration", Ty::String, "The amount of time that tokens issued for this application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h. Note: unsupported for infrastructure type applications."),
        Attr::computed("skip_app_launcher_login_page", Ty::Bool, "Determines when to skip the App Launcher landing page."),
        Attr::computed("skip_interstitial", Ty::Bool, "Enables automatic authentication through cloudflared."),
        Attr::computed("type", Ty::String, "The application type.\nAvailable values: \"self_hosted\", \"saas\", \"ssh\", \"vnc\", \"app_launcher\", \"warp\", \"biso\", \"bookmark\", \"dash_sso\", \"infrastructure\", \"rdp\", \"mcp\", \"mcp_portal\"."),
        Attr::computed("allowed_idps", Ty::List(Box::new(Ty::String)), "The identity providers your users can select when connecting to this application. Defaults to all IdPs configured in your account."),
        Attr::computed("custom_pages", Ty::List(Box::new(Ty::String)), "The custom pages that will be displayed when applicable for this application"),
        Attr::computed("self_hosted_domains", Ty::List(Box::new(Ty::String)), "List of public domains that Access will secure. This field is deprecated in favor of `destinations` and will be supported until **November 21, 2025.** If `destinations` are provided, then `self_hosted_domains` will be ignored."),
        Attr::computed("tags", Ty::Set(Box::new(Ty::String)), "The tags you want assigned to an application. Tags are used to filter applications in the App Launcher dashboard."),
        Attr::nested(
            "cors_headers",
            Nesting::Single,
            vec![
                Attr::computed("allow_all_headers", Ty::Bool, "Allows all HTTP request headers."),
                Attr::computed("allow_all_methods", Ty::Bool, "Allows all HTTP request methods."),
                Attr::computed("allow_all_origins", Ty::Bool, "Allows all origins."),
                Attr::computed("allow_credentials", Ty::Bool, "When set to `true`, includes credentials (cookies, authorization headers, or TLS client certificates) with requests."),
                Attr::computed("allowed_headers", Ty::List(Box::new(Ty::String)), "Allowed HTTP request headers."),
                Attr::computed("allowed_methods", Ty::List(Box::new(Ty::String)), "Allowed HTTP request methods."),
                Attr::computed("allowed_origins", Ty::List(Box::new(Ty::String)), "Allowed origins."),
                Attr::computed("max_age", Ty::Number, "The maximum number of seconds the results of a preflight request can be cached."),
            ],
            "",
        ).with_computed(),
        Attr::nested(
            "destinations",
            Nesting::List,
            vec![
                Attr::computed("type", Ty::String, "Available values: \"public\", \"private\"."),
                Attr::computed("uri", Ty::String, "The URI of the destination. Public destinations' URIs can include a domain and path with [wildcards](https://developers.cloudflare.com/cloudflare-one/policies/access/app-paths/)."),
                Attr::computed("cidr", Ty::String, "The CIDR range of the destination. Single IPs will be computed as /32."),
                Attr::computed("hostname", Ty::String, "The hostname of the destination. Matches a valid SNI served by an HTTPS origin."),
                Attr::computed("l4_protocol", Ty::String, "The L4 protocol of the destination. When omitted, both UDP and TCP traffic will match.\nAvailable values: \"tcp\", \"udp\"."),
                Attr::computed("port_range", Ty::String, "The port range of the destination. Can be a single port or a range of ports. When omitted, all ports will match."),
                Attr::computed("vnet_id", Ty::String, "The VNET ID to match the destination. When omitted, all VNETs will match."),
                Attr::optional("mcp_server_id", Ty::String, "A MCP server id configured in ai-controls. Access will secure the MCP server if accessed through a MCP portal."),
            ],
            "List of destinations secured by Access. This supersedes `self_hosted_domains` to allow for more flexibility in defining different types of domains. If `destinations` are provided, then `self_hosted_domains` will be ignored.",
        ).with_computed(),
        Attr::nested(
            "footer_links",
            Nesting::List,
            vec![
                Attr::computed("name", Ty::String, "The hypertext in the footer link."),
                Attr::computed("url", Ty::String, "the hyperlink in the footer link."),
            ],
            "The links in the App Launcher footer.",
        ).with_computed(),
        Attr::nested(
            "landing_page_design",
            Nesting::Single,
            vec![
                Attr::computed("button_color", Ty::String, "The background color of the log in button on the landing page."),
                Attr::computed("button_text_color", Ty::String, "The color of the text in the log in button on the landing page."),
                Attr::computed("image_url", Ty::String, "The URL of the image shown on the landing page."),
                Attr::computed("message", Ty::String, "The message shown on the landing page."),
                Attr::computed("title", Ty::String, "The title shown on the landing page."),
            ],
            "The design of the App Launcher landing page shown to users when they log in.",
        ).with_computed(),
        Attr::nested(
            "mfa_config",
            Nesting::Single,
            vec![
                Attr::computed("allowed_authenticators", Ty::List(Box::new(Ty::String)), "The authenticators allowed for MFA.\nAvailable values: \"totp\", \"biometrics\", \"security_key\"."),
                Attr::computed("mfa_disabled", Ty::Bool, "Whether MFA is disabled for this application."),
                Attr::computed("session_duration", Ty::String, "How often a user will be forced to re-authenticate with MFA."),
            ],
            "Configures multi-factor authentication (MFA) settings for the application. Only valid for self_hosted, ssh, vnc, and rdp application types.",
        ).with_computed(),
        Attr::nested(
            "policies",
            Nesting::List,
            vec![
                Attr::computed("id", Ty::String, "The UUID of the policy"),
                Attr::nested(
                    "approval_groups",
                    Nesting::Set,
                    vec![
                        Attr::computed("approvals_needed", Ty::Number, "The number of approvals needed to obtain access."),
                        Attr::computed("email_addresses", Ty::List(Box::new(Ty::String)), "A list of emails that can approve the access request."),
                        Attr::computed("email_list_uuid", Ty::String, "The UUID of an re-usable email list."),
                    ],
                    "Administrators who can approve a temporary authentication request.",
                ).with_computed(),
                Attr::computed("approval_required", Ty::Bool, "Requires the user to request access from an administrator at the start of each session."),
                Attr::computed("created_at", Ty::String, ""),
                Attr::computed("decision", Ty::String, "The action Access will take if a user matches this policy. Infrastructure application policies can only use the Allow action.\nAvailable values: \"allow\", \"deny\", \"non_identity\", \"bypass\"."),
                rules::rule_list("exclude", Nesting::Set, Selectors::AppInline, Flags::Computed, "Rules evaluated with a NOT logical operator. To match the policy, a user cannot meet any of the Exclude rules.").with_computed(),
                rules::rule_list("include", Nesting::Set, Selectors::AppInline, Flags::Computed, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_computed(),
                Attr::computed("isolation_required", Ty::Bool, "Require this application to be served in an isolated browser for users matching this policy. 'Client Web Isolation' must be on for the account in order to use this feature."),
                Attr::computed("name", Ty::String, "The name of the Access policy."),
                Attr::computed("precedence", Ty::Number, "The order of execution for this policy. Must be unique for each policy within an app."),
                Attr::computed("purpose_justification_prompt", Ty::String, "A custom message that will appear on the purpose justification screen."),
                Attr::computed("purpose_justification_required", Ty::Bool, "Require users to enter a justification when they log in to the application."),
                rules::rule_list("require", Nesting::Set, Selectors::AppInline, Flags::Computed, "Rules evaluated with an AND logical operator. To match the policy, a user must meet all of the Require rules.").with_computed(),
                Attr::computed("session_duration", Ty::String, "The amount of time that tokens issued for the application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h."),
                Attr::computed("updated_at", Ty::String, ""),
                Attr::nested(
                    "connection_rules",
                    Nesting::Single,
                    vec![
                        Attr::nested(
                            "ssh",
                            Nesting::Single,
                            vec![
                                Attr::computed("usernames", Ty::List(Box::new(Ty::String)), "Contains the Unix usernames that may be used when connecting over SSH."),
                                Attr::computed("allow_email_alias", Ty::Bool, "Enables using Identity Provider email alias as SSH username."),
                            ],
                            "The SSH-specific rules that define how users may connect to the targets secured by your application.",
                        ).with_computed(),
                    ],
                    "The rules that define how users may connect to the targets secured by your application.",
                ).with_computed(),
                Attr::nested(
                    "mfa_config",
                    Nesting::Single,
                    vec![
                        Attr::computed("allowed_authenticators", Ty::List(Box::new(Ty::String)), "The authenticators allowed for MFA.\nAvailable values: \"totp\", \"biometrics\", \"security_key\", \"ssh_piv_key\"."),
                        Attr::computed("mfa_disabled", Ty::Bool, "Whether MFA is disabled for this policy."),
                        Attr::computed("session_duration", Ty::String, "How often a user will be forced to re-authenticate with MFA."),
                    ],
                    "Configures multi-factor authentication (MFA) settings for this policy.",
                ).with_computed(),
            ],
            "",
        ).with_computed(),
        Attr::nested(
            "saas_app",
            Nesting::Single,
            vec![
                Attr::computed("auth_type", Ty::String, "Optional identifier indicating the authentication protocol used for the saas app. Required for OIDC. Default if unset is \"saml\"\nAvailable values: \"saml\", \"oidc\"."),
                Attr::computed("consumer_service_url", Ty::String, "The service provider's endpoint that is responsible for receiving and parsing a SAML assertion."),
                Attr::nested(
                    "custom_attributes",
                    Nesting::List,
                    vec![
                        Attr::computed("friendly_name", Ty::String, "The SAML FriendlyName of the attribute."),
                        Attr::computed("name", Ty::String, "The name of the attribute."),
                        Attr::computed("name_format", Ty::String, "A globally unique name for an identity or service provider.\nAvailable values: \"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified\", \"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\", \"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\"."),
                        Attr::computed("required", Ty::Bool, "If the attribute is required when building a SAML assertion."),
                        Attr::nested(
                            "source",
                            Nesting::Single,
                            vec![
                                Attr::computed("name", Ty::String, "The name of the IdP attribute."),
                                Attr::nested(
                                    "name_by_idp",
                                    Nesting::List,
                                    vec![
                                        Attr::computed("idp_id", Ty::String, "The UID of the IdP."),
                                        Attr::computed("source_name", Ty::String, "The name of the IdP provided attribute."),
                                    ],
                                    "A mapping from IdP ID to attribute name.",
                                ).with_computed(),
                            ],
                            "",
                        ).with_computed(),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("default_relay_state", Ty::String, "The URL that the user will be redirected to after a successful login for IDP initiated logins."),
                Attr::computed("idp_entity_id", Ty::String, "The unique identifier for your SaaS application."),
                Attr::computed("name_id_format", Ty::String, "The format of the name identifier sent to the SaaS application.\nAvailable values: \"id\", \"email\"."),
                Attr::computed("name_id_transform_jsonata", Ty::String, "A [JSONata](https://jsonata.org/) expression that transforms an application's user identities into a NameID value for its SAML assertion. This expression should evaluate to a singular string. The output of this expression can override the `name_id_format` setting."),
                Attr::computed("public_key", Ty::String, "The Access public certificate that will be used to verify your identity."),
                Attr::computed("saml_attribute_transform_jsonata", Ty::String, "A [JSONata] (https://jsonata.org/) expression that transforms an application's user identities into attribute assertions in the SAML response. The expression can transform id, email, name, and groups values. It can also transform fields listed in the saml_attributes or oidc_fields of the identity provider used to authenticate. The output of this expression must be a JSON object."),
                Attr::computed("sp_entity_id", Ty::String, "A globally unique name for an identity or service provider."),
                Attr::computed("sso_endpoint", Ty::String, "The endpoint where your SaaS application will send login requests."),
                Attr::computed("access_token_lifetime", Ty::String, "The lifetime of the OIDC Access Token after creation. Valid units are m,h. Must be greater than or equal to 1m and less than or equal to 24h."),
                Attr::computed("allow_pkce_without_client_secret", Ty::Bool, "If client secret should be required on the token endpoint when authorization_code_with_pkce grant is used."),
                Attr::computed("app_launcher_url", Ty::String, "The URL where this applications tile redirects users"),
                Attr::computed("client_id", Ty::String, "The application client id"),
                Attr::computed("client_secret", Ty::String, "The application client secret, only returned on POST request.").sensitive(),
                Attr::nested(
                    "custom_claims",
                    Nesting::List,
                    vec![
                        Attr::computed("name", Ty::String, "The name of the claim."),
                        Attr::computed("required", Ty::Bool, "If the claim is required when building an OIDC token."),
                        Attr::computed("scope", Ty::String, "The scope of the claim.\nAvailable values: \"groups\", \"profile\", \"email\", \"openid\"."),
                        Attr::nested(
                            "source",
                            Nesting::Single,
                            vec![
                                Attr::computed("name", Ty::String, "The name of the IdP claim."),
                                Attr::computed("name_by_idp", Ty::Map(Box::new(Ty::String)), "A mapping from IdP ID to claim name."),
                            ],
                            "",
                        ).with_computed(),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("grant_types", Ty::List(Box::new(Ty::String)), "The OIDC flows supported by this application"),
                Attr::computed("group_filter_regex", Ty::String, "A regex to filter Cloudflare groups returned in ID token and userinfo endpoint"),
                Attr::nested(
                    "hybrid_and_implicit_options",
                    Nesting::Single,
                    vec![
                        Attr::computed("return_access_token_from_authorization_endpoint", Ty::Bool, "If an Access Token should be returned from the OIDC Authorization endpoint"),
                        Attr::computed("return_id_token_from_authorization_endpoint", Ty::Bool, "If an ID Token should be returned from the OIDC Authorization endpoint"),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("redirect_uris", Ty::List(Box::new(Ty::String)), "The permitted URL's for Cloudflare to return Authorization codes and Access/ID tokens"),
                Attr::nested(
                    "refresh_token_options",
                    Nesting::Single,
                    vec![
                        Attr::computed("lifetime", Ty::String, "How long a refresh token will be valid for after creation. Valid units are m,h,d. Must be longer than 1m."),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("scopes", Ty::List(Box::new(Ty::String)), "Define the user information shared with access, \"offline_access\" scope will be automatically enabled if refresh tokens are enabled"),
            ],
            "",
        ).with_computed(),
        Attr::nested(
            "scim_config",
            Nesting::Single,
            vec![
                Attr::computed("idp_uid", Ty::String, "The UID of the IdP to use as the source for SCIM resources to provision to this application."),
                Attr::computed("remote_uri", Ty::String, "The base URI for the application's SCIM-compatible API."),
                Attr::nested(
                    "authentication",
                    Nesting::Single,
                    vec![
                        Attr::computed("password", Ty::String, "Password used to authenticate with the remote SCIM service."),
                        Attr::computed("scheme", Ty::String, "The authentication scheme to use when making SCIM requests to this application.\nAvailable values: \"httpbasic\", \"oauthbearertoken\", \"oauth2\", \"access_service_token\"."),
                        Attr::computed("user", Ty::String, "User name used to authenticate with the remote SCIM service."),
                        Attr::computed("token", Ty::String, "Token used to authenticate with the remote SCIM service.").sensitive(),
                        Attr::computed("authorization_url", Ty::String, "URL used to generate the auth code used during token generation."),
                        Attr::computed("client_id", Ty::String, "Client ID used to authenticate when generating a token for authenticating with the remote SCIM service."),
                        Attr::computed("client_secret", Ty::String, "Secret used to authenticate when generating a token for authenticating with the remove SCIM service.").sensitive(),
                        Attr::computed("token_url", Ty::String, "URL used to generate the token used to authenticate with the remote SCIM service."),
                        Attr::computed("scopes", Ty::List(Box::new(Ty::String)), "The authorization scopes to request when generating the token used to authenticate with the remove SCIM service."),
                    ],
                    "Attributes for configuring HTTP Basic authentication scheme for SCIM provisioning to an application.",
                ).with_computed(),
                Attr::computed("deactivate_on_delete", Ty::Bool, "If false, propagates DELETE requests to the target application for SCIM resources. If true, sets 'active' to false on the SCIM resource. Note: Some targets do not support DELETE operations."),
                Attr::computed("enabled", Ty::Bool, "Whether SCIM provisioning is turned on for this application."),
                Attr::nested(
                    "mappings",
                    Nesting::List,
                    vec![
                        Attr::computed("schema", Ty::String, "Which SCIM resource type this mapping applies to."),
                        Attr::computed("enabled", Ty::Bool, "Whether or not this mapping is enabled."),
                        Attr::computed("filter", Ty::String, "A [SCIM filter expression](https://datatracker.ietf.org/doc/html/rfc7644#section-3.4.2.2) that matches resources that should be provisioned to this application."),
                        Attr::nested(
                            "operations",
                            Nesting::Single,
                            vec![
                                Attr::computed("create", Ty::Bool, "Whether or not this mapping applies to create (POST) operations."),
                                Attr::computed("delete", Ty::Bool, "Whether or not this mapping applies to DELETE operations."),
                                Attr::computed("update", Ty::Bool, "Whether or not this mapping applies to update (PATCH/PUT) operations."),
                            ],
                            "Whether or not this mapping applies to creates, updates, or deletes.",
                        ).with_computed(),
                        Attr::computed("strictness", Ty::String, "The level of adherence to outbound resource schemas when provisioning to this mapping. ‘Strict’ removes unknown values, while ‘passthrough’ passes unknown values to the target.\nAvailable values: \"strict\", \"passthrough\"."),
                        Attr::computed("transform_jsonata", Ty::String, "A [JSONata](https://jsonata.org/) expression that transforms the resource before provisioning it in the application."),
                    ],
                    "A list of mappings to apply to SCIM resources before provisioning them in this application. These can transform or filter the resources to be provisioned.",
                ).with_computed(),
            ],
            "Configuration for provisioning to this application via SCIM. This is currently in closed beta.",
        ).with_computed(),
        Attr::nested(
            "target_criteria",
            Nesting::List,
            vec![
                Attr::computed("port", Ty::Number, "The port that the targets use for the chosen communication protocol. A port cannot be assigned to multiple protocols."),
                Attr::computed("protocol", Ty::String, "The communication protocol your application secures.\nAvailable values: \"SSH\", \"RDP\"."),
                Attr::computed("target_attributes", Ty::Map(Box::new(Ty::List(Box::new(Ty::String)))), "Contains a map of target attribute keys to target attribute values."),
            ],
            "",
        ).with_computed(),
        Attr::nested(
            "filter",
            Nesting::Single,
            vec![
                Attr::optional("aud", Ty::String, "The aud of the app."),
                Attr::optional("domain", Ty::String, "The domain of the app."),
                Attr::optional("exact", Ty::Bool, "True for only exact string matches against passed name/domain query parameters."),
                Attr::optional("name", Ty::String, "The name of the app."),
                Attr::optional("search", Ty::String, "Search for apps by other listed query parameters."),
            ],
            "",
        ).with_optional(),
    ]
}

/// `data "cloudflare_zero_trust_access_applications"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn applications_data() -> Vec<Attr> {
    vec![
        Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID."),
        Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.").unsupported(NO_ZONES),
        Attr::optional("aud", Ty::String, "The aud of the app."),
        Attr::optional("domain", Ty::String, "The domain of the app."),
        Attr::optional("exact", Ty::Bool, "True for only exact string matches against passed name/domain query parameters."),
        Attr::optional("name", Ty::String, "The name of the app."),
        Attr::optional("search", Ty::String, "Search for apps by other listed query parameters."),
        Attr::optional("max_items", Ty::Number, "Max items to fetch, default: 1000"),
        Attr::nested(
            "result",
            Nesting::List,
            vec![
                Attr::computed("domain", Ty::String, "The primary hostname and path secured by Access. This domain will be displayed if the app is visible in the App Launcher."),
                Attr::computed("type", Ty::String, "The application type.\nAvailable values: \"self_hosted\", \"saas\", \"ssh\", \"vnc\", \"app_launcher\", \"warp\", \"biso\", \"bookmark\", \"dash_sso\", \"infrastructure\", \"rdp\", \"mcp\", \"mcp_portal\"."),
                Attr::computed("id", Ty::String, "UUID."),
                Attr::computed("allow_authenticate_via_warp", Ty::Bool, "When set to true, users can authenticate to this application using their WARP session.  When set to false this application will always require direct IdP authentication. This setting always overrides the organization setting for WARP authentication."),
                Attr::computed("allow_iframe", Ty::Bool, "Enables loading application content in an iFrame."),
                Attr::computed("allowed_idps", Ty::List(Box::new(Ty::String)), "The identity providers your users can select when connecting to this application. Defaults to all IdPs configured in your account."),
                Attr::computed("app_launcher_visible", Ty::Bool, "Displays the application in the App Launcher."),
                Attr::computed("aud", Ty::String, "Audience tag."),
                Attr::computed("auto_redirect_to_identity", Ty::Bool, "When set to `true`, users skip the identity provider selection step during login. You must specify only one identity provider in allowed_idps."),
                Attr::nested(
                    "cors_headers",
                    Nesting::Single,
                    vec![
                        Attr::computed("allow_all_headers", Ty::Bool, "Allows all HTTP request headers."),
                        Attr::computed("allow_all_methods", Ty::Bool, "Allows all HTTP request methods."),
                        Attr::computed("allow_all_origins", Ty::Bool, "Allows all origins."),
                        Attr::computed("allow_credentials", Ty::Bool, "When set to `true`, includes credentials (cookies, authorization headers, or TLS client certificates) with requests."),
                        Attr::computed("allowed_headers", Ty::List(Box::new(Ty::String)), "Allowed HTTP request headers."),
                        Attr::computed("allowed_methods", Ty::List(Box::new(Ty::String)), "Allowed HTTP request methods."),
                        Attr::computed("allowed_origins", Ty::List(Box::new(Ty::String)), "Allowed origins."),
                        Attr::computed("max_age", Ty::Number, "The maximum number of seconds the results of a preflight request can be cached."),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("custom_deny_message", Ty::String, "The custom error message shown to a user when they are denied access to the application."),
                Attr::computed("custom_deny_url", Ty::String, "The custom URL a user is redirected to when they are denied access to the application when failing identity-based rules."),
                Attr::computed("custom_non_identity_deny_url", Ty::String, "The custom URL a user is redirected to when they are denied access to the application when failing non-identity rules."),
                Attr::computed("custom_pages", Ty::List(Box::new(Ty::String)), "The custom pages that will be displayed when applicable for this application"),
                Attr::nested(
                    "destinations",
                    Nesting::List,
                    vec![
                        Attr::computed("type", Ty::String, "Available values: \"public\", \"private\"."),
                        Attr::computed("uri", Ty::String, "The URI of the destination. Public destinations' URIs can include a domain and path with [wildcards](https://developers.cloudflare.com/cloudflare-one/policies/access/app-paths/)."),
                        Attr::computed("cidr", Ty::String, "The CIDR range of the destination. Single IPs will be computed as /32."),
                        Attr::computed("hostname", Ty::String, "The hostname of the destination. Matches a valid SNI served by an HTTPS origin."),
                        Attr::computed("l4_protocol", Ty::String, "The L4 protocol of the destination. When omitted, both UDP and TCP traffic will match.\nAvailable values: \"tcp\", \"udp\"."),
                        Attr::computed("port_range", Ty::String, "The port range of the destination. Can be a single port or a range of ports. When omitted, all ports will match."),
                        Attr::computed("vnet_id", Ty::String, "The VNET ID to match the destination. When omitted, all VNETs will match."),
                        Attr::optional("mcp_server_id", Ty::String, "A MCP server id configured in ai-controls. Access will secure the MCP server if accessed through a MCP portal."),
                    ],
                    "List of destinations secured by Access. This supersedes `self_hosted_domains` to allow for more flexibility in defining different types of domains. If `destinations` are provided, then `self_hosted_domains` will be ignored.",
                ).with_computed(),
                Attr::computed("enable_binding_cookie", Ty::Bool, "Enables the binding cookie, which increases security against compromised authorization tokens and CSRF attacks."),
                Attr::computed("http_only_cookie_attribute", Ty::Bool, "Enables the HttpOnly cookie attribute, which increases security against XSS attacks."),
                Attr::computed("logo_url", Ty::String, "The image URL for the logo shown in the App Launcher dashboard."),
                Attr::computed("name", Ty::String, "The name of the application."),
                Attr::computed("options_preflight_bypass", Ty::Bool, "Allows options preflight requests to bypass Access authentication and go directly to the origin. Cannot turn on if cors_headers is set."),
                Attr::computed("path_cookie_attribute", Ty::Bool, "Enables cookie paths to scope an application's JWT to the application path. If disabled, the JWT will scope to the hostname by default"),
                Attr::nested(
                    "policies",
                    Nesting::List,
                    vec![
                        Attr::computed("id", Ty::String, "The UUID of the policy"),
                        Attr::nested(
                            "approval_groups",
                            Nesting::Set,
                            vec![
                                Attr::computed("approvals_needed", Ty::Number, "The number of approvals needed to obtain access."),
                                Attr::computed("email_addresses", Ty::List(Box::new(Ty::String)), "A list of emails that can approve the access request."),
                                Attr::computed("email_list_uuid", Ty::String, "The UUID of an re-usable email list."),
                            ],
                            "Administrators who can approve a temporary authentication request.",
                        ).with_computed(),
                        Attr::computed("approval_required", Ty::Bool, "Requires the user to request access from an administrator at the start of each session."),
                        Attr::computed("created_at", Ty::String, ""),
                        Attr::computed("decision", Ty::String, "The action Access will take if a user matches this policy. Infrastructure application policies can only use the Allow action.\nAvailable values: \"allow\", \"deny\", \"non_identity\", \"bypass\"."),
                        rules::rule_list("exclude", Nesting::Set, Selectors::AppInline, Flags::Computed, "Rules evaluated with a NOT logical operator. To match the policy, a user cannot meet any of the Exclude rules.").with_computed(),
                        rules::rule_list("include", Nesting::Set, Selectors::AppInline, Flags::Computed, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_computed(),
                        Attr::computed("isolation_required", Ty::Bool, "Require this application to be served in an isolated browser for users matching this policy. 'Client Web Isolation' must be on for the account in order to use this feature."),
                        Attr::computed("name", Ty::String, "The name of the Access policy."),
                        Attr::computed("precedence", Ty::Number, "The order of execution for this policy. Must be unique for each policy within an app."),
                        Attr::computed("purpose_justification_prompt", Ty::String, "A custom message that will appear on the purpose justification screen."),
                        Attr::computed("purpose_justification_required", Ty::Bool, "Require users to enter a justification when they log in to the application."),
                        rules::rule_list("require", Nesting::Set, Selectors::AppInline, Flags::Computed, "Rules evaluated with an AND logical operator. To match the policy, a user must meet all of the Require rules.").with_computed(),
                        Attr::computed("session_duration", Ty::String, "The amount of time that tokens issued for the application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h."),
                        Attr::computed("updated_at", Ty::String, ""),
                        Attr::nested(
                            "connection_rules",
                            Nesting::Single,
                            vec![
                                Attr::nested(
                                    "ssh",
                                    Nesting::Single,
                                    vec![
                                        Attr::computed("usernames", Ty::List(Box::new(Ty::String)), "Contains the Unix usernames that may be used when connecting over SSH."),
                                        Attr::computed("allow_email_alias", Ty::Bool, "Enables using Identity Provider email alias as SSH username."),
                                    ],
                                    "The SSH-specific rules that define how users may connect to the targets secured by your application.",
                                ).with_computed(),
                            ],
                            "The rules that define how users may connect to the targets secured by your application.",
                        ).with_computed(),
                        Attr::nested(
                            "mfa_config",
                            Nesting::Single,
                            vec![
                                Attr::computed("allowed_authenticators", Ty::List(Box::new(Ty::String)), "The authenticators allowed for MFA.\nAvailable values: \"totp\", \"biometrics\", \"security_key\", \"ssh_piv_key\"."),
                                Attr::computed("mfa_disabled", Ty::Bool, "Whether MFA is disabled for this policy."),
                                Attr::computed("session_duration", Ty::String, "How often a user will be forced to re-authenticate with MFA."),
                            ],
                            "Configures multi-factor authentication (MFA) settings for this policy.",
                        ).with_computed(),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("read_service_tokens_from_header", Ty::String, "Allows matching Access Service Tokens passed HTTP in a single header with this name.\nThis works as an alternative to the (CF-Access-Client-Id, CF-Access-Client-Secret) pair of headers.\nThe header value will be interpreted as a json object similar to: \n  {\n    \"cf-access-client-id\": \"88bf3b6d86161464f6509f7219099e57.access.example.com\",\n    \"cf-access-client-secret\": \"bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5\"\n  }"),
                Attr::computed("same_site_cookie_attribute", Ty::String, "Sets the SameSite cookie setting, which provides increased security against CSRF attacks."),
                Attr::nested(
                    "scim_config",
                    Nesting::Single,
                    vec![
                        Attr::computed("idp_uid", Ty::String, "The UID of the IdP to use as the source for SCIM resources to provision to this application."),
                        Attr::computed("remote_uri", Ty::String, "The base URI for the application's SCIM-compatible API."),
                        Attr::nested(
                            "authentication",
                            Nesting::Single,
                            vec![
                                Attr::computed("password", Ty::String, "Password used to authenticate with the remote SCIM service."),
                                Attr::computed("scheme", Ty::String, "The authentication scheme to use when making SCIM requests to this application.\nAvailable values: \"httpbasic\", \"oauthbearertoken\", \"oauth2\", \"access_service_token\"."),
                                Attr::computed("user", Ty::String, "User name used to authenticate with the remote SCIM service."),
                                Attr::computed("token", Ty::String, "Token used to authenticate with the remote SCIM service.").sensitive(),
                                Attr::computed("authorization_url", Ty::String, "URL used to generate the auth code used during token generation."),
                                Attr::computed("client_id", Ty::String, "Client ID used to authenticate when generating a token for authenticating with the remote SCIM service."),
                                Attr::computed("client_secret", Ty::String, "Secret used to authenticate when generating a token for authenticating with the remove SCIM service.").sensitive(),
                                Attr::computed("token_url", Ty::String, "URL used to generate the token used to authenticate with the remote SCIM service."),
                                Attr::computed("scopes", Ty::List(Box::new(Ty::String)), "The authorization scopes to request when generating the token used to authenticate with the remove SCIM service."),
                            ],
                            "Attributes for configuring HTTP Basic authentication scheme for SCIM provisioning to an application.",
                        ).with_computed(),
                        Attr::computed("deactivate_on_delete", Ty::Bool, "If false, propagates DELETE requests to the target application for SCIM resources. If true, sets 'active' to false on the SCIM resource. Note: Some targets do not support DELETE operations."),
                        Attr::computed("enabled", Ty::Bool, "Whether SCIM provisioning is turned on for this application."),
                        Attr::nested(
                            "mappings",
                            Nesting::List,
                            vec![
                                Attr::computed("schema", Ty::String, "Which SCIM resource type this mapping applies to."),
                                Attr::computed("enabled", Ty::Bool, "Whether or not this mapping is enabled."),
                                Attr::computed("filter", Ty::String, "A [SCIM filter expression](https://datatracker.ietf.org/doc/html/rfc7644#section-3.4.2.2) that matches resources that should be provisioned to this application."),
                                Attr::nested(
                                    "operations",
                                    Nesting::Single,
                                    vec![
                                        Attr::computed("create", Ty::Bool, "Whether or not this mapping applies to create (POST) operations."),
                                        Attr::computed("delete", Ty::Bool, "Whether or not this mapping applies to DELETE operations."),
                                        Attr::computed("update", Ty::Bool, "Whether or not this mapping applies to update (PATCH/PUT) operations."),
                                    ],
                                    "Whether or not this mapping applies to creates, updates, or deletes.",
                                ).with_computed(),
                                Attr::computed("strictness", Ty::String, "The level of adherence to outbound resource schemas when provisioning to this mapping. ‘Strict’ removes unknown values, while ‘passthrough’ passes unknown values to the target.\nAvailable values: \"strict\", \"passthrough\"."),
                                Attr::computed("transform_jsonata", Ty::String, "A [JSONata](https://jsonata.org/) expression that transforms the resource before provisioning it in the application."),
                            ],
                            "A list of mappings to apply to SCIM resources before provisioning them in this application. These can transform or filter the resources to be provisioned.",
                        ).with_computed(),
                    ],
                    "Configuration for provisioning to this application via SCIM. This is currently in closed beta.",
                ).with_computed(),
                Attr::computed("self_hosted_domains", Ty::List(Box::new(Ty::String)), "List of public domains that Access will secure. This field is deprecated in favor of `destinations` and will be supported until **November 21, 2025.** If `destinations` are provided, then `self_hosted_domains` will be ignored."),
                Attr::computed("service_auth_401_redirect", Ty::Bool, "Returns a 401 status code when the request is blocked by a Service Auth policy."),
                Attr::computed("session_duration", Ty::String, "The amount of time that tokens issued for this application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h. Note: unsupported for infrastructure type applications."),
                Attr::computed("skip_interstitial", Ty::Bool, "Enables automatic authentication through cloudflared."),
                Attr::computed("tags", Ty::Set(Box::new(Ty::String)), "The tags you want assigned to an application. Tags are used to filter applications in the App Launcher dashboard."),
                Attr::nested(
                    "saas_app",
                    Nesting::Single,
                    vec![
                        Attr::computed("auth_type", Ty::String, "Optional identifier indicating the authentication protocol used for the saas app. Required for OIDC. Default if unset is \"saml\"\nAvailable values: \"saml\", \"oidc\"."),
                        Attr::computed("consumer_service_url", Ty::String, "The service provider's endpoint that is responsible for receiving and parsing a SAML assertion."),
                        Attr::nested(
                            "custom_attributes",
                            Nesting::List,
                            vec![
                                Attr::computed("friendly_name", Ty::String, "The SAML FriendlyName of the attribute."),
                                Attr::computed("name", Ty::String, "The name of the attribute."),
                                Attr::computed("name_format", Ty::String, "A globally unique name for an identity or service provider.\nAvailable values: \"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified\", \"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\", \"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\"."),
                                Attr::computed("required", Ty::Bool, "If the attribute is required when building a SAML assertion."),
                                Attr::nested(
                                    "source",
                                    Nesting::Single,
                                    vec![
                                        Attr::computed("name", Ty::String, "The name of the IdP attribute."),
                                        Attr::nested(
                                            "name_by_idp",
                                            Nesting::List,
                                            vec![
                                                Attr::computed("idp_id", Ty::String, "The UID of the IdP."),
                                                Attr::computed("source_name", Ty::String, "The name of the IdP provided attribute."),
                                            ],
                                            "A mapping from IdP ID to attribute name.",
                                        ).with_computed(),
                                    ],
                                    "",
                                ).with_computed(),
                            ],
                            "",
                        ).with_computed(),
                        Attr::computed("default_relay_state", Ty::String, "The URL that the user will be redirected to after a successful login for IDP initiated logins."),
                        Attr::computed("idp_entity_id", Ty::String, "The unique identifier for your SaaS application."),
                        Attr::computed("name_id_format", Ty::String, "The format of the name identifier sent to the SaaS application.\nAvailable values: \"id\", \"email\"."),
                        Attr::computed("name_id_transform_jsonata", Ty::String, "A [JSONata](https://jsonata.org/) expression that transforms an application's user identities into a NameID value for its SAML assertion. This expression should evaluate to a singular string. The output of this expression can override the `name_id_format` setting."),
                        Attr::computed("public_key", Ty::String, "The Access public certificate that will be used to verify your identity."),
                        Attr::computed("saml_attribute_transform_jsonata", Ty::String, "A [JSONata] (https://jsonata.org/) expression that transforms an application's user identities into attribute assertions in the SAML response. The expression can transform id, email, name, and groups values. It can also transform fields listed in the saml_attributes or oidc_fields of the identity provider used to authenticate. The output of this expression must be a JSON object."),
                        Attr::computed("sp_entity_id", Ty::String, "A globally unique name for an identity or service provider."),
                        Attr::computed("sso_endpoint", Ty::String, "The endpoint where your SaaS application will send login requests."),
                        Attr::computed("access_token_lifetime", Ty::String, "The lifetime of the OIDC Access Token after creation. Valid units are m,h. Must be greater than or equal to 1m and less than or equal to 24h."),
                        Attr::computed("allow_pkce_without_client_secret", Ty::Bool, "If client secret should be required on the token endpoint when authorization_code_with_pkce grant is used."),
                        Attr::computed("app_launcher_url", Ty::String, "The URL where this applications tile redirects users"),
                        Attr::computed("client_id", Ty::String, "The application client id"),
                        Attr::computed("client_secret", Ty::String, "The application client secret, only returned on POST request.").sensitive(),
                        Attr::nested(
                            "custom_claims",
                            Nesting::List,
                            vec![
                                Attr::computed("name", Ty::String, "The name of the claim."),
                                Attr::computed("required", Ty::Bool, "If the claim is required when building an OIDC token."),
                                Attr::computed("scope", Ty::String, "The scope of the claim.\nAvailable values: \"groups\", \"profile\", \"email\", \"openid\"."),
                                Attr::nested(
                                    "source",
                                    Nesting::Single,
                                    vec![
                                        Attr::computed("name", Ty::String, "The name of the IdP claim."),
                                        Attr::computed("name_by_idp", Ty::Map(Box::new(Ty::String)), "A mapping from IdP ID to claim name."),
                                    ],
                                    "",
                                ).with_computed(),
                            ],
                            "",
                        ).with_computed(),
                        Attr::computed("grant_types", Ty::List(Box::new(Ty::String)), "The OIDC flows supported by this application"),
                        Attr::computed("group_filter_regex", Ty::String, "A regex to filter Cloudflare groups returned in ID token and userinfo endpoint"),
                        Attr::nested(
                            "hybrid_and_implicit_options",
                            Nesting::Single,
                            vec![
                                Attr::computed("return_access_token_from_authorization_endpoint", Ty::Bool, "If an Access Token should be returned from the OIDC Authorization endpoint"),
                                Attr::computed("return_id_token_from_authorization_endpoint", Ty::Bool, "If an ID Token should be returned from the OIDC Authorization endpoint"),
                            ],
                            "",
                        ).with_computed(),
                        Attr::computed("redirect_uris", Ty::List(Box::new(Ty::String)), "The permitted URL's for Cloudflare to return Authorization codes and Access/ID tokens"),
                        Attr::nested(
                            "refresh_token_options",
                            Nesting::Single,
                            vec![
                                Attr::computed("lifetime", Ty::String, "How long a refresh token will be valid for after creation. Valid units are m,h,d. Must be longer than 1m."),
                            ],
                            "",
                        ).with_computed(),
                        Attr::computed("scopes", Ty::List(Box::new(Ty::String)), "Define the user information shared with access, \"offline_access\" scope will be automatically enabled if refresh tokens are enabled"),
                    ],
                    "",
                ).with_computed(),
                Attr::computed("app_launcher_logo_url", Ty::String, "The image URL of the logo shown in the App Launcher header."),
                Attr::computed("bg_color", Ty::String, "The background color of the App Launcher page."),
                Attr::nested(
                    "footer_links",
                    Nesting::List,
                    vec![
                        Attr::computed("name", Ty::String, "The hypertext in the footer link."),
                        Attr::computed("url", Ty::String, "the hyperlink in the footer link."),
                    ],
                    "The links in the App Launcher footer.",
                ).with_computed(),
                Attr::computed("header_bg_color", Ty::String, "The background color of the App Launcher header."),
                Attr::nested(
                    "landing_page_design",
                    Nesting::Single,
                    vec![
                        Attr::computed("button_color", Ty::String, "The background color of the log in button on the landing page."),
                        Attr::computed("button_text_color", Ty::String, "The color of the text in the log in button on the landing page."),
                        Attr::computed("image_url", Ty::String, "The URL of the image shown on the landing page."),
                        Attr::computed("message", Ty::String, "The message shown on the landing page."),
                        Attr::computed("title", Ty::String, "The title shown on the landing page."),
                    ],
                    "The design of the App Launcher landing page shown to users when they log in.",
                ).with_computed(),
                Attr::nested(
                    "mfa_config",
                    Nesting::Single,
                    vec![
                        Attr::computed("allowed_authenticators", Ty::List(Box::new(Ty::String)), "The authenticators allowed for MFA.\nAvailable values: \"totp\", \"biometrics\", \"security_key\"."),
                        Attr::computed("mfa_disabled", Ty::Bool, "Whether MFA is disabled for this application."),
                        Attr::computed("session_duration", Ty::String, "How often a user will be forced to re-authenticate with MFA."),
                    ],
                    "Configures multi-factor authentication (MFA) settings for the application. Only valid for self_hosted, ssh, vnc, and rdp application types.",
                ).with_computed(),
                Attr::computed("skip_app_launcher_login_page", Ty::Bool, "Determines when to skip the App Launcher landing page."),
                Attr::nested(
                    "target_criteria",
                    Nesting::List,
                    vec![
                        Attr::computed("port", Ty::Number, "The port that the targets use for the chosen communication protocol. A port cannot be assigned to multiple protocols."),
                        Attr::computed("protocol", Ty::String, "The communication protocol your application secures.\nAvailable values: \"SSH\", \"RDP\"."),
                        Attr::computed("target_attributes", Ty::Map(Box::new(Ty::List(Box::new(Ty::String)))), "Contains a map of target attribute keys to target attribute values."),
                    ],
                    "",
                ).with_computed(),
            ],
            "The items returned by the data source",
        ).with_computed(),
    ]
}

/// `resource "cloudflare_zero_trust_access_policy"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn policy_resource() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "The UUID of the policy").keep_on_update(),
        Attr::required("account_id", Ty::String, "Identifier.").requires_replace(),
        Attr::required("decision", Ty::String, "The action Access will take if a user matches this policy. Infrastructure application policies can only use the Allow action.\nAvailable values: \"allow\", \"deny\", \"non_identity\", \"bypass\"."),
        Attr::required("name", Ty::String, "The name of the Access policy."),
        Attr::optional("approval_required", Ty::Bool, "Requires the user to request access from an administrator at the start of each session.").unsupported(NO_APPROVALS),
        Attr::optional("isolation_required", Ty::Bool, "Require this application to be served in an isolated browser for users matching this policy. 'Client Web Isolation' must be on for the account in order to use this feature.").unsupported("gatehouse has no browser isolation."),
        Attr::optional("purpose_justification_prompt", Ty::String, "A custom message that will appear on the purpose justification screen.").unsupported(NO_JUSTIFICATION),
        Attr::optional("purpose_justification_required", Ty::Bool, "Require users to enter a justification when they log in to the application.").unsupported(NO_JUSTIFICATION),
        Attr::nested(
            "approval_groups",
            Nesting::Set,
            vec![
                Attr::required("approvals_needed", Ty::Number, "The number of approvals needed to obtain access."),
                Attr::optional("email_addresses", Ty::List(Box::new(Ty::String)), "A list of emails that can approve the access request."),
                Attr::optional("email_list_uuid", Ty::String, "The UUID of an re-usable email list."),
            ],
            "Administrators who can approve a temporary authentication request.",
        ).with_optional().unsupported(NO_APPROVALS),
        Attr::nested(
            "connection_rules",
            Nesting::Single,
            vec![
                Attr::nested(
                    "rdp",
                    Nesting::Single,
                    vec![
                        Attr::optional("allowed_clipboard_local_to_remote_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from local machine to remote RDP session."),
                        Attr::optional("allowed_clipboard_remote_to_local_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from remote RDP session to local machine."),
                    ],
                    "The RDP-specific rules that define clipboard behavior for RDP connections.",
                ).with_optional(),
            ],
            "The rules that define how users may connect to targets secured by your application.",
        ).with_optional().unsupported(NO_CONNECTION_RULES),
        Attr::nested(
            "mfa_config",
            Nesting::Single,
            vec![
                Attr::optional("allowed_authenticators", Ty::List(Box::new(Ty::String)), "Lists the MFA methods that users can authenticate with."),
                Attr::optional("mfa_disabled", Ty::Bool, "Indicates whether to disable MFA for this resource. This option is available at the application and policy level."),
                Attr::optional("session_duration", Ty::String, "Defines the duration of an MFA session. Must be in minutes (m) or hours (h). Minimum: 0m. Maximum: 720h (30 days). Examples:`5m` or `24h`."),
            ],
            "Configures multi-factor authentication (MFA) settings.",
        ).with_optional().unsupported(NO_MFA),
        Attr::optional_computed("session_duration", Ty::String, "The amount of time that tokens issued for the application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h.").default(Value::str("24h")),
        rules::rule_list("exclude", Nesting::Set, Selectors::All, Flags::Config, "Rules evaluated with a NOT logical operator. To match the policy, a user cannot meet any of the Exclude rules.").with_optional(),
        rules::rule_list("include", Nesting::Set, Selectors::All, Flags::Config, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_optional().with_computed(),
        rules::rule_list("require", Nesting::Set, Selectors::All, Flags::Config, "Rules evaluated with an AND logical operator. To match the policy, a user must meet all of the Require rules.").with_optional(),
    ]
}

/// `data "cloudflare_zero_trust_access_policy"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn policy_data() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "The UUID of the policy"),
        Attr::required("policy_id", Ty::String, "The UUID of the policy"),
        Attr::optional("account_id", Ty::String, "Identifier."),
        Attr::computed("app_count", Ty::Number, "Number of access applications currently using this policy."),
        Attr::computed("approval_required", Ty::Bool, "Requires the user to request access from an administrator at the start of each session."),
        Attr::computed("created_at", Ty::String, ""),
        Attr::computed("decision", Ty::String, "The action Access will take if a user matches this policy. Infrastructure application policies can only use the Allow action.\nAvailable values: \"allow\", \"deny\", \"non_identity\", \"bypass\"."),
        Attr::computed("isolation_required", Ty::Bool, "Require this application to be served in an isolated browser for users matching this policy. 'Client Web Isolation' must be on for the account in order to use this feature."),
        Attr::computed("name", Ty::String, "The name of the Access policy."),
        Attr::computed("purpose_justification_prompt", Ty::String, "A custom message that will appear on the purpose justification screen."),
        Attr::computed("purpose_justification_required", Ty::Bool, "Require users to enter a justification when they log in to the application."),
        Attr::computed("reusable", Ty::Bool, ""),
        Attr::computed("session_duration", Ty::String, "The amount of time that tokens issued for the application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h."),
        Attr::computed("updated_at", Ty::String, ""),
        Attr::nested(
            "approval_groups",
            Nesting::Set,
            vec![
                Attr::computed("approvals_needed", Ty::Number, "The number of approvals needed to obtain access."),
                Attr::computed("email_addresses", Ty::List(Box::new(Ty::String)), "A list of emails that can approve the access request."),
                Attr::computed("email_list_uuid", Ty::String, "The UUID of an re-usable email list."),
            ],
            "Administrators who can approve a temporary authentication request.",
        ).with_computed(),
        Attr::nested(
            "connection_rules",
            Nesting::Single,
            vec![
                Attr::nested(
                    "rdp",
                    Nesting::Single,
                    vec![
                        Attr::computed("allowed_clipboard_local_to_remote_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from local machine to remote RDP session."),
                        Attr::computed("allowed_clipboard_remote_to_local_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from remote RDP session to local machine."),
                    ],
                    "The RDP-specific rules that define clipboard behavior for RDP connections.",
                ).with_computed(),
            ],
            "The rules that define how users may connect to targets secured by your application.",
        ).with_computed(),
        rules::rule_list("exclude", Nesting::Set, Selectors::All, Flags::Computed, "Rules evaluated with a NOT logical operator. To match the policy, a user cannot meet any of the Exclude rules.").with_computed(),
        rules::rule_list("include", Nesting::Set, Selectors::All, Flags::Computed, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_computed(),
        Attr::nested(
            "mfa_config",
            Nesting::Single,
            vec![
                Attr::computed("allowed_authenticators", Ty::List(Box::new(Ty::String)), "Lists the MFA methods that users can authenticate with."),
                Attr::computed("mfa_disabled", Ty::Bool, "Indicates whether to disable MFA for this resource. This option is available at the application and policy level."),
                Attr::computed("session_duration", Ty::String, "Defines the duration of an MFA session. Must be in minutes (m) or hours (h). Minimum: 0m. Maximum: 720h (30 days). Examples:`5m` or `24h`."),
            ],
            "Configures multi-factor authentication (MFA) settings.",
        ).with_computed(),
        rules::rule_list("require", Nesting::Set, Selectors::All, Flags::Computed, "Rules evaluated with an AND logical operator. To match the policy, a user must meet all of the Require rules.").with_computed(),
    ]
}

/// `data "cloudflare_zero_trust_access_policies"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn policies_data() -> Vec<Attr> {
    vec![
        Attr::optional("account_id", Ty::String, "Identifier."),
        Attr::optional("max_items", Ty::Number, "Max items to fetch, default: 1000"),
        Attr::nested(
            "result",
            Nesting::List,
            vec![
                Attr::computed("id", Ty::String, "The UUID of the policy"),
                Attr::computed("app_count", Ty::Number, "Number of access applications currently using this policy."),
                Attr::nested(
                    "approval_groups",
                    Nesting::Set,
                    vec![
                        Attr::computed("approvals_needed", Ty::Number, "The number of approvals needed to obtain access."),
                        Attr::computed("email_addresses", Ty::List(Box::new(Ty::String)), "A list of emails that can approve the access request."),
                        Attr::computed("email_list_uuid", Ty::String, "The UUID of an re-usable email list."),
                    ],
                    "Administrators who can approve a temporary authentication request.",
                ).with_computed(),
                Attr::computed("approval_required", Ty::Bool, "Requires the user to request access from an administrator at the start of each session."),
                Attr::nested(
                    "connection_rules",
                    Nesting::Single,
                    vec![
                        Attr::nested(
                            "rdp",
                            Nesting::Single,
                            vec![
                                Attr::computed("allowed_clipboard_local_to_remote_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from local machine to remote RDP session."),
                                Attr::computed("allowed_clipboard_remote_to_local_formats", Ty::List(Box::new(Ty::String)), "Clipboard formats allowed when copying from remote RDP session to local machine."),
                            ],
                            "The RDP-specific rules that define clipboard behavior for RDP connections.",
                        ).with_computed(),
                    ],
                    "The rules that define how users may connect to targets secured by your application.",
                ).with_computed(),
                Attr::computed("created_at", Ty::String, ""),
                Attr::computed("decision", Ty::String, "The action Access will take if a user matches this policy. Infrastructure application policies can only use the Allow action.\nAvailable values: \"allow\", \"deny\", \"non_identity\", \"bypass\"."),
                rules::rule_list("exclude", Nesting::Set, Selectors::All, Flags::Computed, "Rules evaluated with a NOT logical operator. To match the policy, a user cannot meet any of the Exclude rules.").with_computed(),
                rules::rule_list("include", Nesting::Set, Selectors::All, Flags::Computed, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_computed(),
                Attr::computed("isolation_required", Ty::Bool, "Require this application to be served in an isolated browser for users matching this policy. 'Client Web Isolation' must be on for the account in order to use this feature."),
                Attr::nested(
                    "mfa_config",
                    Nesting::Single,
                    vec![
                        Attr::computed("allowed_authenticators", Ty::List(Box::new(Ty::String)), "Lists the MFA methods that users can authenticate with."),
                        Attr::computed("mfa_disabled", Ty::Bool, "Indicates whether to disable MFA for this resource. This option is available at the application and policy level."),
                        Attr::computed("session_duration", Ty::String, "Defines the duration of an MFA session. Must be in minutes (m) or hours (h). Minimum: 0m. Maximum: 720h (30 days). Examples:`5m` or `24h`."),
                    ],
                    "Configures multi-factor authentication (MFA) settings.",
                ).with_computed(),
                Attr::computed("name", Ty::String, "The name of the Access policy."),
                Attr::computed("purpose_justification_prompt", Ty::String, "A custom message that will appear on the purpose justification screen."),
                Attr::computed("purpose_justification_required", Ty::Bool, "Require users to enter a justification when they log in to the application."),
                rules::rule_list("require", Nesting::Set, Selectors::All, Flags::Computed, "Rules evaluated with an AND logical operator. To match the policy, a user must meet all of the Require rules.").with_computed(),
                Attr::computed("reusable", Ty::Bool, ""),
                Attr::computed("session_duration", Ty::String, "The amount of time that tokens issued for the application will be valid. Must be in the format `300ms` or `2h45m`. Valid time units are: ns, us (or µs), ms, s, m, h."),
                Attr::computed("updated_at", Ty::String, ""),
            ],
            "The items returned by the data source",
        ).with_computed(),
    ]
}

/// `resource "cloudflare_zero_trust_access_group"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn group_resource() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "UUID.").keep_on_update(),
        Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID.").requires_replace(),
        Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.").requires_replace().unsupported(NO_ZONES),
        Attr::required("name", Ty::String, "The name of the Access group."),
        rules::rule_list("include", Nesting::List, Selectors::All, Flags::Config, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_required(),
        Attr::optional("is_default", Ty::Bool, "Whether this is the default group").unsupported("gatehouse has no default group."),
        rules::rule_list("exclude", Nesting::List, Selectors::All, Flags::Config, "Rules evaluated with a NOT logical operator. To match a policy, a user cannot meet any of the Exclude rules.").with_optional(),
        rules::rule_list("require", Nesting::List, Selectors::All, Flags::Config, "Rules evaluated with an AND logical operator. To match a policy, a user must meet all of the Require rules.").with_optional(),
    ]
}

/// `data "cloudflare_zero_trust_access_group"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn group_data() -> Vec<Attr> {
    vec![
        Attr::computed("id", Ty::String, "UUID."),
        Attr::optional("group_id", Ty::String, "UUID."),
        Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID."),
        Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.").unsupported(NO_ZONES),
        Attr::computed("name", Ty::String, "The name of the Access group."),
        rules::rule_list("exclude", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with a NOT logical operator. To match a policy, a user cannot meet any of the Exclude rules.").with_computed(),
        rules::rule_list("include", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_computed(),
        rules::rule_list("is_default", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with an AND logical operator. To match a policy, a user must meet all of the Require rules.").with_computed(),
        rules::rule_list("require", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with an AND logical operator. To match a policy, a user must meet all of the Require rules.").with_computed(),
        Attr::nested(
            "filter",
            Nesting::Single,
            vec![
                Attr::optional("name", Ty::String, "The name of the group."),
                Attr::optional("search", Ty::String, "Search for groups by other listed query parameters."),
            ],
            "",
        ).with_optional(),
    ]
}

/// `data "cloudflare_zero_trust_access_groups"`.
#[allow(clippy::too_many_lines, reason = "a transcription of the v5 schema")]
pub fn groups_data() -> Vec<Attr> {
    vec![
        Attr::optional("account_id", Ty::String, "The Account ID to use for this endpoint. Mutually exclusive with the Zone ID."),
        Attr::optional("zone_id", Ty::String, "The Zone ID to use for this endpoint. Mutually exclusive with the Account ID.").unsupported(NO_ZONES),
        Attr::optional("name", Ty::String, "The name of the group."),
        Attr::optional("search", Ty::String, "Search for groups by other listed query parameters."),
        Attr::optional("max_items", Ty::Number, "Max items to fetch, default: 1000"),
        Attr::nested(
            "result",
            Nesting::List,
            vec![
                Attr::computed("id", Ty::String, "UUID."),
                rules::rule_list("exclude", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with a NOT logical operator. To match a policy, a user cannot meet any of the Exclude rules.").with_computed(),
                rules::rule_list("include", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with an OR logical operator. A user needs to meet only one of the Include rules.").with_computed(),
                rules::rule_list("is_default", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with an AND logical operator. To match a policy, a user must meet all of the Require rules.").with_computed(),
                Attr::computed("name", Ty::String, "The name of the Access group."),
                rules::rule_list("require", Nesting::List, Selectors::All, Flags::Computed, "Rules evaluated with an AND logical operator. To match a policy, a user must meet all of the Require rules.").with_computed(),
            ],
            "The items returned by the data source",
        ).with_computed(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/terraform.md's table for one resource (its `### ` section).
    fn documented(resource: &str) -> String {
        let doc = include_str!("../../../../docs/terraform.md");
        let heading = format!("### `{resource}`");
        let start = doc.find(&heading).unwrap_or_else(|| panic!("{heading} is documented"));
        let rest = &doc[start + heading.len()..];
        rest[..rest.find("\n#").unwrap_or(rest.len())].to_string()
    }

    #[test]
    fn every_schema_is_served_with_the_v5_type_names() {
        let resources: Vec<_> =
            crate::resources::resources().iter().map(|r| (r.type_name(), r.schema())).collect();
        let data: Vec<_> =
            crate::resources::data_sources().iter().map(|d| (d.type_name(), d.schema())).collect();
        for name in [
            "cloudflare_zero_trust_access_application",
            "cloudflare_zero_trust_access_policy",
            "cloudflare_zero_trust_access_group",
        ] {
            assert!(resources.iter().any(|(n, _)| *n == name), "resource {name}");
            assert!(data.iter().any(|(n, _)| *n == name), "data source {name}");
            let plural = match name.strip_suffix('y') {
                Some(stem) => format!("{stem}ies"),
                None => format!("{name}s"),
            };
            assert!(data.iter().any(|(n, _)| *n == plural), "data source {plural}");
        }
        for (name, schema) in resources.iter().chain(&data) {
            let block = schema.to_proto().block.unwrap();
            assert_eq!(block.attributes.len(), schema.attrs.len(), "{name}");
            let mut names: Vec<_> = schema.attrs.iter().map(|a| a.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), schema.attrs.len(), "{name}: attribute names are unique");
        }
    }

    #[test]
    fn every_attribute_is_in_the_documented_table_as_it_is_supported() {
        for (resource, attrs) in [
            (
                "cloudflare_zero_trust_access_application",
                super::super::access_application::resource_schema().attrs,
            ),
            ("cloudflare_zero_trust_access_policy", policy_resource()),
            ("cloudflare_zero_trust_access_group", group_resource()),
        ] {
            let table = documented(resource);
            for attr in attrs {
                let row = table
                    .lines()
                    .find(|line| line.starts_with(&format!("| `{}` |", attr.name)))
                    .unwrap_or_else(|| panic!("{resource}.{} is in docs/terraform.md", attr.name));
                assert_eq!(
                    row.contains("**Refused when set**"),
                    attr.unsupported.is_some(),
                    "{resource}.{}: the table says {row}",
                    attr.name
                );
                if let Some(why) = attr.unsupported {
                    assert!(row.contains(why), "{resource}.{}: the table gives the reason", attr.name);
                }
            }
        }
    }
}
