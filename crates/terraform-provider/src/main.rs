//! The provider binary Terraform starts as a plugin.

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
