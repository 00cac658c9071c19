//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// soc-copilot investigates security alerts: it extracts and enriches the indicators,
/// recognises the attack pattern, decides a verdict it can ground in evidence, and drafts
/// the escalation. With no configuration it runs fully offline: no server, no API key.
#[derive(Debug, Parser)]
#[command(name = "soc-copilot", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Only log errors.
    #[arg(long, global = true)]
    pub(crate) quiet: bool,
    /// Log format on stderr (RUST_LOG sets the level, e.g. RUST_LOG=debug; the NATS and
    /// Redis clients' own lines stop at info, as their debug lines carry credentials).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "SOC_LOG_FORMAT")]
    pub(crate) log_format: LogFormat,
}

/// Log formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Investigate alerts from files, directories or stdin, and print the investigations.
    ///
    /// Output is one JSON investigation (schema: schemas/investigation.v1.json), or NDJSON
    /// when there are several. A bad input (unreadable, malformed, over a limit, or a
    /// directory without alert files) is reported on stderr by name and reason, and the
    /// others are still investigated.
    ///
    /// Environment: ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL) and OPENAI_API_KEY /
    /// OPENAI_BASE_URL turn the LLM tiers on (models: SOC_LLM__CHEAP_MODEL,
    /// SOC_LLM__STRONG_MODEL; the other SOC_LLM__* settings as in the configuration's
    /// [llm] section); ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY and URLSCAN_API_KEY turn those
    /// intel providers on (base URLs: ABUSEIPDB_BASE_URL, VIRUSTOTAL_BASE_URL,
    /// URLSCAN_BASE_URL). With none of them it runs fully offline. The fleet's settings
    /// (SOC_NATS__*, SOC_REDIS__*, SOC_WORKER__*, ...) are not read.
    ///
    /// Exit status: 0 all investigated; 1 some input failed, or a configuration error
    /// (a --rules directory from which no rule loads, an unusable --history file, an
    /// invalid SOC_LLM__* value), or the history could not be saved; 2 usage error.
    Investigate(InvestigateArgs),
    /// Investigate every alert in a directory and score the results against labels.
    ///
    /// Prints a per-alert table and totals (or one JSON object with --json). Labels (or
    /// expectations) that match no alert of the directory are listed as warnings on
    /// stderr.
    ///
    /// Environment: as `investigate`: ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL) and
    /// OPENAI_API_KEY / OPENAI_BASE_URL for the LLM tiers (models: SOC_LLM__CHEAP_MODEL,
    /// SOC_LLM__STRONG_MODEL; the other SOC_LLM__* settings); ABUSEIPDB_API_KEY,
    /// VIRUSTOTAL_API_KEY and URLSCAN_API_KEY (base URLs: their *_BASE_URL) for the intel
    /// providers. With none of them the score is tier 0's, offline.
    ///
    /// Exit status: 0 the harness ran, whatever the score; 1 it could not run (DIR missing
    /// or without alert files, unreadable labels, a configuration error); 2 usage error
    /// (neither --expectations nor --labels, or both).
    Eval(EvalArgs),
    /// Run the ingest API and a worker in one process (the fleet on one machine).
    ///
    /// Alerts POSTed to /v1/alerts are queued on NATS JetStream, investigated, and
    /// published to soc.investigations.<verdict>. Stops on SIGTERM/SIGINT after finishing
    /// in-flight work (exit 0); a role that fails brings the process down (exit 1).
    Serve(ServeArgs),
    /// Run only the ingest API (POST /v1/alerts, /healthz, /readyz).
    Ingest(IngestArgs),
    /// Run only a worker on the shared durable consumer. Run as many as you like.
    Worker(WorkerArgs),
    /// Create or update the JetStream streams and the consumer (idempotent), and check
    /// that Redis answers: a pre-flight check for the fleet.
    ///
    /// Prints one line per stream and for the consumer (`created`, `updated` or
    /// `unchanged`) and one for Redis. Exit status: 0 NATS and Redis ready; 1 NATS
    /// unreachable or refusing the configuration, or Redis not answering (the last line
    /// says which, with the URL's credentials redacted).
    Setup(FleetArgs),
    /// Print investigations from the investigation stream (NDJSON, or a summary with
    /// --pretty); with --follow, keep printing new ones until Ctrl-C.
    Tail(TailArgs),
    /// Record an analyst's ruling on an investigation, or show the current one.
    ///
    /// The ruling is written straight into the fleet's Redis (--redis-url / REDIS_URL, or
    /// the [redis] section of --config; key prefix from the config or
    /// SOC_REDIS__KEY_PREFIX), next to the investigation. Rulings are accepted only for
    /// investigations this fleet has completed. A ruling outranks the copilot's verdict:
    /// later alerts sharing an indicator show it in their prior sightings, and dedup, tier
    /// policy and closure take it into account. A new ruling replaces the previous one.
    /// The ingest API offers the same: POST /v1/investigations/{id}/ruling.
    ///
    /// Without --verdict (or with --show), the current ruling is printed.
    ///
    /// Exit status: 0 recorded or shown; 1 unknown or still running investigation, or
    /// Redis unavailable; 2 usage error (bad verdict, over-long summary, ...).
    ///
    /// Example: `soc-copilot ruling 0190f5c2-7a4e-7cc1-9b8e-3f1d2a4b5c6d --verdict
    /// false_positive --summary "Nightly backup job" --analyst alice`
    Ruling(RulingArgs),
    /// Threat-intel tools.
    #[command(subcommand)]
    Intel(IntelCommand),
    /// Sigma rule tools: check a rule corpus, run regression samples, benchmark matching.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Load rule directories and print `rules: total=<n> loaded=<n> skipped=<n> errors=<n>`
    /// with the reasons grouped. Exit 1 when a rule failed with --strict or nothing loaded.
    Check(RulesCheckArgs),
    /// Run SigmaHQ regression samples (info.yml + events JSON) against the rules and report
    /// how many samples match their own rule, listing the misses with the reason.
    ///
    /// Exit status: 0 every sample matched its rule; 1 a sample did not (a CI gate), or
    /// the rules or samples cannot be read; 2 usage error.
    Test(RulesTestArgs),
    /// Match a stream of events against the loaded rules and print events/s per core, with
    /// a parse-only baseline measured in the same run.
    ///
    /// Exit status: 0 measured; 1 a path is missing or holds no events; 2 usage error.
    Bench(RulesBenchArgs),
}

/// `rules check` arguments.
#[derive(Debug, Args)]
pub(crate) struct RulesCheckArgs {
    /// Rule directories or files.
    #[arg(required = true, value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Fail on the first rule that cannot be loaded (all problems are still listed).
    #[arg(long)]
    pub(crate) strict: bool,
    /// One JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// List every skipped rule, not only the reasons with counts.
    #[arg(long)]
    pub(crate) verbose: bool,
}

/// `rules test` arguments.
#[derive(Debug, Args)]
pub(crate) struct RulesTestArgs {
    /// Rule directories (the samples' own rules must be among them).
    #[arg(required = true, value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Regression samples directory (SigmaHQ `regression_data`).
    #[arg(long, value_name = "DIR")]
    pub(crate) samples: PathBuf,
    /// One JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `rules bench` arguments.
#[derive(Debug, Args)]
pub(crate) struct RulesBenchArgs {
    /// Rule directories (the project's own rules are always included).
    #[arg(value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// SigmaHQ regression-sample directories (info.yml + events JSON) to use as events.
    #[arg(long, required = true, value_name = "DIR")]
    pub(crate) events: Vec<PathBuf>,
    /// Seconds to measure each pass (1 to 3600).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) seconds: u64,
}

/// `intel` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum IntelCommand {
    /// Look indicators up in every configured provider and print what each says, where the
    /// answer came from (local data, L1, L2 or upstream) and how old it is.
    ///
    /// Providers: the offline feeds always; AbuseIPDB, VirusTotal and urlscan when
    /// ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY, URLSCAN_API_KEY are set (base URLs
    /// overridable with *_BASE_URL). With --redis-url (or REDIS_URL) the fleet's shared
    /// cache, budgets and circuits are used too.
    ///
    /// With --json, one line per answer, and one per indicator no configured provider
    /// looks up (`"status": "unsupported"`) or that is not an indicator
    /// (`"status": "invalid"`); answers have `"status": "ok"`, failed lookups
    /// `"status": "failed"` with the `error`.
    ///
    /// Exit status: 0 every lookup answered (an indicator no configured provider looks up
    /// is not a failure); 1 a provider lookup failed or an argument is not an indicator;
    /// 2 usage error.
    Lookup(IntelLookupArgs),
}

/// `intel lookup` arguments.
#[derive(Debug, Args)]
pub(crate) struct IntelLookupArgs {
    /// Indicators: IPs, domains, URLs, hashes, e-mail addresses (defanged forms accepted).
    #[arg(required = true, value_name = "INDICATOR")]
    pub(crate) indicators: Vec<String>,
    /// Redis for the shared cache (optional).
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub(crate) redis_url: Option<String>,
    /// Key prefix in Redis.
    #[arg(long, env = "SOC_REDIS__KEY_PREFIX", default_value = "soc:")]
    pub(crate) redis_prefix: String,
    /// One JSON object per answer instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `tail` arguments.
#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// Keep reading new investigations as they are published.
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    /// Only investigations published from now on (with --follow).
    #[arg(long, requires = "follow")]
    pub(crate) new: bool,
    /// A short human summary instead of JSON.
    #[arg(long)]
    pub(crate) pretty: bool,
    #[command(flatten)]
    pub(crate) nats: NatsArgs,
}

/// `ruling` arguments.
#[derive(Debug, Args)]
pub(crate) struct RulingArgs {
    /// The investigation's `investigation_id` (as published on soc.investigations.*).
    #[arg(value_name = "INVESTIGATION_ID", value_parser = crate::ruling::parse_investigation_id)]
    pub(crate) investigation_id: String,
    /// The analyst's verdict. Without it, the current ruling is shown.
    #[arg(long, value_enum, requires = "analyst", conflicts_with = "show")]
    pub(crate) verdict: Option<VerdictArg>,
    /// The analyst's note: why (at most 2000 bytes; newlines allowed). Shown next to the
    /// ruling wherever later alerts meet this investigation.
    #[arg(
        long,
        value_name = "TEXT",
        requires = "verdict",
        value_parser = crate::ruling::SummaryParser
    )]
    pub(crate) summary: Option<String>,
    /// Who rules (one line, at most 128 bytes). Required with --verdict.
    #[arg(
        long,
        value_name = "NAME",
        env = "SOC_ANALYST",
        value_parser = crate::ruling::parse_analyst
    )]
    pub(crate) analyst: Option<String>,
    /// Show the current ruling instead of recording one.
    #[arg(long)]
    pub(crate) show: bool,
    /// Print JSON (the ingest API's answer shape) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// An analyst's verdict.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum VerdictArg {
    /// Malicious or unauthorised activity.
    TruePositive,
    /// Nothing attack-like happened, or the activity is sanctioned.
    FalsePositive,
    /// The evidence does not decide it.
    Inconclusive,
}

impl VerdictArg {
    /// The model's verdict.
    pub(crate) fn verdict(self) -> soc_core::Verdict {
        match self {
            Self::TruePositive => soc_core::Verdict::TruePositive,
            Self::FalsePositive => soc_core::Verdict::FalsePositive,
            Self::Inconclusive => soc_core::Verdict::Inconclusive,
        }
    }
}

/// Where the fleet's Redis is, for commands that only need Redis.
#[derive(Debug, Args)]
#[command(next_help_heading = "Fleet")]
pub(crate) struct StoreArgs {
    /// Configuration file (TOML; see examples/soc-copilot.toml); its [redis] section is used.
    #[arg(long, env = "SOC_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Redis URL of the fleet's history [default: redis://127.0.0.1:6379/]. Also read
    /// from SOC_REDIS__URL (the configuration's form; REDIS_URL wins when both are set).
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub(crate) redis_url: Option<String>,
}

/// Where the fleet's NATS is: what every fleet command needs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Fleet")]
pub(crate) struct NatsArgs {
    /// Configuration file (TOML; see examples/soc-copilot.toml).
    #[arg(long, env = "SOC_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// NATS server URL, or a comma-separated list of servers, each with its scheme
    /// (`nats://a:4222,nats://b:4222`); credentials go in the URL and are never shown
    /// [default: nats://127.0.0.1:4222]. Also read from SOC_NATS__URL (the
    /// configuration's form; NATS_URL wins when both are set).
    #[arg(long, env = "NATS_URL", value_name = "URL", hide_env_values = true)]
    pub(crate) nats_url: Option<String>,
}

/// Where the fleet's NATS and Redis are: `setup` and the roles.
#[derive(Debug, Args)]
#[command(next_help_heading = "Fleet")]
pub(crate) struct FleetArgs {
    #[command(flatten)]
    pub(crate) nats: NatsArgs,
    /// Redis URL for the investigation store and the fleet's history
    /// [default: redis://127.0.0.1:6379/]. Also read from SOC_REDIS__URL (the
    /// configuration's form; REDIS_URL wins when both are set).
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub(crate) redis_url: Option<String>,
}

/// What every role (`serve`, `ingest`, `worker`) takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Fleet")]
pub(crate) struct RoleOpts {
    /// Address of the Prometheus /metrics endpoint, or `none` [default: 127.0.0.1:9464].
    #[arg(long, env = "SOC_METRICS_LISTEN", value_name = "ADDR")]
    pub(crate) metrics_listen: Option<String>,
    #[command(flatten)]
    pub(crate) fleet: FleetArgs,
}

/// The ingest API's settings (`serve`, `ingest`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Ingest")]
pub(crate) struct IngestOpts {
    /// Address of the ingest API.
    #[arg(
        long,
        env = "SOC_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    pub(crate) listen: std::net::SocketAddr,
}

/// The worker's settings (`serve`, `worker`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Worker")]
pub(crate) struct WorkerOpts {
    /// Alerts investigated at once by this worker [default: 32]. Also read from
    /// SOC_WORKER__CONCURRENCY (the configuration's form, `[worker] concurrency` in the
    /// file); this flag and SOC_WORKER_CONCURRENCY win over both.
    #[arg(long, env = "SOC_WORKER_CONCURRENCY", value_name = "N")]
    pub(crate) concurrency: Option<usize>,
    /// Seconds to finish in-flight work after SIGTERM before naking it [default: 60].
    /// Also read from SOC_WORKER__SHUTDOWN_GRACE (the configuration's form, a duration
    /// such as `90s`; `[worker] shutdown_grace` in the file); this flag and
    /// SOC_GRACEFUL_SHUTDOWN_SECS (whole seconds) win over both.
    #[arg(long, env = "SOC_GRACEFUL_SHUTDOWN_SECS", value_name = "SECS")]
    pub(crate) graceful_shutdown_secs: Option<u64>,
    #[command(flatten)]
    pub(crate) rules: RulesArgs,
}

/// `serve` arguments: both roles.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) ingest: IngestOpts,
    #[command(flatten)]
    pub(crate) worker: WorkerOpts,
    #[command(flatten)]
    pub(crate) role: RoleOpts,
}

/// `ingest` arguments.
#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    #[command(flatten)]
    pub(crate) ingest: IngestOpts,
    #[command(flatten)]
    pub(crate) role: RoleOpts,
}

/// `worker` arguments.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub(crate) worker: WorkerOpts,
    #[command(flatten)]
    pub(crate) role: RoleOpts,
}

/// Input options shared by the commands that read alerts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Input")]
pub(crate) struct InputArgs {
    /// Alert format: detect it per document, or force one.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub(crate) format: InputFormat,
    /// Extra internal domain suffix (repeatable), on top of .internal, .corp, .local,
    /// .lan, .intranet and .home.arpa.
    #[arg(long = "internal-suffix", value_name = "SUFFIX")]
    pub(crate) internal_suffixes: Vec<String>,
    #[command(flatten)]
    pub(crate) rules: RulesArgs,
    /// The operator's asset inventory (JSON: hosts, ips, service_accounts, saas_apps,
    /// mail_senders): the only source allowed to call activity sanctioned.
    #[arg(long, value_name = "FILE", env = "SOC_ASSETS")]
    pub(crate) assets: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) llm: LlmArgs,
    /// Keep the memory of investigations (prior sightings, correlation, campaigns) in FILE
    /// between runs. Without it, alerts of one run are remembered for that run only.
    #[arg(
        long,
        value_name = "FILE",
        env = "SOC_HISTORY_FILE",
        conflicts_with = "no_history"
    )]
    pub(crate) history: Option<PathBuf>,
    /// No memory at all: every alert is investigated as if it were the first.
    #[arg(long)]
    pub(crate) no_history: bool,
}

/// The LLM tiers (providers and keys from ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL and
/// OPENAI_API_KEY / OPENAI_BASE_URL; models from SOC_LLM__CHEAP_MODEL and
/// SOC_LLM__STRONG_MODEL). Without a provider, tier 0's answer stands.
#[derive(Debug, Args)]
#[command(next_help_heading = "LLM tiers")]
pub(crate) struct LlmArgs {
    /// auto: tier 0, then the cheap model where tier 0 is unsure, then the strong model's
    /// tool loop where the cheap one is not a clean high-confidence false positive;
    /// triage: tier 0 only; pipeline: always one cheap call; agentic: always the tool
    /// loop. Env SOC_LLM__MODE [default: auto].
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// Directory whose shared.md / pipeline.md / agentic.md replace the compiled-in
    /// prompts.
    #[arg(long, value_name = "DIR", env = "SOC_PROMPTS")]
    pub(crate) prompts: Option<PathBuf>,
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ModeArg {
    /// Follow the tier policy.
    Auto,
    /// Tier 0 only.
    Triage,
    /// Force the one-call tier.
    Pipeline,
    /// Force the agentic tool loop.
    Agentic,
}

impl ModeArg {
    /// The config name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Triage => "triage",
            Self::Pipeline => "pipeline",
            Self::Agentic => "agentic",
        }
    }
}

/// Sigma rules to load on top of the project's own (compiled in).
#[derive(Debug, Args)]
#[command(next_help_heading = "Detection rules")]
pub(crate) struct RulesArgs {
    /// Sigma rules directory or file (repeatable), e.g. a SigmaHQ checkout. Also
    /// SOC_SIGMA_RULES (paths separated by `:`). A rule that fails to load is a warning
    /// naming its file and the reason; a path from which no rule loads is an error.
    #[arg(
        long = "rules",
        value_name = "DIR",
        env = "SOC_SIGMA_RULES",
        value_delimiter = ':'
    )]
    pub(crate) dirs: Vec<PathBuf>,
    /// Fail when a rule cannot be loaded, instead of skipping it with the reason.
    #[arg(long)]
    pub(crate) strict: bool,
}

/// Alert formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum InputFormat {
    /// Detect per document (Elastic hits have `_source` or `kibana.alert.*`).
    Auto,
    /// soc-copilot's native alert (schemas/alert.v1.json).
    Native,
    /// An Elastic Security detection alert (a search hit or its `_source`).
    Ecs,
    /// A Wazuh alerts.json record.
    Wazuh,
    /// A Splunk webhook alert-action payload.
    SplunkWebhook,
    /// A Splunk HTTP Event Collector event.
    SplunkHec,
}

/// `investigate` arguments.
#[derive(Debug, Args)]
pub(crate) struct InvestigateArgs {
    /// Alert files, directories (their *.json, *.ndjson and *.jsonl files, sorted), or `-`
    /// for stdin. A file may hold one alert, a JSON array of alerts, or NDJSON.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub(crate) inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// Output options.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// Print a short human summary instead of JSON.
    #[arg(long)]
    pub(crate) pretty: bool,
    /// Write one `<alert_id>.json` per alert into DIR (created if missing) instead of
    /// printing the investigations.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// `eval` arguments.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("reference")
        .args(["expectations", "labels"])
        .multiple(false)
))]
pub(crate) struct EvalArgs {
    /// Directory of alert files (*.json, *.ndjson, *.jsonl; not recursive).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// The reference system's invariants file (expectations.json; keys `sample_alerts`,
    /// semantics in its `_meta`). Alerts are matched by file name.
    /// One of --expectations or --labels is required.
    #[arg(long, value_name = "FILE")]
    pub(crate) expectations: Option<PathBuf>,
    /// A labels file (`alert_id -> {verdict, attack_technique_families, must_escalate}`).
    /// Alerts are matched by alert_id. One of --expectations or --labels is required.
    #[arg(long, value_name = "FILE")]
    pub(crate) labels: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

impl Cli {
    /// Parses the command line; a usage error (exit 2) says what is wrong in clap's form.
    pub(crate) fn parse_checked() -> Cli {
        let cli = <Cli as Parser>::parse();
        if let Err(e) = cli.check() {
            e.exit();
        }
        cli
    }

    /// The rules clap's declarations cannot say with a clear message.
    fn check(&self) -> Result<(), clap::Error> {
        if let Command::Eval(a) = &self.command
            && a.expectations.is_none()
            && a.labels.is_none()
        {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            cmd.build();
            let mut eval = cmd
                .find_subcommand_mut("eval")
                .map(std::mem::take)
                .unwrap_or_default();
            return Err(eval.error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "one of --expectations <FILE> or --labels <FILE> is required",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn eval_needs_expectations_or_labels_and_says_so() {
        let cli = Cli::try_parse_from(["soc-copilot", "eval", "dir"]).unwrap();
        let e = cli.check().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("one of --expectations <FILE> or --labels <FILE> is required"),
            "{e}"
        );
        let cli =
            Cli::try_parse_from(["soc-copilot", "eval", "dir", "--labels", "l.json"]).unwrap();
        assert!(cli.check().is_ok());
        assert!(
            Cli::try_parse_from([
                "soc-copilot",
                "eval",
                "d",
                "--labels",
                "a",
                "--expectations",
                "b"
            ])
            .is_err()
        );
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Whether an environment variable's name says it may hold a secret (a password in a
    /// URL, a token, a key).
    fn may_hold_a_secret(name: &str) -> bool {
        let n = name.to_ascii_uppercase();
        n.ends_with("_URL")
            || n.ends_with("_KEY")
            || ["TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "API_KEY"]
                .iter()
                .any(|w| n.contains(w))
    }

    /// Help prints an argument's environment value unless told not to: every argument read
    /// from a variable that may hold a secret must hide it.
    #[test]
    fn help_never_prints_the_value_of_a_secret_variable() {
        fn walk(cmd: &clap::Command, path: &str, checked: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let Some(env) = arg.get_env() else { continue };
                let env = env.to_string_lossy();
                if may_hold_a_secret(&env) {
                    assert!(
                        arg.is_hide_env_values_set(),
                        "`{path} --{}` shows the value of {env} in its help",
                        arg.get_id()
                    );
                    checked.push(format!("{path}: {env}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), checked);
            }
        }
        let mut checked = Vec::new();
        walk(&Cli::command(), "soc-copilot", &mut checked);
        for expected in [
            "soc-copilot serve: NATS_URL",
            "soc-copilot worker: REDIS_URL",
            "soc-copilot tail: NATS_URL",
            "soc-copilot ruling: REDIS_URL",
            "soc-copilot intel lookup: REDIS_URL",
        ] {
            assert!(checked.iter().any(|c| c == expected), "{checked:#?}");
        }
        assert!(!may_hold_a_secret("SOC_REDIS__KEY_PREFIX"));
    }
}
