//! `riskdesk completions` and `riskdesk man`: generated from the same clap definitions as the
//! command line itself, so they never drift from it. Neither starts the sandbox, opens history
//! nor reads credentials.

use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write riskdesk.1 and one page per subcommand (riskdesk-check.1, …) into this directory
    /// instead of printing riskdesk.1 to stdout.
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` to stdout.
pub fn run_completions(args: &CompletionsArgs) -> ExitCode {
    let mut cmd = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "riskdesk", &mut out);
    finish(out.flush())
}

/// Prints the man page (roff) to stdout, or writes it and the subcommand pages to `--out-dir`.
pub fn run_man(args: &ManArgs) -> ExitCode {
    let cmd = super::Cli::command();
    let result = match &args.out_dir {
        Some(dir) => std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir)),
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .and_then(|()| out.flush())
        }
    };
    finish(result)
}

fn finish(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not a failure worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("riskdesk: {e}");
            ExitCode::from(1)
        }
    }
}
