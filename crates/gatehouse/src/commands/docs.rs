//! `gatehouse completions SHELL` and `gatehouse man`: shell completions and manual pages
//! generated from the command-line definition, so they never drift from it.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap_complete::Shell;

/// Completions for `shell` on stdout.
pub fn completions(mut command: clap::Command, shell: Shell) -> ExitCode {
    // Into memory first: the generator panics on a failed write (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "gatehouse", &mut script);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse: cannot write the completions: {error}");
            ExitCode::from(74)
        }
    }
}

/// `gatehouse.1` on stdout, or with `dir`, one page per command (`gatehouse.1`,
/// `gatehouse-token-create.1`, …) written into that directory.
pub fn man(command: clap::Command, dir: Option<&Path>) -> ExitCode {
    let result = match dir {
        Some(dir) => std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(command, dir)),
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse: cannot write the manual pages: {error}");
            ExitCode::from(74)
        }
    }
}
