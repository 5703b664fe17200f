//! `terraform-provider-cloudflare`: gatehouse's Terraform provider for Cloudflare's Access
//! resources (the `gatehouse-terraform-provider` crate). Terraform starts it as a plugin; install
//! it with `gatehouse terraform install-provider` (see docs/terraform.md).

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match gatehouse_terraform_provider::serve::serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("terraform-provider-cloudflare: {message}");
            ExitCode::FAILURE
        }
    }
}
