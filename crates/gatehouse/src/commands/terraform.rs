//! `gatehouse terraform install-provider`: lays out gatehouse's `terraform-provider-cloudflare` as
//! a Terraform filesystem mirror, so `terraform init` installs it for `source =
//! "cloudflare/cloudflare"` without reaching the registry, and prints the CLI configuration that
//! points Terraform at the mirror.
//!
//! The mirror uses Terraform's unpacked layout:
//! `DIR/registry.terraform.io/cloudflare/cloudflare/<version>/<os>_<arch>/terraform-provider-cloudflare_v<version>`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// The version the mirror announces: within every `~> 5.x` constraint of Cloudflare's v5 provider
/// and above all of its releases, so configurations written for it keep their `version` line.
pub const MIRROR_VERSION: &str = "5.999.0";

/// The provider's registry address, as Terraform writes it in mirrors and CLI configurations.
const PROVIDER_ADDRESS: &str = "registry.terraform.io/cloudflare/cloudflare";

/// The provider binary's name, as cargo builds it next to `gatehouse`.
const PROVIDER_BINARY: &str = "terraform-provider-cloudflare";

#[derive(Debug, Subcommand)]
pub enum TerraformCommand {
    /// Install gatehouse's terraform-provider-cloudflare into a filesystem mirror and print the
    /// `provider_installation` block of the Terraform CLI configuration that uses it.
    InstallProvider(InstallProviderArgs),
}

#[derive(Debug, Args)]
pub struct InstallProviderArgs {
    /// The mirror directory [default: ~/.terraform.d/plugins, which Terraform searches on its own
    /// when the CLI configuration has no provider_installation block].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The provider binary to install [default: terraform-provider-cloudflare next to this
    /// gatehouse binary].
    #[arg(long, value_name = "FILE")]
    provider_binary: Option<PathBuf>,
    /// The version to install it as (must satisfy the configurations' version constraints).
    #[arg(long, value_name = "VERSION", default_value = MIRROR_VERSION, value_parser = parse_version)]
    provider_version: String,
}

pub async fn run(command: TerraformCommand) -> ExitCode {
    let TerraformCommand::InstallProvider(args) = command;
    match install(&args) {
        Ok(installed) => {
            eprintln!(
                "gatehouse: installed {} as {PROVIDER_ADDRESS} {} ({})",
                installed.source.display(),
                args.provider_version,
                installed.platform
            );
            eprintln!("gatehouse:   {}", installed.binary.display());
            eprintln!(
                "gatehouse: put this in your Terraform CLI configuration (~/.terraformrc, or the file \
                 TF_CLI_CONFIG_FILE names), then run terraform init (-upgrade after reinstalling):"
            );
            match crate::output::line(&cli_config(&installed.mirror)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(74),
            }
        }
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::from(1)
        }
    }
}

/// Where the provider went.
#[derive(Debug)]
struct Installed {
    source: PathBuf,
    mirror: PathBuf,
    binary: PathBuf,
    platform: String,
}

fn install(args: &InstallProviderArgs) -> Result<Installed, String> {
    let source = match &args.provider_binary {
        Some(path) => path.clone(),
        None => beside_this_binary()?,
    };
    if !source.is_file() {
        return Err(format!(
            "no provider binary at {}: build it with `cargo build --release -p gatehouse-terraform-provider` \
             (it lands next to the gatehouse binary), or name it with --provider-binary",
            source.display()
        ));
    }
    let mirror = match &args.dir {
        Some(dir) => dir.clone(),
        None => default_mirror()?,
    };
    let platform = platform()?;
    let target_dir = mirror.join(PROVIDER_ADDRESS).join(&args.provider_version).join(&platform);
    fs::create_dir_all(&target_dir).map_err(|e| format!("cannot create {}: {e}", target_dir.display()))?;
    let binary = target_dir.join(format!("{PROVIDER_BINARY}_v{}", args.provider_version));
    copy_executable(&source, &binary)
        .map_err(|e| format!("cannot copy {} to {}: {e}", source.display(), binary.display()))?;
    // Absolute, so the printed configuration works from any directory.
    let mirror = mirror.canonicalize().map_err(|e| format!("cannot resolve {}: {e}", mirror.display()))?;
    let binary = binary.canonicalize().unwrap_or(binary);
    Ok(Installed { source, mirror, binary, platform })
}

fn beside_this_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary's directory: {e}"))?;
    let dir = exe.parent().ok_or_else(|| format!("{} has no parent directory", exe.display()))?;
    Ok(dir.join(PROVIDER_BINARY))
}

fn default_mirror() -> Result<PathBuf, String> {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(Path::new(&home).join(".terraform.d").join("plugins")),
        _ => Err("HOME is not set: name the mirror directory with --dir".to_string()),
    }
}

/// Terraform's name for this machine's platform.
fn platform() -> Result<String, String> {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        os @ ("linux" | "freebsd" | "openbsd" | "windows") => os,
        os => return Err(format!("Terraform has no provider platform for {os}")),
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        arch => return Err(format!("Terraform has no provider platform for {arch}")),
    };
    Ok(format!("{os}_{arch}"))
}

/// Copies through a temporary file and a rename, so a running Terraform never sees half a binary.
fn copy_executable(source: &Path, target: &Path) -> io::Result<()> {
    let partial = target.with_extension("partial");
    fs::copy(source, &partial)?;
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o755))?;
    fs::rename(&partial, target)
}

/// The CLI configuration block that makes Terraform install the provider from `mirror` and every
/// other provider as usual.
fn cli_config(mirror: &Path) -> String {
    let path = serde_json::Value::String(mirror.display().to_string());
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {path}\n    include = [\"{PROVIDER_ADDRESS}\"]\n  }}\n  direct {{\n    exclude = [\"{PROVIDER_ADDRESS}\"]\n  }}\n}}"
    )
}

/// A version Terraform accepts: `MAJOR.MINOR.PATCH` of digits.
fn parse_version(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not a version of the form 5.999.0"))
    }
}

#[cfg(test)]
mod tests {
    /// The provider warns about exactly the selectors the policy engine does not evaluate.
    #[test]
    fn the_provider_knows_which_selectors_the_engine_evaluates() {
        use gatehouse_domain::access::Rule;
        use gatehouse_terraform_provider::resources::access_rules::{
            EVALUATED_SELECTORS, SELECTORS, api_key,
        };
        for selector in SELECTORS {
            let parsed = Rule::parse(&serde_json::json!({ api_key(selector.name): {} }));
            let evaluated = !matches!(parsed, Ok(Rule::Other(_)));
            assert_eq!(
                EVALUATED_SELECTORS.contains(&selector.name),
                evaluated,
                "{}: the engine parses it as {parsed:?}",
                selector.name
            );
        }
    }

    use super::*;

    #[test]
    fn versions_are_three_numbers() {
        assert_eq!(parse_version("5.999.0").unwrap(), "5.999.0");
        assert!(parse_version("5.1").is_err());
        assert!(parse_version("v5.1.0").is_err());
        assert!(parse_version("5.1.0-rc1").is_err());
    }

    #[test]
    fn cli_config_quotes_the_path() {
        let config = cli_config(Path::new("/tmp/my \"mirror\""));
        assert!(config.contains(r#"path    = "/tmp/my \"mirror\"""#), "{config}");
        assert!(config.contains("include = [\"registry.terraform.io/cloudflare/cloudflare\"]"));
        assert!(config.contains("exclude = [\"registry.terraform.io/cloudflare/cloudflare\"]"));
    }

    #[test]
    fn installs_the_unpacked_layout() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("provider");
        fs::write(&source, b"#!/bin/sh\n").unwrap();
        let args = InstallProviderArgs {
            dir: Some(dir.path().join("mirror")),
            provider_binary: Some(source),
            provider_version: MIRROR_VERSION.to_string(),
        };
        let installed = install(&args).unwrap();
        let expected = dir
            .path()
            .join("mirror/registry.terraform.io/cloudflare/cloudflare/5.999.0")
            .join(platform().unwrap())
            .join("terraform-provider-cloudflare_v5.999.0");
        assert_eq!(installed.binary, expected.canonicalize().unwrap());
        assert_eq!(fs::metadata(&expected).unwrap().permissions().mode() & 0o777, 0o755);
        // Installing again replaces the binary.
        install(&args).unwrap();
    }

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let args = InstallProviderArgs {
            dir: Some(dir.path().to_path_buf()),
            provider_binary: Some(dir.path().join("absent")),
            provider_version: MIRROR_VERSION.to_string(),
        };
        let error = install(&args).unwrap_err();
        assert!(error.contains("cargo build --release -p gatehouse-terraform-provider"), "{error}");
    }
}
