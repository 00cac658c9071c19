//! Configuration: a TOML file read in two stages (STYLE G9, G10).
//!
//! 1. [`RawConfig`] is the file's shape: every field optional with a named default, unknown
//!    fields rejected, a `version` tag so the format can evolve.
//! 2. [`RawConfig::build_and_validate`] applies `SOC_*` environment overrides from a map the
//!    caller passes in (`SOC_NATS__URL`, `SOC_WORKER__CONCURRENCY`, ...; also the plain
//!    `NATS_URL` / `REDIS_URL`), converts durations and sizes, and checks cross-field
//!    rules, giving a typed [`Config`].
//!
//! Layer order: defaults < file < environment < command-line flags (the binary applies its
//! flags on the built [`Config`]). Secrets (the ingest token) come from the environment or
//! a file, never from the TOML itself, and are redacted in `Debug`.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The configuration file format version this build reads.
pub const CONFIG_VERSION: u32 = 1;

/// The settings read from variables other than (or besides) `SOC_<SECTION>__<KEY>`, each
/// with its variables in the order they are read (the first one set wins). Every other
/// `section.key` is read from `SOC_<SECTION>__<KEY>` alone. The CLI names the variable
/// behind an invalid value from this table.
pub const ENV_ALIASES: &[(&str, &[&str])] = &[
    ("nats.url", &["SOC_NATS__URL", "NATS_URL"]),
    ("redis.url", &["SOC_REDIS__URL", "REDIS_URL"]),
    (
        "worker.shutdown_grace",
        &["SOC_WORKER__SHUTDOWN_GRACE", "SOC_GRACEFUL_SHUTDOWN_SECS"],
    ),
    ("ingest token", &["SOC_INGEST_TOKEN", "SOC_INGEST__TOKEN"]),
    ("assets.file", &["SOC_ASSETS", "SOC_ASSETS__FILE"]),
    ("llm.prompts", &["SOC_PROMPTS"]),
];

/// The variables of `field` in [`ENV_ALIASES`]; empty for any other field.
pub fn env_aliases(field: &str) -> &'static [&'static str] {
    ENV_ALIASES
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(&[], |(_, vars)| vars)
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML does not parse or has unknown fields.
    #[error("configuration file: {0}")]
    Parse(String),
    /// The `version` is not one this build reads.
    #[error(
        "configuration `version` {found} is not supported (this build reads version {CONFIG_VERSION})"
    )]
    Version {
        /// The version found.
        found: u32,
    },
    /// A value is out of range or malformed.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The field (`worker.concurrency`, or the env variable name).
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// A secret string: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself: call only where it is used (a header, a comparison).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The file's shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Format version; must be 1.
    #[serde(default = "default_version")]
    pub version: u32,
    /// NATS JetStream.
    #[serde(default)]
    pub nats: RawNats,
    /// Redis.
    #[serde(default)]
    pub redis: RawRedis,
    /// The ingest HTTP API.
    #[serde(default)]
    pub ingest: RawIngest,
    /// The worker.
    #[serde(default)]
    pub worker: RawWorker,
    /// Indicator extraction.
    #[serde(default)]
    pub indicators: RawIndicators,
    /// The asset inventory.
    #[serde(default)]
    pub assets: RawAssets,
    /// The LLM tiers.
    #[serde(default)]
    pub llm: RawLlm,
    /// The fleet's memory.
    #[serde(default)]
    pub history: RawHistory,
}

/// `[history]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHistory {
    /// Remember investigations (prior sightings, correlation, campaigns, near-duplicate
    /// suppression, rulings). Default true. Env: `SOC_HISTORY__ENABLED`.
    pub enabled: Option<bool>,
    /// How long an investigation is remembered. Default `30d`. Env:
    /// `SOC_HISTORY__RETENTION`.
    pub retention: Option<String>,
    /// How long one with an analyst ruling is remembered. Default `180d`. Env:
    /// `SOC_HISTORY__RULED_RETENTION`.
    pub ruled_retention: Option<String>,
    /// Correlation window on the alerts' own timestamps. Default `72h`. Env:
    /// `SOC_HISTORY__CORRELATION_WINDOW`.
    pub correlation_window: Option<String>,
}

/// The memory settings (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryConfig {
    /// On or off.
    pub enabled: bool,
    /// Retention.
    pub retention: Duration,
    /// Retention with a ruling.
    pub ruled_retention: Duration,
    /// Correlation window.
    pub correlation_window: Duration,
}

/// `[llm]` (providers and keys come from the environment: `ANTHROPIC_API_KEY`,
/// `ANTHROPIC_BASE_URL`, `OPENAI_API_KEY`, `OPENAI_BASE_URL`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLlm {
    /// `auto` (default), `triage`, `pipeline` or `agentic`. Env: `SOC_LLM__MODE`.
    pub mode: Option<String>,
    /// Tier-1 model, `[anthropic:|openai:]<id>`. Default `claude-haiku-4-5`. Env:
    /// `SOC_LLM__CHEAP_MODEL`.
    pub cheap_model: Option<String>,
    /// Tier-2 model. Default `claude-sonnet-4-5`. Env: `SOC_LLM__STRONG_MODEL`.
    pub strong_model: Option<String>,
    /// Directory whose `shared.md`, `pipeline.md`, `agentic.md` replace the compiled-in
    /// prompts. Env: `SOC_PROMPTS`.
    pub prompts: Option<String>,
    /// Tier 0's answer stands under `auto` from this confidence up (`low`, `medium`,
    /// `high`). Default `medium`. Env: `SOC_LLM__TIER0_STANDS_AT`.
    pub tier0_stands_at: Option<String>,
    /// Ask the strong model for the write-up of every escalation. Default false. Env:
    /// `SOC_LLM__WRITE_UP_EVERY_ESCALATION`.
    pub write_up_every_escalation: Option<bool>,
    /// Most model turns in the tier-2 loop. Default 10. Env: `SOC_LLM__MAX_ITERATIONS`.
    pub max_iterations: Option<i64>,
}

/// The LLM tier settings (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSettings {
    /// `auto`, `triage`, `pipeline` or `agentic`.
    pub mode: String,
    /// Tier-1 model spec, when set.
    pub cheap_model: Option<String>,
    /// Tier-2 model spec, when set.
    pub strong_model: Option<String>,
    /// Prompt override directory.
    pub prompts: Option<std::path::PathBuf>,
    /// `low`, `medium` or `high`.
    pub tier0_stands_at: crate::Confidence,
    /// Strong-model write-up on every escalation.
    pub write_up_every_escalation: bool,
    /// Tier-2 turn bound.
    pub max_iterations: u32,
}

/// `[assets]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAssets {
    /// The operator's asset inventory (JSON, the reference `asset_context.json` shape).
    /// Env: `SOC_ASSETS`. None: nothing is sanctioned.
    pub file: Option<String>,
}

fn default_version() -> u32 {
    CONFIG_VERSION
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            nats: RawNats::default(),
            redis: RawRedis::default(),
            ingest: RawIngest::default(),
            worker: RawWorker::default(),
            indicators: RawIndicators::default(),
            assets: RawAssets::default(),
            llm: RawLlm::default(),
            history: RawHistory::default(),
        }
    }
}

/// `[nats]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNats {
    /// Server URL. Default `nats://127.0.0.1:4222`. Env: `NATS_URL`, `SOC_NATS__URL`.
    pub url: Option<String>,
    /// Prefix for stream and consumer names (for several deployments on one cluster).
    /// Default empty: `SOC_ALERTS`, `SOC_INVESTIGATIONS`, `SOC_DLQ`, `investigators`.
    pub name_prefix: Option<String>,
    /// Subject root. Default `soc` (`soc.alerts.>`, `soc.investigations.>`, `soc.dlq.>`).
    pub subject_root: Option<String>,
    /// Most alerts waiting in `SOC_ALERTS`; beyond it ingest answers 503. Default 1,000,000.
    pub max_pending_alerts: Option<i64>,
    /// Deduplication window of the alert stream. Default `10m`.
    pub alerts_duplicate_window: Option<String>,
    /// Deduplication window of the investigation stream: longer than any redelivery.
    /// Default `1h`.
    pub investigations_duplicate_window: Option<String>,
    /// Retention of investigations and dead letters. Default `30d`.
    pub retention: Option<String>,
}

/// `[redis]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedis {
    /// Server URL. Default `redis://127.0.0.1:6379/`. Env: `REDIS_URL`, `SOC_REDIS__URL`.
    /// `rediss://` connects over TLS (what managed Redis services require), verifying the
    /// server certificate against the system's roots, or only those of `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` when set (see [`validate_redis_url`]).
    pub url: Option<String>,
    /// Key prefix. Default `soc:`.
    pub key_prefix: Option<String>,
    /// How long a stored investigation is kept. Default `30d`.
    pub investigation_ttl: Option<String>,
    /// Timeout of one Redis command; a slow Redis never blocks an investigation longer.
    /// Default `2s`.
    pub command_timeout: Option<String>,
}

/// `[ingest]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawIngest {
    /// Most alerts in one request. Default 1000.
    pub max_batch: Option<usize>,
    /// Largest request body. Default `32MiB`.
    pub max_body: Option<String>,
    /// File holding the bearer token clients must send (env `SOC_INGEST_TOKEN` instead).
    /// No token configured: no authentication.
    pub token_file: Option<String>,
    /// Longest pause between two parts of a request body before the answer is `408`.
    /// Default `30s`.
    pub body_timeout: Option<String>,
    /// How long, at shutdown, open requests may finish before their connections are
    /// closed. Default `10s`.
    pub shutdown_grace: Option<String>,
}

/// `[worker]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorker {
    /// Alerts investigated at once by one worker process. Default 32.
    pub concurrency: Option<usize>,
    /// Time the server waits for an ack before redelivering. Default `120s`.
    pub ack_wait: Option<String>,
    /// Deliveries before a message goes to the dead-letter queue. Default 5.
    pub max_deliver: Option<i64>,
    /// Unacknowledged messages the consumer allows across all workers. Default 4096.
    pub max_ack_pending: Option<i64>,
    /// Nak delays after transient failures, by delivery count. Default
    /// `["2s", "10s", "30s", "60s"]`.
    pub retry_delays: Option<Vec<String>>,
    /// Grace period to finish in-flight work at shutdown. Default `60s`.
    pub shutdown_grace: Option<String>,
}

/// `[indicators]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicators {
    /// Extra internal domain suffixes (on top of `.internal`, `.corp`, `.local`, `.lan`,
    /// `.intranet`, `.home.arpa`).
    pub internal_domain_suffixes: Option<Vec<String>>,
}

/// Typed NATS settings (`Debug` shows the URL redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// Server URL, or a comma-separated list of them (may carry credentials: log it only
    /// through [`redact_url`]).
    pub url: String,
    /// Stream/consumer name prefix.
    pub name_prefix: String,
    /// Subject root.
    pub subject_root: String,
    /// Most alerts waiting.
    pub max_pending_alerts: i64,
    /// Alert dedup window.
    pub alerts_duplicate_window: Duration,
    /// Investigation dedup window.
    pub investigations_duplicate_window: Duration,
    /// Retention of investigations and dead letters.
    pub retention: Duration,
}

impl fmt::Debug for NatsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsConfig")
            .field("url", &redact_url(&self.url))
            .field("name_prefix", &self.name_prefix)
            .field("subject_root", &self.subject_root)
            .field("max_pending_alerts", &self.max_pending_alerts)
            .field("alerts_duplicate_window", &self.alerts_duplicate_window)
            .field(
                "investigations_duplicate_window",
                &self.investigations_duplicate_window,
            )
            .field("retention", &self.retention)
            .finish()
    }
}

/// Typed Redis settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Server URL (may carry a password: never logged). `rediss://` is TLS.
    pub url: Secret,
    /// Key prefix.
    pub key_prefix: String,
    /// Stored investigation TTL.
    pub investigation_ttl: Duration,
    /// Per-command timeout.
    pub command_timeout: Duration,
}

/// Typed ingest settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    /// Most alerts per request.
    pub max_batch: usize,
    /// Largest body, bytes.
    pub max_body_bytes: usize,
    /// Bearer token, when authentication is on.
    pub token: Option<Secret>,
    /// Longest pause between two parts of a request body.
    pub body_timeout: Duration,
    /// How long open requests may finish at shutdown.
    pub shutdown_grace: Duration,
}

/// Typed worker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Alerts in flight per process.
    pub concurrency: usize,
    /// Ack wait.
    pub ack_wait: Duration,
    /// Max deliveries.
    pub max_deliver: i64,
    /// Consumer-wide unacked limit.
    pub max_ack_pending: i64,
    /// Nak delays by delivery count (the last repeats).
    pub retry_delays: Vec<Duration>,
    /// Shutdown grace.
    pub shutdown_grace: Duration,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// NATS.
    pub nats: NatsConfig,
    /// Redis.
    pub redis: RedisConfig,
    /// Ingest.
    pub ingest: IngestConfig,
    /// Worker.
    pub worker: WorkerConfig,
    /// Extra internal domain suffixes.
    pub internal_domain_suffixes: Vec<String>,
    /// The asset inventory file, when there is one.
    pub assets_file: Option<std::path::PathBuf>,
    /// The LLM tiers.
    pub llm: LlmSettings,
    /// The fleet's memory.
    pub history: HistoryConfig,
}

impl Default for Config {
    fn default() -> Self {
        // The defaults are valid by construction; a failure here is a bug caught by tests.
        RawConfig::default()
            .build_and_validate(&HashMap::new())
            .unwrap_or_else(|e| unreachable!("default configuration is invalid: {e}"))
    }
}

impl RawConfig {
    /// Parses TOML text.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] with the parser's message and the line and column, never the
    /// text of the line (it may hold a password, e.g. an unquoted Redis URL).
    pub fn from_toml(text: &str) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            ConfigError::Parse(match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {column}: {message}")
                }
                None => message,
            })
        })
    }

    /// Applies environment overrides from `env` and validates.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the field or variable at fault.
    pub fn build_and_validate(self, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        if self.version != CONFIG_VERSION {
            return Err(ConfigError::Version {
                found: self.version,
            });
        }
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| env.get(*n).filter(|v| !v.trim().is_empty()).cloned())
        };
        let s = |file: Option<String>, names: &[&str], default: &str| {
            var(names).or(file).unwrap_or_else(|| default.to_owned())
        };

        let nats_url = s(
            self.nats.url,
            env_aliases("nats.url"),
            "nats://127.0.0.1:4222",
        );
        validate_nats_url(&nats_url)?;
        let subject_root = s(self.nats.subject_root, &["SOC_NATS__SUBJECT_ROOT"], "soc");
        if subject_root.is_empty()
            || !subject_root
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid(
                "nats.subject_root",
                "use letters, digits, `-` and `_` only".into(),
            ));
        }
        let name_prefix = s(self.nats.name_prefix, &["SOC_NATS__NAME_PREFIX"], "");
        if !name_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid(
                "nats.name_prefix",
                "use letters, digits, `-` and `_` only".into(),
            ));
        }
        let nats = NatsConfig {
            url: nats_url,
            name_prefix,
            subject_root,
            max_pending_alerts: int(
                var(&["SOC_NATS__MAX_PENDING_ALERTS"]),
                self.nats.max_pending_alerts,
                1_000_000,
                "nats.max_pending_alerts",
                1,
            )?,
            alerts_duplicate_window: dur(
                &s(
                    self.nats.alerts_duplicate_window,
                    &["SOC_NATS__ALERTS_DUPLICATE_WINDOW"],
                    "10m",
                ),
                "nats.alerts_duplicate_window",
            )?,
            investigations_duplicate_window: dur(
                &s(
                    self.nats.investigations_duplicate_window,
                    &["SOC_NATS__INVESTIGATIONS_DUPLICATE_WINDOW"],
                    "1h",
                ),
                "nats.investigations_duplicate_window",
            )?,
            retention: dur(
                &s(self.nats.retention, &["SOC_NATS__RETENTION"], "30d"),
                "nats.retention",
            )?,
        };

        let redis_url = s(
            self.redis.url,
            env_aliases("redis.url"),
            "redis://127.0.0.1:6379/",
        );
        validate_redis_url(&redis_url)?;
        let redis = RedisConfig {
            url: Secret::new(redis_url),
            key_prefix: s(self.redis.key_prefix, &["SOC_REDIS__KEY_PREFIX"], "soc:"),
            investigation_ttl: dur(
                &s(
                    self.redis.investigation_ttl,
                    &["SOC_REDIS__INVESTIGATION_TTL"],
                    "30d",
                ),
                "redis.investigation_ttl",
            )?,
            command_timeout: dur(
                &s(
                    self.redis.command_timeout,
                    &["SOC_REDIS__COMMAND_TIMEOUT"],
                    "2s",
                ),
                "redis.command_timeout",
            )?,
        };

        let token = match (
            var(env_aliases("ingest token")),
            var(&["SOC_INGEST__TOKEN_FILE"]).or(self.ingest.token_file),
        ) {
            (Some(t), _) => Some(Secret::new(t.trim())),
            (None, Some(path)) => {
                let t = std::fs::read_to_string(&path).map_err(|e| {
                    invalid("ingest.token_file", format!("cannot read `{path}`: {e}"))
                })?;
                Some(Secret::new(t.trim()))
            }
            (None, None) => None,
        };
        if token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err(invalid(
                "ingest token",
                "must be at least 16 characters".into(),
            ));
        }
        let ingest = IngestConfig {
            max_batch: usize_of(int(
                var(&["SOC_INGEST__MAX_BATCH"]),
                self.ingest.max_batch.map(|v| v as i64),
                1000,
                "ingest.max_batch",
                1,
            )?),
            max_body_bytes: size(
                &s(self.ingest.max_body, &["SOC_INGEST__MAX_BODY"], "32MiB"),
                "ingest.max_body",
            )?,
            token,
            body_timeout: dur(
                &s(
                    self.ingest.body_timeout,
                    &["SOC_INGEST__BODY_TIMEOUT"],
                    "30s",
                ),
                "ingest.body_timeout",
            )?,
            shutdown_grace: dur(
                &s(
                    self.ingest.shutdown_grace,
                    &["SOC_INGEST__SHUTDOWN_GRACE"],
                    "10s",
                ),
                "ingest.shutdown_grace",
            )?,
        };
        if ingest.body_timeout.is_zero() {
            return Err(invalid(
                "ingest.body_timeout",
                "must be above zero: every body would time out".into(),
            ));
        }

        let retry_delays = match var(&["SOC_WORKER__RETRY_DELAYS"]) {
            Some(v) => v
                .split(',')
                .map(|d| dur(d.trim(), "SOC_WORKER__RETRY_DELAYS"))
                .collect::<Result<Vec<_>, _>>()?,
            None => self
                .worker
                .retry_delays
                .unwrap_or_else(|| vec!["2s".into(), "10s".into(), "30s".into(), "60s".into()])
                .into_iter()
                .map(|d| dur(&d, "worker.retry_delays"))
                .collect::<Result<Vec<_>, _>>()?,
        };
        if retry_delays.is_empty() {
            return Err(invalid(
                "worker.retry_delays",
                "needs at least one delay".into(),
            ));
        }
        let worker = WorkerConfig {
            concurrency: usize_of(int(
                var(&["SOC_WORKER__CONCURRENCY"]),
                self.worker.concurrency.map(|v| v as i64),
                32,
                "worker.concurrency",
                1,
            )?),
            ack_wait: dur(
                &s(self.worker.ack_wait, &["SOC_WORKER__ACK_WAIT"], "120s"),
                "worker.ack_wait",
            )?,
            max_deliver: int(
                var(&["SOC_WORKER__MAX_DELIVER"]),
                self.worker.max_deliver,
                5,
                "worker.max_deliver",
                1,
            )?,
            max_ack_pending: int(
                var(&["SOC_WORKER__MAX_ACK_PENDING"]),
                self.worker.max_ack_pending,
                4096,
                "worker.max_ack_pending",
                1,
            )?,
            retry_delays,
            shutdown_grace: dur(
                &s(
                    self.worker.shutdown_grace,
                    env_aliases("worker.shutdown_grace"),
                    "60s",
                ),
                "worker.shutdown_grace",
            )?,
        };
        if worker.ack_wait < Duration::from_secs(5) {
            return Err(invalid(
                "worker.ack_wait",
                "must be at least 5s (progress acks are sent at a third of it)".into(),
            ));
        }
        if (worker.concurrency as i64) > worker.max_ack_pending {
            return Err(invalid(
                "worker.concurrency",
                format!(
                    "{} is above worker.max_ack_pending ({}): one worker could never fill its slots",
                    worker.concurrency, worker.max_ack_pending
                ),
            ));
        }
        let redelivery = worker.ack_wait * u32::try_from(worker.max_deliver).unwrap_or(u32::MAX)
            + worker.retry_delays.iter().sum::<Duration>();
        if nats.investigations_duplicate_window < redelivery {
            return Err(invalid(
                "nats.investigations_duplicate_window",
                format!(
                    "{}s is shorter than a message's whole redelivery span (ack_wait × max_deliver + retry delays = {}s): a redelivered alert could publish twice",
                    nats.investigations_duplicate_window.as_secs(),
                    redelivery.as_secs()
                ),
            ));
        }
        let mut internal_domain_suffixes = Vec::new();
        for sfx in self.indicators.internal_domain_suffixes.unwrap_or_default() {
            let sfx = sfx.trim().to_ascii_lowercase();
            if sfx.trim_start_matches('.').is_empty() || sfx.contains(char::is_whitespace) {
                return Err(invalid(
                    "indicators.internal_domain_suffixes",
                    format!("`{sfx}` is not a domain suffix"),
                ));
            }
            internal_domain_suffixes.push(if sfx.starts_with('.') {
                sfx
            } else {
                format!(".{sfx}")
            });
        }
        let assets_file = var(env_aliases("assets.file"))
            .or(self.assets.file)
            .map(std::path::PathBuf::from);
        let mode = s(self.llm.mode, &["SOC_LLM__MODE"], "auto")
            .trim()
            .to_ascii_lowercase();
        if !["auto", "triage", "pipeline", "agentic"].contains(&mode.as_str()) {
            return Err(invalid(
                "llm.mode",
                format!("`{mode}` is not one of auto, triage, pipeline, agentic"),
            ));
        }
        let stands = s(
            self.llm.tier0_stands_at,
            &["SOC_LLM__TIER0_STANDS_AT"],
            "medium",
        );
        let tier0_stands_at = crate::Confidence::parse(stands.trim().to_ascii_lowercase().as_str())
            .ok_or_else(|| {
                invalid(
                    "llm.tier0_stands_at",
                    format!("`{stands}` is not low, medium or high"),
                )
            })?;
        let write_up_every_escalation = match var(&["SOC_LLM__WRITE_UP_EVERY_ESCALATION"]) {
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(invalid(
                        "SOC_LLM__WRITE_UP_EVERY_ESCALATION",
                        format!("`{v}` is not true or false"),
                    ));
                }
            },
            None => self.llm.write_up_every_escalation.unwrap_or(false),
        };
        let max_iterations = int(
            var(&["SOC_LLM__MAX_ITERATIONS"]),
            self.llm.max_iterations,
            10,
            "llm.max_iterations",
            1,
        )?;
        let llm = LlmSettings {
            mode,
            cheap_model: var(&["SOC_LLM__CHEAP_MODEL"]).or(self.llm.cheap_model),
            strong_model: var(&["SOC_LLM__STRONG_MODEL"]).or(self.llm.strong_model),
            prompts: var(env_aliases("llm.prompts"))
                .or(self.llm.prompts)
                .map(std::path::PathBuf::from),
            tier0_stands_at,
            write_up_every_escalation,
            max_iterations: u32::try_from(max_iterations.min(100)).unwrap_or(100),
        };
        let history_enabled = match var(&["SOC_HISTORY__ENABLED"]) {
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(invalid(
                        "SOC_HISTORY__ENABLED",
                        format!("`{v}` is not true or false"),
                    ));
                }
            },
            None => self.history.enabled.unwrap_or(true),
        };
        let history = HistoryConfig {
            enabled: history_enabled,
            retention: dur(
                &s(self.history.retention, &["SOC_HISTORY__RETENTION"], "30d"),
                "history.retention",
            )?,
            ruled_retention: dur(
                &s(
                    self.history.ruled_retention,
                    &["SOC_HISTORY__RULED_RETENTION"],
                    "180d",
                ),
                "history.ruled_retention",
            )?,
            correlation_window: dur(
                &s(
                    self.history.correlation_window,
                    &["SOC_HISTORY__CORRELATION_WINDOW"],
                    "72h",
                ),
                "history.correlation_window",
            )?,
        };
        Ok(Config {
            nats,
            redis,
            ingest,
            worker,
            internal_domain_suffixes,
            assets_file,
            llm,
            history,
        })
    }
}

/// Checks a NATS server URL, or a comma-separated list of them: each server must name its
/// scheme (`nats://`, `tls://`, `ws://` or `wss://`). The error shows the URL redacted.
///
/// # Errors
///
/// [`ConfigError::Invalid`] for `nats.url` when a server has no accepted scheme.
pub fn validate_nats_url(url: &str) -> Result<(), ConfigError> {
    const SCHEMES: [&str; 4] = ["nats://", "tls://", "ws://", "wss://"];
    let ok = nats_servers(url)
        .iter()
        .all(|s| SCHEMES.iter().any(|p| s.starts_with(p)));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "nats.url",
            format!(
                "`{}` is not a nats:// URL (or a comma-separated list of them)",
                redact_url(url)
            ),
        ))
    }
}

/// Checks a Redis URL: `redis://`, `rediss://` or `unix://`. The error never shows the URL.
///
/// `rediss://[:password@]host[:port][/db]` connects over TLS 1.2 or 1.3 (rustls, the
/// process's ring provider) and always verifies the server's certificate and host name,
/// against the system's root certificates (`/etc/ssl/certs`). A server whose certificate
/// comes from a private CA is trusted by pointing `SSL_CERT_FILE` at a PEM file holding
/// that CA (or `SSL_CERT_DIR` at a directory of them): when either is set, only the
/// certificates found there are trusted, by every TLS connection of the process (Redis,
/// NATS, the LLM and intel APIs), so give a bundle holding the public roots too when
/// those are needed (`cat /etc/ssl/certs/ca-certificates.crt private-ca.pem`). The roots
/// are read on each (re)connection. Turning verification off (`#insecure`) is not
/// supported, and neither are client certificates.
///
/// # Errors
///
/// [`ConfigError::Invalid`] for `redis.url` when the scheme is not one of those, or when
/// the URL has a `#` fragment (`#insecure`, or a `#` in a password that should be
/// written `%23`).
pub fn validate_redis_url(url: &str) -> Result<(), ConfigError> {
    if !["redis://", "rediss://", "unix://"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        return Err(invalid("redis.url", "expected a redis:// URL".into()));
    }
    if url.contains('#') {
        return Err(invalid(
            "redis.url",
            "a `#` starts a URL fragment: write a `#` in a password as `%23`; \
             `#insecure` (no certificate verification) is not supported, trust a private \
             CA with SSL_CERT_FILE instead"
                .into(),
        ));
    }
    Ok(())
}

/// Where the Redis URL is set, for messages about it: the configuration key, the flag and
/// the environment variable (`SOC_REDIS__URL` works too).
pub const REDIS_URL_SETTING: &str = "redis.url (--redis-url, REDIS_URL)";

/// What to do about a Redis connection error, from its text: for a server certificate
/// that does not verify (rustls' `invalid peer certificate`), where trust comes from.
pub fn redis_error_hint(text: &str) -> Option<&'static str> {
    text.contains("invalid peer certificate").then_some(
        "the server's certificate is not trusted: for a private CA, set SSL_CERT_FILE to \
         its PEM file",
    )
}

/// Why a Redis client cannot be built from the URL, in words and without the URL (it may
/// carry a password): `category` is the client error's category
/// (`redis::RedisError::category`, e.g. `invalid client config`) and `display` its text,
/// of which only the client's fixed description (before ` - `) is kept, never the
/// detail after it.
///
/// ```
/// use soc_core::config::redis_client_error;
/// assert_eq!(
///     redis_client_error("invalid client config", "Missing hostname - InvalidClientConfig"),
///     "invalid client config: Missing hostname"
/// );
/// ```
pub fn redis_client_error(category: &str, display: &str) -> String {
    let category = if category.is_empty() {
        "client error"
    } else {
        category
    };
    match display.split_once(" - ") {
        Some((what, _)) if !what.trim().is_empty() => format!("{category}: {}", what.trim()),
        _ => category.to_owned(),
    }
}

/// The servers of a NATS URL list (`nats://a:4222,nats://b:4222`), trimmed. A comma starts
/// a new server only when a `scheme://` follows it, so a comma inside a password does not
/// split the URL; a scheme-less list stays one (invalid) entry.
pub fn nats_servers(url: &str) -> Vec<&str> {
    segments(url)
        .into_iter()
        .map(|(a, b)| url[a..b].trim())
        .collect()
}

/// A service base URL fit for logs and errors: `scheme://host:port/path`, without user
/// name, password, query or fragment (a proxy URL may carry `user:pw@` or `?key=`). Text
/// that is not a URL with a host loses its user information (as [`redact_url`] does) and
/// everything from the first `?` or `#`. Used for the model and threat-intel APIs.
pub fn redact_base_url(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        // Only a URL with a host: `user:pw@host/v1` parses with `user` as its scheme and
        // the rest as an opaque path, where the user information cannot be removed.
        Ok(mut u) if u.has_host() => {
            let _user = u.set_username("");
            let _password = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        _ => {
            // The user information first: a `?` or `#` may sit inside a password.
            let redacted = redact_url(url);
            let cut = redacted.find(['?', '#']).unwrap_or(redacted.len());
            redacted[..cut].to_owned()
        }
    }
}

/// `url` with the user information (user, password or token) of every server replaced by
/// `[redacted]`, for errors and logs. Works with and without a scheme, on comma-separated
/// lists, and on passwords holding `@`, `:`, `/` or `,`: everything between a server's
/// start and the last `@` before the next `scheme://` is removed, which may hide more than
/// the credentials but never less. A URL without `@` is returned unchanged.
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for (i, (start, end)) in segments(url).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let seg = &url[start..end];
        let trimmed = seg.trim_start();
        let authority = (seg.len() - trimmed.len()) + scheme_len(trimmed).map_or(0, |n| n + 3);
        match seg.rfind('@') {
            Some(at) if at >= authority => {
                out.push_str(&seg[..authority]);
                out.push_str("[redacted]");
                out.push_str(&seg[at..]);
            }
            _ => out.push_str(seg),
        }
    }
    out
}

/// The byte ranges of the servers of a URL list: split at each `,` that is followed by
/// `scheme://`.
fn segments(url: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in url.char_indices() {
        if c == ',' && scheme_len(url[i + 1..].trim_start()).is_some() {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, url.len()));
    out
}

/// The length of the `scheme` in `scheme://...` at the start of `s` (RFC 3986 scheme
/// characters), or `None`.
fn scheme_len(s: &str) -> Option<usize> {
    let n = s.find("://")?;
    let scheme = &s[..n];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    (first_ok && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(n)
}

fn invalid(field: &str, reason: String) -> ConfigError {
    ConfigError::Invalid {
        field: field.to_owned(),
        reason,
    }
}

fn usize_of(v: i64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

fn int(
    env: Option<String>,
    file: Option<i64>,
    default: i64,
    field: &str,
    min: i64,
) -> Result<i64, ConfigError> {
    let v = match env {
        Some(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid(field, format!("`{s}` is not a whole number")))?,
        None => file.unwrap_or(default),
    };
    if v < min {
        return Err(invalid(field, format!("must be at least {min}, got {v}")));
    }
    Ok(v)
}

/// Parses a duration: a number with a unit `ms`, `s`, `m`, `h` or `d` (`120s`, `30d`).
///
/// # Errors
///
/// [`ConfigError::Invalid`] naming `field`.
pub fn parse_duration(text: &str, field: &str) -> Result<Duration, ConfigError> {
    dur(text, field)
}

fn dur(text: &str, field: &str) -> Result<Duration, ConfigError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        invalid(
            field,
            format!("`{t}` is not a duration such as 30s, 5m, 1h, 30d"),
        )
    })?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        other => {
            return Err(invalid(
                field,
                format!("unknown unit `{other}` in `{t}` (use ms, s, m, h or d)"),
            ));
        }
    };
    if !secs.is_finite() || !(0.0..=10.0 * 365.0 * 86_400.0).contains(&secs) {
        return Err(invalid(field, format!("`{t}` is out of range")));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn size(text: &str, field: &str) -> Result<usize, ConfigError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num.parse().map_err(|_| {
        invalid(
            field,
            format!("`{t}` is not a size such as 512KiB or 32MiB"),
        )
    })?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" | "kb" => 1 << 10,
        "mib" | "m" | "mb" => 1 << 20,
        "gib" | "g" | "gb" => 1 << 30,
        other => {
            return Err(invalid(
                field,
                format!("unknown unit `{other}` (use B, KiB, MiB or GiB)"),
            ));
        }
    };
    n.checked_mul(mult)
        .filter(|&b| b >= 1024)
        .ok_or_else(|| invalid(field, format!("`{t}` is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn base_urls_without_a_scheme_or_with_odd_passwords_lose_their_credentials() {
        for url in [
            "proxyuser:pr0xy-PW-123@proxy.example:8443/v1?key=QK",
            "http://proxyuser:pr0#xy-PW-123@proxy.example/v1",
            "http://proxyuser:pr0?xy-PW-123@proxy.example/v1",
            "https://proxyuser:pr0xy-PW-123@proxy.example:8443/v1?key=QK#frag",
        ] {
            let shown = redact_base_url(url);
            for secret in ["pr0", "xy-PW-123", "QK", "frag"] {
                assert!(!shown.contains(secret), "{url} -> {shown}");
            }
            assert!(shown.contains("proxy.example"), "{url} -> {shown}");
        }
    }

    #[test]
    fn toml_errors_name_the_place_never_the_text() {
        for text in [
            "version = 1\n[redis]\nurl = redis://:s3cret-pw@h:6379/\n",
            "version = 1\n[redis]\nurll = \"redis://:s3cret-pw@h:6379/\"\n",
        ] {
            let e = RawConfig::from_toml(text).unwrap_err().to_string();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(e.contains("line 3, column "), "{e}");
        }
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::default();
        assert_eq!(c.nats.url, "nats://127.0.0.1:4222");
        assert_eq!(c.worker.ack_wait, Duration::from_secs(120));
        assert_eq!(c.ingest.max_batch, 1000);
        assert!(c.ingest.token.is_none());
    }

    #[test]
    fn environment_overrides_the_file() {
        let raw = RawConfig::from_toml(
            "version = 1\n[nats]\nurl = \"nats://file:4222\"\n[worker]\nconcurrency = 8\n",
        )
        .unwrap();
        let c = raw
            .build_and_validate(&env(&[
                ("NATS_URL", "nats://env:4222"),
                ("SOC_WORKER__CONCURRENCY", "4"),
                ("SOC_INGEST_TOKEN", "0123456789abcdef0"),
            ]))
            .unwrap();
        assert_eq!(c.nats.url, "nats://env:4222");
        assert_eq!(c.worker.concurrency, 4);
        assert_eq!(format!("{:?}", c.ingest.token), "Some(Secret([redacted]))");
    }

    #[test]
    fn errors_name_the_field() {
        let e = RawConfig::from_toml("version = 1\n[worker]\nconcurency = 8\n").unwrap_err();
        assert!(e.to_string().contains("concurency"), "{e}");
        let e = RawConfig::default()
            .build_and_validate(&env(&[("SOC_WORKER__ACK_WAIT", "1s")]))
            .unwrap_err();
        assert!(e.to_string().contains("worker.ack_wait"), "{e}");
        let e = RawConfig::default()
            .build_and_validate(&env(&[("SOC_NATS__INVESTIGATIONS_DUPLICATE_WINDOW", "5m")]))
            .unwrap_err();
        assert!(e.to_string().contains("publish twice"), "{e}");
        let e = RawConfig::from_toml("version = 2")
            .unwrap()
            .build_and_validate(&HashMap::new())
            .unwrap_err();
        assert_eq!(e, ConfigError::Version { found: 2 });
        let e = RawConfig::default()
            .build_and_validate(&env(&[("SOC_INGEST_TOKEN", "short")]))
            .unwrap_err();
        assert!(e.to_string().contains("16 characters"), "{e}");
    }

    #[test]
    fn url_errors_never_show_credentials() {
        for (var, url) in [
            ("NATS_URL", "user:s3cret@nats:4222"),
            ("SOC_NATS__URL", "user:s3cret@a:4222,nats://b:4222"),
            ("NATS_URL", "http://user:s3cret@nats:4222"),
            ("REDIS_URL", "user:s3cret@redis:6379"),
        ] {
            let e = RawConfig::default()
                .build_and_validate(&env(&[(var, url)]))
                .unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains(".url"), "{shown}");
        }
        assert!(validate_nats_url("nats://a:4222, tls://u:p,w@b:4222").is_ok());
        assert!(validate_redis_url("rediss://:pw@h:6380/0").is_ok());
        for url in ["rediss://:p#w@h:6380/", "rediss://h:6380/#insecure"] {
            let e = validate_redis_url(url).unwrap_err().to_string();
            assert!(e.contains("redis.url") && e.contains("%23"), "{e}");
            assert!(!e.contains("p#w") && !e.contains("h:6380"), "{e}");
        }
    }

    #[test]
    fn redis_client_errors_keep_only_the_fixed_description() {
        assert_eq!(
            redis_client_error(
                "invalid client config",
                "can't connect with TLS, the feature is not enabled - InvalidClientConfig"
            ),
            "invalid client config: can't connect with TLS, the feature is not enabled"
        );
        // The detail after the kind (user input, e.g. a `protocol=` value) is dropped.
        assert_eq!(
            redis_client_error(
                "invalid client config",
                "Invalid protocol version - InvalidClientConfig: s3cret"
            ),
            "invalid client config: Invalid protocol version"
        );
        // Text of another shape is not shown at all.
        assert_eq!(
            redis_client_error("I/O error", "s3cret: refused"),
            "I/O error"
        );
        assert_eq!(redis_client_error("", "x"), "client error");
        assert!(
            redis_error_hint("invalid peer certificate: UnknownIssuer")
                .is_some_and(|h| h.contains("SSL_CERT_FILE"))
        );
        assert_eq!(redis_error_hint("Connection refused"), None);
    }

    #[test]
    fn nats_config_debug_hides_credentials() {
        let c = RawConfig::default()
            .build_and_validate(&env(&[("NATS_URL", "nats://user:s3cret@nats:4222")]))
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("nats://[redacted]@nats:4222"), "{shown}");
    }

    #[test]
    fn redaction_and_server_lists() {
        assert_eq!(redact_url("u:pw@h:4222"), "[redacted]@h:4222");
        assert_eq!(
            redact_url("nats://u:pw@h:4222,nats://u2:pw2@h2:4222"),
            "nats://[redacted]@h:4222,nats://[redacted]@h2:4222"
        );
        assert_eq!(redact_url("tls://tok@h"), "tls://[redacted]@h");
        assert_eq!(
            redact_url("redis://:pw@h:6379/0"),
            "redis://[redacted]@h:6379/0"
        );
        // Passwords holding `@`, `:`, `/` or `,`.
        assert_eq!(
            redact_url("nats://u:p@s:s/w,x@h:4222"),
            "nats://[redacted]@h:4222"
        );
        // Scheme-less list: hides more than the credentials, never less.
        assert_eq!(redact_url("u:pw@h1,u2:pw2@h2"), "[redacted]@h2");
        for plain in ["nats://h:4222", "nats://a:4222,nats://b:4222", "h:4222", ""] {
            assert_eq!(redact_url(plain), plain);
        }
        assert_eq!(
            nats_servers("nats://a:4222, tls://u:p,w@b"),
            ["nats://a:4222", "tls://u:p,w@b"]
        );
        assert_eq!(nats_servers("a:4222,b:4222"), ["a:4222,b:4222"]);
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(
            parse_duration("250ms", "x").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            parse_duration("30d", "x").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert!(parse_duration("5 fortnights", "x").is_err());
        assert_eq!(size("32MiB", "x").unwrap(), 32 << 20);
        assert!(size("1", "x").is_err());
    }

    #[test]
    fn ingest_timeouts_come_from_the_file_or_the_environment() {
        let c = RawConfig::default().build_and_validate(&env(&[])).unwrap();
        assert_eq!(
            (c.ingest.body_timeout, c.ingest.shutdown_grace),
            (Duration::from_secs(30), Duration::from_secs(10))
        );
        let c = RawConfig::default()
            .build_and_validate(&env(&[
                ("SOC_INGEST__BODY_TIMEOUT", "5s"),
                ("SOC_INGEST__SHUTDOWN_GRACE", "1m"),
            ]))
            .unwrap();
        assert_eq!(
            (c.ingest.body_timeout, c.ingest.shutdown_grace),
            (Duration::from_secs(5), Duration::from_secs(60))
        );
        let e = RawConfig::default()
            .build_and_validate(&env(&[("SOC_INGEST__BODY_TIMEOUT", "0s")]))
            .unwrap_err();
        assert!(e.to_string().contains("ingest.body_timeout"), "{e}");
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../../../examples/soc-copilot.toml");
        RawConfig::from_toml(text)
            .unwrap()
            .build_and_validate(&HashMap::new())
            .unwrap();
    }
}
