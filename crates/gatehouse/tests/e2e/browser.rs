//! The real-browser harness: Debian's chromium (`/usr/bin/chromium`, installed by `.ci/run`)
//! driven by Python Playwright from a venv pinned by `tests/browser/requirements.txt` (hashes
//! checked). Playwright never downloads a browser of its own.
//!
//! Browser tests are Python scripts in `tests/browser/` that import `browser.launch`; a test
//! starts gatehouse (and whatever else it needs), then runs its script with [`run_script`] and
//! fails with the script's output unless it exits 0.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::sdk::{install_once, run_checked, try_install_once, try_run};
use crate::support::{Gatehouse, Output, remove_inherited_config, run_with_deadline};

/// Where chromium is expected; `GATEHOUSE_CHROMIUM` overrides it for the scripts.
const CHROMIUM: &str = "/usr/bin/chromium";
/// One browser script, including chromium's start-up on a loaded machine.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

#[test]
fn browser_harness_loads_a_gateway_page() {
    let server = Gatehouse::start();
    let output = run_script(server.scratch_dir(), "smoke.py", &[server.gateway()], &[]);
    assert_success(&output, "smoke.py", &server);
    assert!(output.stdout.contains("OK chromium"), "{}", output.text);
}

/// The folder of the browser test scripts.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The venv holding Playwright, installed on first use from the pinned requirements.
pub fn python() -> PathBuf {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the browser tests need Debian's chromium \
         (`apt-get install chromium chromium-driver`; .ci/run installs it)"
    );
    let requirements = scripts_dir().join("requirements.txt");
    let spec = fs::read_to_string(&requirements).expect("read tests/browser/requirements.txt");
    install_once("browser", &spec, |venv, scratch| {
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(venv);
        run_checked(create, scratch, "python3 -m venv");
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--require-hashes"])
            .arg("-r")
            .arg(&requirements);
        run_checked(pip, scratch, "pip install -r tests/browser/requirements.txt");
    })
    .join("bin/python")
}

/// Set to `1` (as `.ci/run` does) to fail, instead of skipping, the browser tests that can skip.
pub const REQUIRE_BROWSER_ENV: &str = "GATEHOUSE_REQUIRE_BROWSER";

/// [`python`] for tests that skip without a browser: `false` (after printing `SKIPPED` and
/// why) when chromium or the Playwright venv is missing and cannot be installed, unless
/// `GATEHOUSE_REQUIRE_BROWSER=1`, which makes that a failure.
pub fn browser_available() -> bool {
    let missing = if Path::new(CHROMIUM).exists() {
        let requirements = scripts_dir().join("requirements.txt");
        let spec = fs::read_to_string(&requirements).expect("read tests/browser/requirements.txt");
        try_install_once("browser", &spec, |venv, scratch| {
            let mut create = Command::new("python3");
            create.args(["-m", "venv"]).arg(venv);
            try_run(create, scratch, "python3 -m venv")?;
            let mut pip = Command::new(venv.join("bin/python"));
            pip.args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--require-hashes",
            ])
            .arg("-r")
            .arg(&requirements);
            try_run(pip, scratch, "pip install -r tests/browser/requirements.txt").map(drop)
        })
        .err()
    } else {
        Some(format!(
            "{CHROMIUM} is missing (`apt-get install chromium chromium-driver`; .ci/run installs it)"
        ))
    };
    let Some(reason) = missing else { return true };
    if std::env::var(REQUIRE_BROWSER_ENV).is_ok_and(|v| v == "1") {
        panic!("the real browser cannot be used and {REQUIRE_BROWSER_ENV}=1:\n{reason}");
    }
    let line = format!(
        "SKIPPED: the real browser cannot be used, so this test did not run \
         ({REQUIRE_BROWSER_ENV}=1 makes this a failure):\n{reason}"
    );
    eprintln!("{line}");
    println!("{line}");
    false
}

/// Runs `tests/browser/<script>` with `args` and extra environment, returning what it printed.
#[track_caller]
pub fn run_script(scratch: &Path, script: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(python());
    command.arg(scripts_dir().join(script)).args(args).current_dir(scripts_dir());
    remove_inherited_config(&mut command);
    // Loopback only: a proxy from the environment must not see the browser's requests.
    for proxy in ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        command.env_remove(proxy);
    }
    command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env("NO_PROXY", "*")
        .env("no_proxy", "*");
    for (key, value) in env {
        command.env(key, value);
    }
    run_with_deadline(command, scratch, SCRIPT_TIMEOUT)
}

/// Fails with the script's output and the server's log unless the script exited 0.
#[track_caller]
pub fn assert_success(output: &Output, script: &str, server: &Gatehouse) {
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{}\n--- gatehouse log ---\n{}",
        output.status,
        output.text,
        server.logs()
    );
}
