//! The test scene: a real SQLite store in a temporary directory, one account, a gateway serving
//! on 127.0.0.1:0, a manual clock, and helpers that change configuration the way the
//! management API does (write to the store, then tell the gateway).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::access::{AppId, PolicyId};
use gatehouse_domain::{
    AccountId, ClientId, Clock, HashPurpose, ManualClock, NewServiceToken, Secret, ServerKey, ServiceToken,
    Timestamp, TokenDuration, TokenId,
};
use gatehouse_proxy::{Gateway, GatewayOptions};
use gatehouse_store::{Account, ChangeListener, Resource, ResourceChange, ResourceKind, Store};
use gatehouse_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub struct Scene {
    _dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub key: Arc<ServerKey>,
    pub clock: Arc<ManualClock>,
    pub gateway: Arc<Gateway>,
    pub account: AccountId,
    pub url: String,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

/// A token and its secret in clear.
pub struct Token {
    pub token: ServiceToken,
    pub secret: String,
}

impl Token {
    pub fn client_id(&self) -> &str {
        self.token.client_id.as_str()
    }
}

#[allow(clippy::disallowed_methods)] // tests start their manual clock at the real time
fn wall_clock() -> Timestamp {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    Timestamp::from_unix(i64::try_from(now.as_secs()).unwrap())
}

impl Scene {
    pub async fn start() -> Scene {
        Self::with_timeout(Duration::from_secs(30)).await
    }

    pub async fn with_timeout(origin_timeout: Duration) -> Scene {
        Self::build(GatewayOptions { origin_timeout, ..GatewayOptions::default() }, None).await
    }

    pub async fn with_options(options: GatewayOptions) -> Scene {
        Self::build(options, None).await
    }

    /// A gateway listening with TLS (a self-signed certificate for `localhost`).
    pub async fn with_tls() -> Scene {
        Self::build(GatewayOptions::default(), Some(tls_config())).await
    }

    async fn build(options: GatewayOptions, tls: Option<Arc<rustls::ServerConfig>>) -> Scene {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("gatehouse.db")).await.unwrap());
        let clock = Arc::new(ManualClock::new(wall_clock()));
        let account = AccountId::generate();
        let record = Account { id: account.clone(), name: "test".to_owned(), created_at: clock.now() };
        store.insert_account(&record).await.unwrap();
        let key = Arc::new(ServerKey::generate());
        let gateway = Gateway::start(store.clone(), key.clone(), clock.clone(), options).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let scheme = if tls.is_some() { "https" } else { "http" };
        tokio::spawn(gatehouse_proxy::serve(listener, gateway.clone(), tls, async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder().no_proxy().danger_accept_invalid_certs(true).build().unwrap();
        Scene {
            _dir: dir,
            store,
            key,
            clock,
            gateway,
            account,
            url: format!("{scheme}://{addr}"),
            http,
            stop: Some(stop),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A token that lives for `duration`.
    pub async fn token(&self, duration: &str) -> Token {
        let token = self.stored_token(duration).await;
        self.gateway.token_changed(&token.token).await;
        token
    }

    /// As [`Scene::token`], written to the store without a word to the gateway (as another
    /// node whose event was lost).
    pub async fn stored_token(&self, duration: &str) -> Token {
        let secret = Secret::generate_client_secret(gatehouse_domain::SecretFormat::Prefixed);
        let new = NewServiceToken {
            account_id: self.account.clone(),
            name: "ci".to_owned(),
            client_id: ClientId::generate(),
            duration: TokenDuration::parse(duration).unwrap(),
            enabled: true,
            secret_hash: self.key.hash(HashPurpose::ServiceTokenSecret, &secret),
            secret_version: 1,
        };
        let token = ServiceToken::create(TokenId::generate(), new, self.now());
        self.store.insert_service_token(&token).await.unwrap();
        Token { token, secret: secret.expose().to_owned() }
    }

    /// Reads the token, changes it, writes it and tells the gateway.
    pub async fn change_token(
        &self,
        token: &Token,
        change: impl FnOnce(&mut ServiceToken, &ServerKey, Timestamp),
    ) -> ServiceToken {
        let mut stored = self.store.get_service_token(&self.account, &token.token.id).await.unwrap().unwrap();
        change(&mut stored, &self.key, self.now());
        assert!(self.store.update_service_token(&stored).await.unwrap());
        self.gateway.token_changed(&stored).await;
        stored
    }

    pub async fn delete_token(&self, token: &Token) {
        self.store.delete_service_token(&self.account, &token.token.id).await.unwrap();
        self.gateway.token_deleted(&token.token).await;
    }

    /// A policy of `decision` including each of `tokens`; returns its id.
    pub async fn policy(&self, decision: &str, include: Vec<Value>) -> PolicyId {
        self.policy_with(decision, json!({"include": include})).await
    }

    /// A policy of `decision` with the rule lists (`include`, `require`, `exclude`) of `rules`.
    pub async fn policy_with(&self, decision: &str, rules: Value) -> PolicyId {
        let id = PolicyId::generate();
        let mut doc = json!({"id": id, "name": format!("{decision} policy"), "decision": decision});
        merge(&mut doc, rules);
        self.put(ResourceKind::Policy, &id.to_string(), doc).await;
        id
    }

    /// A `self_hosted` application on `domain` to `origin`, linking `policies` in order; `extra`
    /// fields are merged in.
    pub async fn app(
        &self,
        domain: &str,
        origin: SocketAddr,
        policies: &[PolicyId],
        extra: Value,
    ) -> (AppId, String) {
        let id = AppId::generate();
        let aud = format!("{:0>64}", id.to_string().replace('-', ""));
        let links: Vec<Value> =
            policies.iter().enumerate().map(|(i, p)| json!({"id": p, "precedence": i + 1})).collect();
        let mut doc = json!({
            "id": id, "aud": aud, "name": domain, "type": "self_hosted", "domain": domain,
            "session_duration": "24h", "policies": links, "origin": format!("http://{origin}"),
        });
        merge(&mut doc, extra);
        self.put(ResourceKind::Application, &id.to_string(), doc).await;
        (id, aud)
    }

    /// Changes fields of a stored application.
    pub async fn change_app(&self, id: AppId, extra: Value) {
        let stored = self
            .store
            .get_resource(ResourceKind::Application, &self.account, &id.to_string())
            .await
            .unwrap()
            .unwrap();
        let mut doc: Value = serde_json::from_str(&stored.body).unwrap();
        merge(&mut doc, extra);
        let updated = Resource {
            body: doc.to_string(),
            revision: stored.revision + 1,
            updated_at: self.now(),
            ..stored
        };
        self.store.apply(&[ResourceChange::Update(updated)]).await.unwrap();
        self.gateway.access_changed(&self.account).await;
    }

    pub async fn organization(&self, strict: bool) {
        let doc =
            json!({"name": "test", "auth_domain": "team.example.com", "strict_service_token_auth": strict});
        self.put(ResourceKind::Organization, &self.account.to_string(), doc).await;
    }

    async fn put(&self, kind: ResourceKind, id: &str, doc: Value) {
        let now = self.now();
        let resource = Resource {
            kind,
            id: id.to_owned(),
            account_id: self.account.clone(),
            body: doc.to_string(),
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        self.store.apply(&[ResourceChange::Insert(resource)]).await.unwrap();
        self.gateway.access_changed(&self.account).await;
    }

    /// A request to the gateway for `host` + `path`.
    pub fn get(&self, host: &str, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.url)).header("host", host)
    }

    /// A request with `token`'s credentials.
    pub fn get_as(&self, host: &str, path: &str, token: &Token) -> reqwest::RequestBuilder {
        self.get(host, path)
            .header("CF-Access-Client-Id", token.client_id())
            .header("CF-Access-Client-Secret", &token.secret)
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key.into())
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

fn merge(doc: &mut Value, extra: Value) {
    if let (Value::Object(doc), Value::Object(extra)) = (doc, extra) {
        doc.extend(extra);
    }
}

/// The include rule admitting one token.
pub fn token_rule(token: &Token) -> Value {
    json!({"service_token": {"token_id": token.token.id.to_string()}})
}

/// What the echo origin saw.
pub async fn echoed(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "expected the origin's answer");
    response.json().await.unwrap()
}

/// The single value of header `name` the origin received, if any.
pub fn seen<'v>(echo: &'v Value, name: &str) -> Option<&'v str> {
    let values = echo["headers"][name].as_array()?;
    assert_eq!(values.len(), 1, "{name} should reach the origin once: {values:?}");
    values[0].as_str()
}
