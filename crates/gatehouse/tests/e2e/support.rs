//! The end-to-end harness: start the real `gatehouse` binary on port 0, wait for its ready line,
//! talk to it, stop it.
//!
//! Every server gets a fresh temporary data directory, random bootstrap credentials and an
//! environment without inherited `GATEHOUSE_*`/`CLOUDFLARE_*` variables, so tests never see each
//! other or the developer's shell. Nothing here sleeps for a fixed time: waits poll with a deadline.

// Clippy's test exemptions cover `#[test]` functions only, not the helpers they call; and each test
// module uses a different part of this harness.
#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed expectation is a failed test")]
#![allow(dead_code, reason = "shared harness: not every test module uses every helper")]

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// How long the server may take to print its ready line (a cold debug binary on a loaded 2-core
/// machine opens SQLite and runs migrations first).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a SIGTERM may take to end the server.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one offline `gatehouse admin …` command may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The path of the binary under test, built by cargo for this test target.
pub fn gatehouse_bin() -> &'static str {
    env!("CARGO_BIN_EXE_gatehouse")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).canonicalize().expect("workspace root exists")
}

/// A command for the gatehouse binary whose environment has no inherited `GATEHOUSE_*` or
/// `CLOUDFLARE_*` variables.
pub fn gatehouse_command() -> Command {
    let mut command = Command::new(gatehouse_bin());
    remove_inherited_config(&mut command);
    command
}

/// Removes the variables that configure gatehouse or point Cloudflare clients somewhere, so the
/// developer's shell cannot leak into a test.
pub fn remove_inherited_config(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("GATEHOUSE_") || key_text.starts_with("CLOUDFLARE_") {
            command.env_remove(&key);
        }
    }
}

/// `len` random lowercase hex digits from the kernel's random source.
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).expect("read /dev/urandom");
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(len);
    hex
}

/// Options for [`Gatehouse::start_with`]: extra environment variables and `serve` arguments.
#[derive(Debug, Default, Clone)]
pub struct StartOptions {
    env: Vec<(String, String)>,
    args: Vec<String>,
    generated_admin_token: bool,
    admin_token_from_file: bool,
}

impl StartOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an environment variable for the server (after the inherited ones are removed).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Appends an argument to `gatehouse serve …`.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Lets the server generate its admin token on first start (no `GATEHOUSE_BOOTSTRAP_API_TOKEN`);
    /// the harness reads it from the banner the server prints on stderr.
    pub fn generated_admin_token(mut self) -> Self {
        self.generated_admin_token = true;
        self
    }

    /// Hands the server its admin token in a file (`GATEHOUSE_BOOTSTRAP_API_TOKEN_FILE`) instead
    /// of the environment.
    pub fn admin_token_from_file(mut self) -> Self {
        self.admin_token_from_file = true;
        self
    }

    /// Starts the server with these options.
    #[track_caller]
    pub fn start(self) -> Gatehouse {
        Gatehouse::start_with(self)
    }
}

/// A running `gatehouse serve` with its own data directory. Dropping it kills the process.
#[derive(Debug)]
pub struct Gatehouse {
    child: Child,
    api: String,
    gateway: String,
    account_id: String,
    admin_token: String,
    stderr_path: PathBuf,
    /// The ready line, as printed.
    ready: Value,
    /// Kept for [`Gatehouse::restart`].
    options: StartOptions,
    /// Last field: the directory is removed only after the child is dead (see `Drop`).
    data_dir: TempDir,
}

/// What the stdout reader thread saw.
enum StdoutEvent {
    Line(String),
    Closed,
}

impl Gatehouse {
    /// Starts a server with default options.
    #[track_caller]
    pub fn start() -> Self {
        Self::start_with(StartOptions::new())
    }

    /// Starts a server and waits for its ready line; fails with everything it logged when it exits
    /// first or stays silent past the deadline.
    #[track_caller]
    pub fn start_with(options: StartOptions) -> Self {
        let data_dir = tempfile::Builder::new().prefix("gatehouse-e2e-").tempdir().expect("create temp dir");
        let admin_token = format!("gatehouse_at_{}", random_hex(40));
        let account_id = random_hex(32);
        Self::launch(data_dir, admin_token, account_id, options)
    }

    /// Starts another node of a deployment that shares one database (in `options`): same
    /// bootstrap account id and admin token as the other nodes, its own data directory.
    #[track_caller]
    pub fn start_node(options: StartOptions, account_id: &str, admin_token: &str) -> Self {
        let data_dir = tempfile::Builder::new().prefix("gatehouse-e2e-").tempdir().expect("create temp dir");
        Self::launch(data_dir, admin_token.to_owned(), account_id.to_owned(), options)
    }

    /// Stops the server with SIGTERM and starts it again on the same data directory, with the
    /// same options; returns the exit status of the first process and the new server. The
    /// stderr log keeps both runs.
    #[track_caller]
    pub fn restart(mut self) -> (ExitStatus, Gatehouse) {
        let status = self.terminate();
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().expect("create temp dir"));
        let options = std::mem::take(&mut self.options);
        let server = Self::launch(data_dir, self.admin_token.clone(), self.account_id.clone(), options);
        (status, server)
    }

    /// Kills the server with SIGKILL (no shutdown code runs: whatever was in flight is cut off
    /// where it stood), then starts it again on the same data directory with the same options.
    /// Returns the new server and the time from its spawn to its ready line.
    #[track_caller]
    pub fn kill_and_restart(mut self) -> (Gatehouse, Duration) {
        // `Child::kill` is SIGKILL on Unix.
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the killed server");
        assert!(!status.success(), "a killed server cannot exit 0: {status}");
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().expect("create temp dir"));
        let options = std::mem::take(&mut self.options);
        let started = Instant::now();
        let server = Self::launch(data_dir, self.admin_token.clone(), self.account_id.clone(), options);
        (server, started.elapsed())
    }

    #[track_caller]
    fn launch(data_dir: TempDir, admin_token: String, account_id: String, options: StartOptions) -> Self {
        let store = data_dir.path().join("data");
        let stderr_path = data_dir.path().join("server.stderr.log");
        let stderr_file =
            File::options().create(true).append(true).open(&stderr_path).expect("open stderr log");

        let mut command = gatehouse_command();
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(&store)
            .args(["--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"])
            .args(&options.args)
            .env("GATEHOUSE_BOOTSTRAP_ACCOUNT_ID", &account_id)
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr_file);
        if options.admin_token_from_file {
            let path = data_dir.path().join("bootstrap-api-token");
            std::fs::write(&path, format!("{admin_token}\n")).expect("write the admin token file");
            command.env("GATEHOUSE_BOOTSTRAP_API_TOKEN_FILE", &path);
        } else if !options.generated_admin_token {
            command.env("GATEHOUSE_BOOTSTRAP_API_TOKEN", &admin_token);
        }
        let mut child = command.spawn().expect("spawn gatehouse serve");
        let stdout = child.stdout.take().expect("piped stdout");

        // A thread reads stdout for the whole life of the process, so the server never blocks on
        // a full pipe; lines after the ready line are ignored.
        let (lines_tx, lines_rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines_tx.send(StdoutEvent::Line(line));
            }
            let _ = lines_tx.send(StdoutEvent::Closed);
        });

        let mut server = Gatehouse {
            child,
            api: String::new(),
            gateway: String::new(),
            account_id: String::new(),
            admin_token,
            stderr_path,
            ready: Value::Null,
            options,
            data_dir,
        };
        let ready = server.wait_for_ready(&lines_rx);
        server.api = json_str(&ready, "api");
        server.gateway = json_str(&ready, "gateway");
        server.account_id = json_str(&ready, "account_id");
        server.ready = ready.clone();
        assert_eq!(
            server.account_id, account_id,
            "ready line account_id differs from GATEHOUSE_BOOTSTRAP_ACCOUNT_ID: {ready}"
        );
        assert!(server.api.starts_with("http://127.0.0.1:"), "ready line api: {ready}");
        assert!(server.gateway.starts_with("http://127.0.0.1:"), "ready line gateway: {ready}");
        if server.options.generated_admin_token
            && let Some(token) = banner_token(&server.logs())
        {
            server.admin_token = token;
        }
        server
    }

    #[track_caller]
    fn wait_for_ready(&mut self, lines: &mpsc::Receiver<StdoutEvent>) -> Value {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(StdoutEvent::Line(line)) => {
                    if let Ok(value) = serde_json::from_str::<Value>(&line)
                        && value.get("event").and_then(Value::as_str) == Some("ready")
                    {
                        return value;
                    }
                    seen.push(line);
                }
                Ok(StdoutEvent::Closed) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = wait_with_deadline(&mut self.child, STOP_TIMEOUT)
                        .map_or("still running".to_owned(), |s| s.to_string());
                    panic!(
                        "gatehouse serve closed stdout before its ready line ({status})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        seen.join("\n"),
                        self.logs()
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "gatehouse serve printed no ready line within {READY_TIMEOUT:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        seen.join("\n"),
                        self.logs()
                    );
                }
            }
        }
    }

    /// `http://127.0.0.1:PORT` of the management API.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// `http://127.0.0.1:PORT` of the gateway.
    pub fn gateway(&self) -> &str {
        &self.gateway
    }

    /// The Cloudflare-compatible base URL: `<api>/client/v4` (what `CLOUDFLARE_BASE_URL` takes).
    pub fn v4(&self) -> String {
        format!("{}/client/v4", self.api)
    }

    /// The account id from the ready line (equal to the bootstrap one).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The bootstrap API token (edit permission).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The ready line the server printed.
    pub fn ready_line(&self) -> &Value {
        &self.ready
    }

    /// The server's data directory (what `--data-dir` got).
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.path().join("data")
    }

    /// A scratch directory that lives as long as the server (for test files).
    pub fn scratch_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// `<v4>/accounts/<account_id>/access/service_tokens`.
    pub fn service_tokens_url(&self) -> String {
        format!("{}/accounts/{}/access/service_tokens", self.v4(), self.account_id)
    }

    /// Everything the server wrote to stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr_path)
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.stderr_path.display()))
    }

    /// Mints another management API token with `gatehouse admin api-token create` (offline, while
    /// the server runs) and returns it.
    #[track_caller]
    pub fn mint_api_token(&self, read_only: bool) -> String {
        let name = if read_only { "e2e-read-only" } else { "e2e-edit" };
        let mut command = gatehouse_command();
        command
            .args(["admin", "api-token", "create", "--data-dir"])
            .arg(self.data_dir())
            .args(["--name", name]);
        if read_only {
            command.arg("--read-only");
        }
        let output = run_with_deadline(command, self.scratch_dir(), ADMIN_TIMEOUT);
        assert!(
            output.status.success(),
            "gatehouse admin api-token create failed ({}):\n{}",
            output.status,
            output.text
        );
        let token = output.stdout.trim();
        assert!(
            !token.is_empty() && !token.contains(char::is_whitespace),
            "expected only a token on stdout, got {:?}",
            output.stdout
        );
        token.to_owned()
    }

    /// Sends SIGTERM and waits for the exit (with a deadline); returns the exit status.
    #[track_caller]
    pub fn stop(mut self) -> ExitStatus {
        self.terminate()
    }

    /// Like [`Gatehouse::stop`], but hands over the temporary directory (data directory under
    /// `data/`, server log in `server.stderr.log`) so the test can inspect it afterwards.
    #[track_caller]
    pub fn stop_and_keep(mut self) -> (ExitStatus, TempDir) {
        let status = self.terminate();
        let dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().expect("create temp dir"));
        (status, dir)
    }

    #[track_caller]
    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed: {kill}");
        match wait_with_deadline(&mut self.child, STOP_TIMEOUT) {
            Some(status) => status,
            None => panic!(
                "gatehouse did not exit within {STOP_TIMEOUT:?} of SIGTERM\n--- stderr ---\n{}",
                self.logs()
            ),
        }
    }
}

impl Drop for Gatehouse {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[track_caller]
fn json_str(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("ready line has no string {key:?}: {value}"))
        .to_owned()
}

/// Polls `child` until it exits or the deadline passes; kills it on timeout and returns `None`.
pub fn wait_with_deadline(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    /// Standard output alone.
    pub stdout: String,
    /// Standard output followed by standard error, for failure messages.
    pub text: String,
}

/// Runs `command` with stdout and stderr captured in files under `scratch`, killing it when it
/// outlives `timeout` (the test then fails with what it printed so far).
#[track_caller]
pub fn run_with_deadline(mut command: Command, scratch: &Path, timeout: Duration) -> Output {
    let out_file = tempfile::NamedTempFile::new_in(scratch).expect("stdout capture file");
    let err_file = tempfile::NamedTempFile::new_in(scratch).expect("stderr capture file");
    command
        .stdin(Stdio::null())
        .stdout(out_file.reopen().expect("reopen stdout file"))
        .stderr(err_file.reopen().expect("reopen stderr file"));
    let description = format!("{command:?}");
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot spawn {description}: {e}"));
    let status = wait_with_deadline(&mut child, timeout);
    let stdout = std::fs::read_to_string(out_file.path()).unwrap_or_default();
    let stderr = std::fs::read_to_string(err_file.path()).unwrap_or_default();
    let text = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    match status {
        Some(status) => Output { status, stdout, text },
        None => panic!("{description} did not finish within {timeout:?}\n{text}"),
    }
}

/// A response from [`http`].
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {:?}", self.body))
    }
}

/// Sends one request to an `http://` URL with the project's HTTP client (reqwest, no redirects
/// followed, no proxy), as JSON when `body` is given, and returns the whole response.
#[track_caller]
pub fn http(method: &str, url: &str, bearer: Option<&str>, body: Option<&Value>) -> HttpResponse {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = client().request(method, url).header("accept", "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    response(request.send().unwrap_or_else(|e| panic!("{url}: {e}")))
}

/// Sends a request to `addr` (`127.0.0.1:PORT`) with these headers (`Host` included by the
/// caller: it picks the application at the gateway) and returns the response.
#[track_caller]
pub fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = client().request(method, format!("http://{addr}{path}")).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    response(request.send().unwrap_or_else(|e| panic!("{addr}{path}: {e}")))
}

/// One blocking client per test thread (reqwest's blocking client runs its own runtime thread).
fn client() -> reqwest::blocking::Client {
    thread_local! {
        static CLIENT: reqwest::blocking::Client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("build the test HTTP client");
    }
    CLIENT.with(Clone::clone)
}

#[track_caller]
fn response(response: reqwest::blocking::Response) -> HttpResponse {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    let body = response.text().unwrap_or_else(|e| panic!("read the response body: {e}"));
    HttpResponse { status, headers, body }
}

/// An RFC 3339 UTC time `seconds` from now, to the second: the server under test reads the real
/// clock too.
#[allow(clippy::disallowed_methods, reason = "the server under test reads the real clock")]
pub fn rfc3339_in(seconds: i64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
    let at = at.replace_nanosecond(0).expect("0 is a valid nanosecond");
    at.format(&time::format_description::well_known::Rfc3339).expect("format an RFC 3339 time")
}

/// The admin token from the first-start banner (`export GATEHOUSE_API_TOKEN=…`), if printed.
pub fn banner_token(logs: &str) -> Option<String> {
    logs.lines().find_map(|line| line.trim().strip_prefix("export GATEHOUSE_API_TOKEN=")).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harness_starts_serves_and_stops_cleanly() {
        let server = Gatehouse::start();
        assert_eq!(server.account_id().len(), 32);

        let list = http("GET", &server.service_tokens_url(), Some(server.admin_token()), None);
        assert_eq!(list.status, 200, "list with the bootstrap token: {}", list.body);
        assert_eq!(list.json()["success"], Value::Bool(true), "{}", list.body);

        let denied = http("GET", &server.service_tokens_url(), Some("gatehouse_at_wrong"), None);
        assert_eq!(denied.status, 401, "list with a wrong token: {}", denied.body);

        let read_only = server.mint_api_token(true);
        let list = http("GET", &server.service_tokens_url(), Some(&read_only), None);
        assert_eq!(list.status, 200, "list with a minted read-only token: {}", list.body);

        let status = server.stop();
        assert!(status.success(), "SIGTERM should end gatehouse with exit 0, got {status}");
    }
}
