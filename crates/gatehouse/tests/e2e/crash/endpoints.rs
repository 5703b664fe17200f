//! The clients' HTTP calls: a dead server is `None`, not a failed test.

use super::*;

#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: String,
}

impl Reply {
    pub(super) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(super) fn result(&self) -> Value {
        serde_json::from_str::<Value>(&self.body).map(|v| v["result"].clone()).unwrap_or(Value::Null)
    }
}

/// One request; `None` when the server did not answer it whole (refused, reset, cut short).
pub(super) fn exchange(request: reqwest::blocking::RequestBuilder) -> Option<Reply> {
    let response = request.send().ok()?;
    let status = response.status().as_u16();
    // A body cut short by the kill fails to read: no answer at all.
    let body = response.text().ok()?;
    Some(Reply { status, body })
}

/// The clients' HTTP client: no redirects, no proxy, one connection per request (a kill must
/// not leave a pooled connection that makes the next request fail for another reason).
pub(super) fn http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the crash clients' HTTP client")
}

/// The management API and the gateway of the current server, as the clients reach them.
#[derive(Debug, Clone)]
pub(super) struct Endpoints {
    pub(super) api_addr: String,
    /// `/client/v4/accounts/<id>/access`.
    pub(super) access: String,
    pub(super) account_path: String,
    pub(super) gateway_addr: String,
    pub(super) admin: String,
    pub(super) client: reqwest::blocking::Client,
}

impl Endpoints {
    pub(super) fn of(server: &Gatehouse) -> Self {
        let api_addr = server.api().trim_start_matches("http://").to_owned();
        let account_path = format!("/client/v4/accounts/{}", server.account_id());
        Endpoints {
            api_addr,
            access: format!("{account_path}/access"),
            account_path,
            gateway_addr: server.gateway().trim_start_matches("http://").to_owned(),
            admin: server.admin_token().to_owned(),
            client: http_client(),
        }
    }

    /// `method <access>/<rest>` as the admin.
    pub(super) fn api(&self, method: &str, rest: &str, body: Option<&Value>) -> Option<Reply> {
        self.raw_api(method, &format!("{}/{rest}", self.access), body)
    }

    pub(super) fn raw_api(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Reply> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
        let mut request =
            self.client.request(method, format!("http://{}{path}", self.api_addr)).bearer_auth(&self.admin);
        if let Some(body) = body {
            request = request.json(body);
        }
        exchange(request)
    }

    /// Checked: the call must answer 2xx; returns `result`.
    #[track_caller]
    pub(super) fn must(&self, method: &str, rest: &str, body: Option<&Value>) -> Value {
        let reply = self.api(method, rest, body).unwrap_or_else(|| panic!("{method} {rest}: no answer"));
        assert!(reply.ok(), "{method} {rest} → {}: {}", reply.status, reply.body);
        reply.result()
    }

    /// `GET /` for `host` through the gateway with a client id and secret; the status.
    pub(super) fn gateway(&self, host: &str, client_id: &str, secret: &str) -> Option<u16> {
        let request = self
            .client
            .get(format!("http://{}/", self.gateway_addr))
            .header("host", host)
            .header("cf-access-client-id", client_id)
            .header("cf-access-client-secret", secret);
        exchange(request).map(|r| r.status)
    }
}
