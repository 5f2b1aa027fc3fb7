use clap::Parser;

fn main() -> std::process::ExitCode {
    riskdesk::cli::main(riskdesk::cli::Cli::parse())
}
