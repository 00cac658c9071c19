//! `soc-copilot`: the one binary. Each subcommand is a thin shell over library code.

mod cli;
mod eval;
mod fleet;
mod input;
mod intel;
mod investigate;
mod llm;
mod out;
mod rules;
mod ruling;
mod settings;
mod summary;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// mimalloc instead of the system allocator: tier 0 allocates many small, short-lived
/// strings, and the worker's whole per-alert cost drops with a faster allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_checked();
    init_logging(&cli);
    soc_intel::tls::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Investigate(args) => investigate::run(args).await,
            Command::Eval(args) => eval::run(args).await,
            Command::Serve(args) => fleet::serve(args).await,
            Command::Ingest(args) => fleet::ingest(args).await,
            Command::Worker(args) => fleet::worker(args).await,
            Command::Setup(args) => fleet::setup(args).await,
            Command::Tail(args) => fleet::tail(args).await,
            Command::Ruling(args) => ruling::run(args).await,
            Command::Intel(cli::IntelCommand::Lookup(args)) => intel::lookup(args).await,
            Command::Rules(cli::RulesCommand::Check(args)) => rules::check(&args),
            Command::Rules(cli::RulesCommand::Test(args)) => rules::test(&args),
            Command::Rules(cli::RulesCommand::Bench(args)) => rules::bench(&args),
        }
    });
    match result {
        Ok(code) => code,
        // The reader of our output went away (`| head`): a normal, quiet end.
        Err(e) if out::is_stdout_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    // The long-running roles log their life at info; one-shot commands (setup among
    // them) print their results and log only warnings, so the NATS client's connection
    // events (info) stay out of their output.
    let level = match (&cli.command, cli.quiet) {
        (_, true) => "error",
        (Command::Serve(_) | Command::Ingest(_) | Command::Worker(_), false) => "info",
        _ => "warn",
    };
    // The history store logs a failed operation at debug only: its callers report it
    // (the investigation's `degraded`, the worker's warning, `ruling`'s error).
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // The NATS and Redis clients' debug lines print server addresses with their
    // credentials: with any directive at debug or trace, theirs stop at info.
    if filter
        .max_level_hint()
        .is_some_and(|l| l > tracing_subscriber::filter::LevelFilter::INFO)
    {
        for quiet in ["async_nats=info", "redis=info"] {
            if let Ok(d) = quiet.parse() {
                filter = filter.add_directive(d);
            }
        }
    }
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let result = match cli.log_format {
        cli::LogFormat::Json => builder.json().try_init(),
        cli::LogFormat::Text => builder.with_target(false).try_init(),
    };
    if let Err(e) = result {
        eprintln!("warning: logging not initialised: {e}");
    }
}
