//! Wire compatibility checked by the official Cloudflare SDKs: the Python `cloudflare` 5.9.x and
//! Node `cloudflare` 7.x packages each run contract scripts (`tests/sdk/`) against a fresh server,
//! among them a surface script per SDK that calls every method in gatehouse's scope.
//!
//! The SDKs are installed once, pinned, into the test-client cache ([`clients_root`]: outside the
//! clone, so a fresh clone of the same pins installs nothing and touches no registry): pip
//! installs `tests/sdk/python/requirements.txt` with `--require-hashes`, npm runs `npm ci` on
//! `tests/sdk/node/package-lock.json` (integrity hashes). Each install lives in a folder named
//! by the digest of its pinned files (changing them installs afresh beside the old one), is
//! idempotent (a marker file holds the pinned files' text) and is safe when several test
//! processes start at once (nextest): one process installs under a `mkdir` lock while the others
//! wait for it.
//!
//! When an SDK cannot be installed (no python3 venv or npm, or the registry is unreachable), the
//! tests that need it print `SKIPPED …` with the reason and pass, unless
//! `GATEHOUSE_REQUIRE_SDK_CLIENTS=1` (set by `.ci/run`) makes that a failure. A hash mismatch
//! always fails.

// Clippy's test exemptions cover `#[test]` functions only, not the helpers they call.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "test helpers: a failed expectation is a failed test"
)]

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{Gatehouse, random_hex, remove_inherited_config, run_with_deadline, workspace_root};

/// Makes a failed SDK install fail the tests instead of skipping them.
const REQUIRE_ENV: &str = "GATEHOUSE_REQUIRE_SDK_CLIENTS";
/// A cold pip or npm install on a slow mirror.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
/// A whole contract script (it creates a few hundred tokens).
const CONTRACT_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn python_sdk_contract() {
    contract("python_contract.py");
}

/// Every method of the Python SDK under `zero_trust.access`, `zero_trust.organizations`,
/// `user.tokens` and `accounts.list` (see the script's docstring).
#[test]
fn python_sdk_surface() {
    contract("python_surface.py");
}

/// The audit log through `client.audit_logs`: Cloudflare's actor types and the `id` filter.
#[test]
fn python_sdk_audit_logs() {
    contract("python_audit.py");
}

/// Identity providers through `client.zero_trust.identity_providers`: create, get and list
/// without the client secret, update (keeping or replacing it), a refused config, delete.
#[test]
fn python_sdk_identity_providers() {
    contract("python_identity.py");
}

/// Zero Trust lists through `client.zero_trust.gateway.lists`: create, get, list by type, edit
/// (append, remove), the items paged, update, a refused value, an `email_list` rule keeping its
/// list from being deleted, delete.
#[test]
fn python_sdk_lists() {
    contract("python_lists.py");
}

#[test]
fn node_sdk_contract() {
    contract("node_contract.mjs");
}

/// Every method of the Node SDK under `zeroTrust.access`, `zeroTrust.organizations`,
/// `user.tokens` and `accounts.list` (see the script's header).
#[test]
fn node_sdk_surface() {
    contract("node_surface.mjs");
}

/// The five points of issue 19 through the Node SDK: accounts.list ends, an app update keeps
/// the origin, Cloudflare's audit actor types, the audit `id` filter, rotation messages.
#[test]
fn node_sdk_issue19() {
    contract("node_issue19.mjs");
}

/// Runs `tests/sdk/<script>` against a fresh server (skipped, saying why, when its SDK cannot be
/// installed).
#[track_caller]
fn contract(script: &str) {
    let Some(script_command) = sdk_script(&scripts_dir().join(script)) else { return };
    let server = Gatehouse::start();
    run_contract(&server, script_command, script);
}

/// A script run by its SDK's interpreter: a `.py` file by the venv's Python, a `.mjs` file by
/// `node` from a copy beside the installed `node_modules` (ESM resolves `import 'cloudflare'`
/// from the script's own folder). The copy lives as long as this value.
#[derive(Debug)]
pub struct SdkScript {
    pub command: Command,
    pub copy: Option<ScriptCopy>,
}

/// The command running `script` with its SDK installed; `None` (after saying why) when the SDK
/// cannot be installed.
#[track_caller]
pub fn sdk_script(script: &Path) -> Option<SdkScript> {
    match script.extension().and_then(|e| e.to_str()) {
        Some("py") => {
            let venv = python_sdk()?;
            let mut command = Command::new(venv.join("bin/python"));
            command.arg(script).env("PYTHONDONTWRITEBYTECODE", "1").env("PYTHONUNBUFFERED", "1");
            Some(SdkScript { command, copy: None })
        }
        Some("mjs") => {
            let project = node_sdk()?;
            let copy = ScriptCopy::new(script, &project);
            let mut command = Command::new("node");
            command.arg(&copy.path);
            Some(SdkScript { command, copy: Some(copy) })
        }
        _ => panic!("{}: an SDK script is a .py or .mjs file", script.display()),
    }
}

/// Runs one contract script against `server` and fails with its output (and the server's log)
/// unless it exits 0.
#[track_caller]
fn run_contract(server: &Gatehouse, script: SdkScript, name: &str) {
    let SdkScript { mut command, copy: _copy } = script;
    let read_only = server.mint_api_token(true);
    remove_inherited_config(&mut command);
    // Runs a part of python_surface.py only (see its `main`).
    if let Ok(only) = std::env::var("GATEHOUSE_SURFACE_ONLY") {
        command.env("GATEHOUSE_SURFACE_ONLY", only);
    }
    // The scripts talk to 127.0.0.1 only: a proxy from the environment must not get in the way.
    for proxy in ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        command.env_remove(proxy);
    }
    command
        .env("CLOUDFLARE_BASE_URL", server.v4())
        .env("CLOUDFLARE_API_TOKEN", server.admin_token())
        .env("GATEHOUSE_ACCOUNT_ID", server.account_id())
        .env("GATEHOUSE_READONLY_TOKEN", &read_only)
        .env("GATEHOUSE_GATEWAY_URL", server.gateway())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    let output = run_with_deadline(command, server.scratch_dir(), CONTRACT_TIMEOUT);
    println!("{name}:\n{}", output.text);
    assert!(
        output.status.success(),
        "{name} failed ({}):\n{}\n--- gatehouse log (last 100 lines) ---\n{}",
        output.status,
        output.text,
        tail(&server.logs(), 100)
    );
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// The venv holding the Python SDK (and `requests`, PyJWT), installed on first use from the
/// hash-pinned `tests/sdk/python/requirements.txt`; `None` (after saying why) when it cannot be.
pub fn python_sdk() -> Option<PathBuf> {
    let requirements = scripts_dir().join("python/requirements.txt");
    let spec = fs::read_to_string(&requirements).expect("read tests/sdk/python/requirements.txt");
    let installed = try_install_once("python", &spec, |venv, scratch| {
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(venv);
        try_run(create, scratch, "python3 -m venv")?;
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--require-hashes"])
            .arg("-r")
            .arg(&requirements);
        try_run(pip, scratch, "pip install -r tests/sdk/python/requirements.txt")?;
        let mut version = Command::new(venv.join("bin/python"));
        version.args(["-c", "import cloudflare; print(cloudflare.__version__)"]);
        let installed = try_run(version, scratch, "import cloudflare")?;
        assert!(
            installed.trim().starts_with("5.9."),
            "pip installed cloudflare {installed:?}, expected 5.9.x"
        );
        Ok(())
    });
    skip_unless_installed("the Python SDK", installed)
}

/// The npm project holding the Node SDK (and `jose`), installed on first use with `npm ci` from
/// `tests/sdk/node/package-lock.json`; `None` (after saying why) when it cannot be.
fn node_sdk() -> Option<PathBuf> {
    let source = scripts_dir().join("node");
    let manifest = fs::read_to_string(source.join("package.json")).expect("read tests/sdk/node/package.json");
    let lock =
        fs::read_to_string(source.join("package-lock.json")).expect("read tests/sdk/node/package-lock.json");
    let installed = try_install_once("node", &format!("{manifest}\n{lock}"), |project, scratch| {
        fs::create_dir_all(project).expect("create the node project folder");
        fs::write(project.join("package.json"), &manifest).expect("write package.json");
        fs::write(project.join("package-lock.json"), &lock).expect("write package-lock.json");
        let mut install = Command::new("npm");
        install
            .args(["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(project);
        try_run(install, scratch, "npm ci (tests/sdk/node/package-lock.json)")?;
        let manifest = project.join("node_modules/cloudflare/package.json");
        let manifest: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(&manifest).expect("read the installed cloudflare package.json"),
        )
        .expect("package.json is JSON");
        let version = manifest["version"].as_str().unwrap_or_default();
        assert!(version.starts_with("7."), "npm installed cloudflare {version:?}, expected 7.x");
        Ok(())
    });
    skip_unless_installed("the Node SDK", installed)
}

/// `Some(dir)` when installed; otherwise prints a loud `SKIPPED` line and returns `None`, or
/// fails when [`REQUIRE_ENV`] asks for the SDKs.
#[track_caller]
pub fn skip_unless_installed(what: &str, installed: Result<PathBuf, String>) -> Option<PathBuf> {
    match installed {
        Ok(dir) => Some(dir),
        Err(reason) if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") => {
            panic!("{what} cannot be installed and {REQUIRE_ENV}=1:\n{reason}")
        }
        Err(reason) => {
            let line = format!(
                "SKIPPED: {what} cannot be installed, so this test did not run ({REQUIRE_ENV}=1 makes this a failure):\n{reason}"
            );
            eprintln!("{line}");
            println!("{line}");
            None
        }
    }
}

/// Runs an install step; its stdout, or why it could not run or failed (with its output). A pip
/// hash mismatch is not a reason to skip: it fails the test at once.
pub fn try_run(mut command: Command, scratch: &Path, what: &str) -> Result<String, String> {
    command.env_remove("NODE_OPTIONS");
    let program = command.get_program().to_string_lossy().into_owned();
    if program.find('/').is_none() && !on_path(&program) {
        return Err(format!("{what}: `{program}` is not on PATH"));
    }
    let output = run_with_deadline(command, scratch, INSTALL_TIMEOUT);
    assert!(
        !output.text.contains("DO NOT MATCH THE HASHES") && !output.text.contains("EINTEGRITY"),
        "{what}: a downloaded package does not match its pinned hash:\n{}",
        output.text
    );
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!("{what} failed ({}):\n{}", output.status, output.text))
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// [`try_install_once`] for installs that must succeed: a failure fails the test.
#[track_caller]
pub fn install_once(kind: &str, spec: &str, install: impl FnOnce(&Path, &Path)) -> PathBuf {
    try_install_once(kind, spec, |dir, scratch| {
        install(dir, scratch);
        Ok(())
    })
    .unwrap_or_else(|reason| panic!("{reason}"))
}

/// Where installed test clients are kept: `$GATEHOUSE_TEST_CLIENTS` when set, else
/// `$XDG_CACHE_HOME/gatehouse/test-clients` (or `~/.cache/…`), else `<workspace>/.sdk-clients`.
/// Outside the clone, so every clone (and CI keeping its home between runs) shares one install
/// of each pinned set; a venv cannot be moved, so each install stays where it was made.
pub fn clients_root() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    var("GATEHOUSE_TEST_CLIENTS")
        .or_else(|| var("XDG_CACHE_HOME").map(|cache| cache.join("gatehouse/test-clients")))
        .or_else(|| var("HOME").map(|home| home.join(".cache/gatehouse/test-clients")))
        .unwrap_or_else(|| workspace_root().join(".sdk-clients"))
}

/// The folder of one pinned install: its kind and the digest of its pinned files.
fn install_dir(root: &Path, kind: &str, spec: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(spec.as_bytes()));
    root.join(format!("{kind}-{}", &digest[..16]))
}

/// Makes sure the install of `kind` pinned by `spec` exists under [`clients_root`], running
/// `install(dir, scratch)` at most once across concurrent test processes, and returns the folder
/// (or why `install` failed; a failed install leaves no marker, so the next test process tries
/// again).
#[track_caller]
pub fn try_install_once(
    kind: &str,
    spec: &str,
    install: impl FnOnce(&Path, &Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let root = clients_root();
    fs::create_dir_all(&root).unwrap_or_else(|err| panic!("create {}: {err}", root.display()));
    let dir = install_dir(&root, kind, spec);
    let marker = dir.join(".gatehouse-installed");
    let installed = || fs::read_to_string(&marker).is_ok_and(|text| text == spec);
    if installed() {
        return Ok(dir);
    }

    let lock = dir.with_extension("lock");
    let _lock = DirLock::acquire(lock, INSTALL_TIMEOUT);
    if installed() {
        return Ok(dir); // another process finished while we waited
    }
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove a partial or outdated SDK install");
    }
    let scratch = tempfile::tempdir().expect("scratch dir for install logs");
    install(&dir, scratch.path())?;
    // Written last: its presence means the install completed.
    fs::write(&marker, spec).expect("write the install marker");
    Ok(dir)
}

/// Runs an install step, failing the test with its output unless it exits 0; returns its stdout.
#[track_caller]
pub fn run_checked(mut command: Command, scratch: &Path, what: &str) -> String {
    command.env_remove("NODE_OPTIONS");
    let output = run_with_deadline(command, scratch, INSTALL_TIMEOUT);
    assert!(
        output.status.success(),
        "{what} failed ({}); the SDK tests need it:\n{}",
        output.status,
        output.text
    );
    output.stdout
}

/// A lock between processes: the directory exists while one process holds it. It records the
/// holder's pid so a lock left by a killed test run is taken over instead of waited on forever.
#[derive(Debug)]
struct DirLock {
    path: PathBuf,
}

impl DirLock {
    #[track_caller]
    fn acquire(path: PathBuf, timeout: Duration) -> Self {
        let deadline = Instant::now() + timeout;
        loop {
            match fs::create_dir(&path) {
                Ok(()) => {
                    fs::write(path.join("pid"), std::process::id().to_string())
                        .expect("write the lock's pid file");
                    return DirLock { path };
                }
                Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                    if Self::is_stale(&path) {
                        let _ = fs::remove_dir_all(&path);
                        continue;
                    }
                }
                Err(error) => panic!("cannot create lock {}: {error}", path.display()),
            }
            assert!(
                Instant::now() < deadline,
                "{} still held after {timeout:?} (another test process installing an SDK?)",
                path.display()
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// The holder is gone: its pid no longer runs, or it died between `mkdir` and writing the pid.
    fn is_stale(path: &Path) -> bool {
        match fs::read_to_string(path.join("pid")) {
            Ok(pid) => !Path::new("/proc").join(pid.trim()).exists(),
            Err(_) => fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|created| created.elapsed().is_ok_and(|age| age > Duration::from_secs(30))),
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A copy of a script in another folder, removed when dropped.
#[derive(Debug)]
pub struct ScriptCopy {
    pub path: PathBuf,
}

impl ScriptCopy {
    #[track_caller]
    pub fn new(source: &Path, folder: &Path) -> Self {
        let stem = source.file_stem().and_then(|s| s.to_str()).unwrap_or("script");
        let extension = source.extension().and_then(|s| s.to_str()).unwrap_or("");
        let path = folder.join(format!("{stem}-{}.{extension}", random_hex(8)));
        fs::copy(source, &path)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", source.display(), path.display()));
        ScriptCopy { path }
    }
}

impl Drop for ScriptCopy {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
