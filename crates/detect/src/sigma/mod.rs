//! A Sigma rule engine: loads SigmaHQ-format rules, matches them against prepared events,
//! and says which field made each rule fire.
//!
//! # Layout
//!
//! - `parse`: YAML text → document tree keeping scalar text → rule documents
//!   (`action: global`/`reset`/`repeat`, plain `---` multi-document files).
//! - `modifiers`: `|contains`, `|base64offset`, `|windash`, ... and wildcard syntax.
//! - `matcher`: compiled field matchers (lower-cased literals, specialised string
//!   patterns, size-limited regexes, CIDR, numbers, null/exists, fieldref).
//! - `condition`: `and`/`or`/`not`, parentheses, `1 of`/`all of`/`N of` patterns and
//!   `them`.
//! - `compile`: rule document → compiled rule + the literal groups for the prefilter;
//!   decides skip reasons.
//! - `fields`: [`Event`]: alert shapes (EVTX-JSON, the dev set's flattened Windows
//!   events, native, ECS, Wazuh) → Sigma field names, and log source inference.
//! - `logsource`: log source inference (product/category/service) for an event.
//! - `index`: log source routing and the candidate rules of an event.
//! - `prefilter`: which of the rules' literals occur in an event (anchored 3-byte scan
//!   with in-place verification).
//! - `load`: files and directories, [`LoadReport`], regression samples.
//!
//! # Use
//!
//! ```
//! use soc_detect::sigma::{Event, RuleSet};
//!
//! let yaml = r#"
//! title: Encoded PowerShell
//! id: 00000000-0000-4000-8000-000000000001
//! logsource: {product: windows, category: process_creation}
//! detection:
//!     selection:
//!         Image|endswith: '\powershell.exe'
//!         CommandLine|contains|windash: ' -enc '
//!     condition: selection
//! level: medium
//! "#;
//! let (rules, report) = RuleSet::from_yaml(yaml, "inline", false).unwrap();
//! assert_eq!(report.summary_line(), "rules: total=1 loaded=1 skipped=0 errors=0");
//! let event = Event::from_value(&serde_json::json!({
//!     "Image": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
//!     "CommandLine": "powershell /enc SQBFAFgA",
//! }));
//! let hits = rules.matches(&event);
//! assert_eq!(hits[0].rule.title, "Encoded PowerShell");
//! assert_eq!(hits[0].fields[0].0, "Image");
//! ```
//!
//! # Bounds
//!
//! Rule files are read up to 4 MiB and expand to at most 200,000 YAML nodes; regexes are
//! compiled once with a 2 MiB program and lazy-DFA limit (Rust regexes run in time linear
//! in the input); wildcard patterns run in O(value × pattern); `windash` expands to at most
//! 625 variants. A rule over a limit is skipped with the reason, never a panic or a hang.
//!
//! # Licensing of output
//!
//! SigmaHQ rules are under the Detection Rule License 1.1: every match output must carry
//! the rule's `author` ([`RuleInfo::author`]).

mod compile;
mod condition;
mod fields;
mod index;
mod load;
mod logsource;
mod matcher;
mod modifiers;
mod parse;
mod prefilter;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_data;
#[cfg(test)]
mod tests_linux;
#[cfg(test)]
mod tests_rules_evtx;
#[cfg(test)]
mod tests_rules_process;
#[cfg(test)]
mod tests_rules_security;

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use soc_core::Alert;

use compile::{Compiled, FieldTable};
use index::{Index, Scratch};
use matcher::{Pat, Slots, Target};

pub use fields::Event;
pub use index::IndexStats;
pub use load::{
    LoadError, LoadReport, RegressionMiss, RegressionReport, RegressionSample, Skipped,
    read_events, regression_samples,
};
pub(crate) use parse::{Node, parse_yaml};

/// Errors of the Sigma engine.
#[derive(Debug, thiserror::Error)]
pub enum SigmaError {
    /// A path given to [`RuleSet::load`] (or a sample directory) cannot be read.
    #[error("cannot read `{path}`: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// Strict loading met a skipped rule or an error; the report lists them all.
    #[error("strict mode: {} ({})", .0.summary_line(), first_problem(.0))]
    Strict(Box<LoadReport>),
    /// A regression sample (`info.yml` or event JSON) is malformed.
    #[error("bad regression sample `{path}`: {message}")]
    Sample {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn first_problem(r: &LoadReport) -> String {
    match (r.errors.first(), r.skipped.first()) {
        (Some(e), _) => format!("first error: {}: {}", e.path, e.message),
        (None, Some(s)) => format!("first skipped: {}: {}", s.path, s.reason),
        (None, None) => "no problem listed".into(),
    }
}

/// A rule's (or an event's) log source. Lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LogSource {
    /// `windows`, `linux`, ...
    pub product: Option<String>,
    /// `process_creation`, `file_event`, ...
    pub category: Option<String>,
    /// `security`, `sysmon`, `sshd`, ...
    pub service: Option<String>,
}

/// A loaded rule's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// `id` (the title when the rule has none).
    pub id: String,
    /// `title`.
    pub title: String,
    /// `level` (`informational`, `low`, `medium`, `high`, `critical`).
    pub level: Option<String>,
    /// `status` (`stable`, `test`, `experimental`, ...).
    pub status: Option<String>,
    /// `tags` (`attack.t1059.001`, ...).
    pub tags: Vec<String>,
    /// `author`: must accompany every match output (DRL 1.1).
    pub author: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `logsource`.
    pub logsource: LogSource,
    /// Where the rule came from (file path or origin name).
    pub path: String,
}

impl RuleInfo {
    /// ATT&CK technique ids from the tags (`attack.t1059.001` → `T1059.001`), once each.
    /// An id of a newer ATT&CK release than the catalog's is given as the catalog's
    /// technique it stands for (`attack.t1685.005` → `T1070.001`, see
    /// [`soc_core::attack::from_newer_release`]), so it counts like a rule tagged so.
    pub fn attack_techniques(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let ids = self
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack.t"))
            .filter(|id| id.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .map(|id| {
                let id = format!("T{}", id.to_ascii_uppercase());
                soc_core::attack::from_newer_release(&id).map_or(id, str::to_owned)
            });
        for id in ids {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }
}

/// Most `(field, value)` pairs reported per match.
pub const MAX_MATCH_FIELDS: usize = 5;

/// A rule that matched an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch<'a> {
    /// The rule.
    pub rule: &'a RuleInfo,
    /// Field = value pairs that made the rule's selections true (at most
    /// [`MAX_MATCH_FIELDS`]).
    pub fields: Vec<(String, String)>,
}

/// A rule that matched one of an alert's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertMatch {
    /// The rule.
    pub rule: Arc<RuleInfo>,
    /// Field = value pairs that made it match (first matching event).
    pub fields: Vec<(String, String)>,
}

/// A compiled, indexed rule set. `Send + Sync`; share it with `Arc`.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    infos: Vec<Arc<RuleInfo>>,
    rules: Vec<Compiled>,
    fields: FieldTable,
    index: Index,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

macro_rules! embed {
    ($name:literal) => {
        (
            concat!("rules/sigma/", $name),
            include_str!(concat!("../../../../rules/sigma/", $name)),
        )
    };
}
/// The project's own rules (`rules/sigma/`), compiled into the binary: `(origin, text)`.
const EMBEDDED: &[(&str, &str)] = &[
    // Process behaviours seen uncovered in SigmaHQ's regression samples (2026-11-28).
    embed!("proc_creation_win_snipping_tool_remote_file_uri.yml"),
    embed!("proc_creation_win_devcon_disables_vm_integration_device.yml"),
    embed!("proc_creation_win_memprocfs_run.yml"),
    embed!("proc_creation_win_shai_hulud_bun_payload.yml"),
    embed!("proc_creation_win_security_monitoring_service_stopped_cli.yml"),
    embed!("proc_creation_win_cross_user_spawn_from_user_folder.yml"),
    embed!("proc_creation_win_outlook_attachment_exec.yml"),
    embed!("proc_creation_win_powershell_encoded_command.yml"),
    embed!("proc_creation_win_powershell_hidden_noprofile.yml"),
    embed!("proc_creation_win_office_spawns_script_host.yml"),
    embed!("proc_creation_win_schtasks_create.yml"),
    embed!("proc_creation_win_wmic_remote_node.yml"),
    embed!("proc_creation_win_shadow_copy_tampering.yml"),
    embed!("proc_creation_win_certutil_download.yml"),
    embed!("proc_creation_win_bitsadmin_download.yml"),
    // Behaviours seen uncovered in an EVTX-style probe (2026-11-28).
    embed!("proc_creation_win_installutil_user_folder_assembly.yml"),
    embed!("proc_creation_win_odbcconf_user_folder_dll.yml"),
    embed!("proc_creation_win_cmstp_inf_user_folder.yml"),
    embed!("proc_creation_win_cmstplua_com_elevation_shell.yml"),
    embed!("proc_creation_win_archiver_password_staging.yml"),
    embed!("proc_creation_win_rclone_renamed_or_cloud_exfil.yml"),
    embed!("proc_creation_win_tscon_as_system.yml"),
    embed!("registry_set_win_appinit_dlls.yml"),
    embed!("file_event_win_mock_trusted_directory.yml"),
    embed!("file_change_win_timestomp_by_masquerading_or_user_folder_program.yml"),
    embed!("process_tampering_win_image_replaced.yml"),
    embed!("win_security_service_install_shell.yml"),
    embed!("win_security_admin_share_executable_write.yml"),
    embed!("win_security_browser_credential_store_access.yml"),
    embed!("win_defender_exclusion_added_for_staging_location.yml"),
    embed!("ps_script_win_amsi_etw_tampering_split_strings.yml"),
    embed!("win_wmi_activity_script_or_command_consumer_bound.yml"),
    embed!("proc_creation_win_mshta_remote_or_script.yml"),
    embed!("proc_creation_win_netsh_portproxy.yml"),
    embed!("process_access_win_lsass_access.yml"),
    embed!("registry_set_win_portproxy_entry.yml"),
    embed!("ps_script_win_download_cradle.yml"),
    embed!("win_system_service_install_shell.yml"),
    embed!("win_security_log_cleared.yml"),
    embed!("win_security_dcsync_replication.yml"),
    embed!("file_event_win_credential_dump_tool_written.yml"),
    embed!("file_event_win_lsass_dump_file.yml"),
    embed!("file_event_win_network_scanner_dropped.yml"),
    embed!("proc_creation_win_adfind_ad_enumeration.yml"),
    embed!("proc_creation_win_boot_recovery_disabled.yml"),
    embed!("proc_creation_win_certutil_encode_decode.yml"),
    embed!("proc_creation_win_domain_trust_discovery.yml"),
    embed!("proc_creation_win_gpresult_discovery.yml"),
    embed!("proc_creation_win_hidden_user_specialaccounts_cli.yml"),
    embed!("proc_creation_win_local_account_discovery.yml"),
    embed!("proc_creation_win_network_scanner_execution.yml"),
    embed!("proc_creation_win_powershell_wmi_process_create.yml"),
    embed!("proc_creation_win_recon_tool_scan_mode.yml"),
    embed!("proc_creation_win_reg_add_run_key.yml"),
    embed!("proc_creation_win_service_stop.yml"),
    embed!("proc_creation_win_system_restore_disabled_cli.yml"),
    embed!("proc_creation_win_tor_client_execution.yml"),
    embed!("proc_creation_win_uac_bypass_shell_open_command_cli.yml"),
    embed!("proc_creation_win_wmiprvse_suspicious_child.yml"),
    embed!("ps_script_win_obfuscated_script_block.yml"),
    embed!("ps_script_win_wmi_process_create.yml"),
    embed!("registry_set_win_hidden_user_specialaccounts.yml"),
    embed!("registry_set_win_system_restore_disabled.yml"),
    embed!("registry_set_win_uac_bypass_shell_open_command.yml"),
    embed!("win_defender_credential_theft_tool_detected.yml"),
    embed!("win_defender_powershell_threat_detected.yml"),
    embed!("win_security_scheduled_task_output_redirect.yml"),
    embed!("win_security_scheduled_task_suspicious_action.yml"),
    embed!("proc_creation_win_defender_exclusion_added.yml"),
    embed!("registry_set_win_virtualization_protection_disabled.yml"),
    embed!("proc_creation_win_security_protection_disabled_cli.yml"),
    embed!("proc_creation_win_firewall_disabled_cli.yml"),
    embed!("registry_set_win_event_log_session_disabled.yml"),
    embed!("registry_set_win_safeboot_service_added.yml"),
    embed!("registry_delete_win_security_protection_removed.yml"),
    embed!("proc_creation_win_safeboot_service_added.yml"),
    embed!("ps_script_win_defender_tampering.yml"),
    embed!("proc_creation_win_defender_disabled_cli.yml"),
    embed!("registry_set_win_defender_amsi_disabled.yml"),
    embed!("registry_set_win_firewall_disabled.yml"),
    embed!("win_taskscheduler_system_task_removed.yml"),
    embed!("proc_creation_win_schtasks_system_task_removed.yml"),
    embed!("registry_delete_win_scheduled_task_hidden.yml"),
    embed!("win_security_system_task_removed.yml"),
    embed!("registry_set_win_logon_script_or_winlogon_helper.yml"),
    embed!("registry_set_win_run_key_user_folder_writer.yml"),
    embed!("registry_set_win_startup_folder_redirected.yml"),
    embed!("registry_set_win_run_key_script_host.yml"),
    embed!("proc_creation_win_autostart_location_cli.yml"),
    embed!("registry_set_win_service_imagepath_suspicious.yml"),
    embed!("registry_set_win_com_hijack_user_hive.yml"),
    embed!("proc_creation_win_accessibility_binary_hijack.yml"),
    embed!("registry_set_win_port_monitor.yml"),
    embed!("registry_set_win_ifeo_debugger.yml"),
    embed!("registry_set_win_zone_map_trusted_domain.yml"),
    embed!("registry_set_win_rdp_exposed.yml"),
    embed!("registry_delete_win_run_history_cleared.yml"),
    embed!("proc_creation_win_rdp_enabled_cli.yml"),
    embed!("file_event_win_shim_database_installed.yml"),
    embed!("file_event_win_phantom_system_dll_created.yml"),
    embed!("registry_set_win_admin_shares_disabled.yml"),
    embed!("registry_set_win_sysinternals_eula_user_folder.yml"),
    embed!("proc_creation_win_cmdkey_stored_credentials.yml"),
    embed!("proc_creation_win_ntds_dit_copied.yml"),
    embed!("proc_creation_win_lsass_dump_builtin_tools.yml"),
    embed!("proc_creation_win_registry_hive_saved.yml"),
    embed!("file_event_win_registry_hive_file_staged.yml"),
    embed!("proc_creation_win_mimikatz_command_line.yml"),
    embed!("proc_creation_win_gpp_password_search.yml"),
    embed!("proc_creation_win_root_certificate_installed.yml"),
    embed!("proc_creation_win_forced_ntlm_auth_lolbin.yml"),
    embed!("proc_creation_win_certificate_private_key_export.yml"),
    embed!("win_security_kerberoasting_rc4_ticket.yml"),
    embed!("registry_set_win_wdigest_cleartext_enabled.yml"),
    embed!("proc_creation_win_curl_evasive_options.yml"),
    embed!("proc_creation_win_browser_extension_from_user_folder.yml"),
    embed!("proc_creation_win_curl_download_to_file.yml"),
    embed!("proc_creation_win_browser_headless_or_scripted_download.yml"),
    embed!("proc_creation_win_conhost_headless.yml"),
    embed!("proc_creation_win_ssh_proxy_command_exec.yml"),
    embed!("proc_creation_win_finger_execution.yml"),
    embed!("proc_creation_win_cmd_hidden_start_script.yml"),
    embed!("proc_creation_win_interpreter_base64_exec.yml"),
    embed!("proc_creation_win_rundll32_remote_or_user_folder_dll.yml"),
    embed!("proc_creation_win_free_space_wipe.yml"),
    embed!("proc_creation_win_hh_chm_user_folder_or_remote.yml"),
    embed!("proc_creation_win_file_association_changed.yml"),
    embed!("proc_creation_win_regsvr32_remote_or_user_folder.yml"),
    embed!("proc_creation_win_server_runtime_recon_shell.yml"),
    embed!("process_access_win_security_product_full_access.yml"),
    embed!("proc_creation_win_script_file_from_user_folder.yml"),
    embed!("proc_creation_win_web_server_spawns_shell.yml"),
    embed!("proc_creation_win_script_host_spawns_discovery.yml"),
    embed!("proc_creation_win_werfaultsecure_abuse.yml"),
    embed!("file_event_win_offensive_framework_unpacked.yml"),
    embed!("proc_creation_win_runtime_launches_secret_scanner.yml"),
    embed!("proc_creation_win_secret_scanner.yml"),
    embed!("proc_creation_win_credential_theft_tool.yml"),
    embed!("proc_creation_win_ad_lateral_movement_tool.yml"),
    embed!("proc_creation_win_ci_runner_user_folder.yml"),
    embed!("proc_creation_win_run_as_system_utility.yml"),
    embed!("proc_creation_win_defense_tampering_tool.yml"),
    embed!("file_event_win_system_binary_name_wrong_folder.yml"),
    embed!("proc_creation_win_renamed_system_utility.yml"),
    embed!("proc_creation_win_right_to_left_override.yml"),
    embed!("proc_creation_win_system_process_name_wrong_folder.yml"),
    embed!("file_event_win_fake_recycle_bin_folder.yml"),
    embed!("proc_creation_lnx_reverse_shell.yml"),
    embed!("proc_creation_lnx_download_piped_to_shell.yml"),
    embed!("proc_creation_lnx_base64_decoded_to_shell.yml"),
    embed!("proc_creation_lnx_ssh_authorized_keys_modified.yml"),
    embed!("proc_creation_lnx_cron_persistence.yml"),
    embed!("proc_creation_lnx_history_tampering.yml"),
    embed!("proc_creation_lnx_account_created_or_privileged.yml"),
    embed!("proc_creation_lnx_credential_file_access.yml"),
    embed!("image_load_win_system_dll_sideload_user_folder.yml"),
    embed!("file_event_win_lolbin_writes_executable.yml"),
    embed!("file_event_win_public_folder_payload.yml"),
    embed!("proc_creation_win_wmic_local_process_create.yml"),
    embed!("proc_creation_win_wmic_service_product_tampering.yml"),
    embed!("proc_creation_win_wmic_host_inventory.yml"),
    embed!("image_load_win_dump_library_by_masqueraded_process.yml"),
    embed!("proc_creation_win_security_product_uninstalled.yml"),
    embed!("proc_creation_win_psexec_remote_execution.yml"),
    embed!("ps_script_win_offensive_framework_functions.yml"),
    embed!("proc_creation_win_local_account_created_or_elevated.yml"),
    embed!("sysmon_win_config_from_user_folder.yml"),
    embed!("proc_creation_win_process_list_filtered_for_targets.yml"),
    embed!("win_wmi_activity_event_log_clear_attempt.yml"),
    embed!("proc_creation_win_event_log_cleared_cli.yml"),
    embed!("proc_creation_win_logon_history_from_event_log.yml"),
    embed!("proc_creation_win_kernel_memory_live_dump.yml"),
    embed!("proc_creation_win_weak_permission_hunt.yml"),
    embed!("win_system_service_install_user_folder_or_random.yml"),
    embed!("registry_set_win_security_notifications_suppressed.yml"),
    embed!("win_security_logon_new_credentials.yml"),
    embed!("win_security_account_created_or_added_to_admins.yml"),
    embed!("create_remote_thread_win_injection_from_user_folder.yml"),
    embed!("proc_creation_win_powershell_download_execute_cli.yml"),
    embed!("wmi_event_win_consumer_persistence.yml"),
    embed!("network_connection_win_proxy_binary_outbound.yml"),
    embed!("driver_load_win_unsigned_driver.yml"),
    embed!("ps_script_win_amsi_bypass.yml"),
    // Process-creation rules for the EVTX-style probe (2026-11-28).
    embed!("proc_creation_win_winrm_remote_shell.yml"),
    embed!("proc_creation_win_dcom_lateral_child.yml"),
    embed!("proc_creation_win_netsh_helper_dll.yml"),
    embed!("proc_creation_win_sysmon_driver_unloaded.yml"),
    embed!("proc_creation_win_attrib_hide_payload.yml"),
    embed!("proc_creation_win_system_process_spawns_shell.yml"),
    embed!("proc_creation_win_pcalua_proxy_exec.yml"),
    embed!("proc_creation_win_xsl_script_processing.yml"),
    embed!("proc_creation_win_ssh_port_forward.yml"),
    embed!("proc_creation_win_msbuild_suspicious_project.yml"),
    embed!("proc_creation_win_uac_bypass_autoelevate_parent.yml"),
    embed!("proc_creation_win_domain_account_group_discovery.yml"),
    embed!("proc_creation_win_echo_to_named_pipe.yml"),
    embed!("win_system_service_install_psexec.yml"),
    embed!("win_system_service_install_smbexec.yml"),
    embed!("win_system_service_install_pipe_impersonation.yml"),
    embed!("proc_creation_win_webshell_command_wrapper.yml"),
    embed!("proc_creation_win_remote_exec_output_to_admin_share.yml"),
    // Security-log, pipe, image-load, remote-thread, registry and file rules (2026-11-28).
    embed!("win_security_dcshadow_rogue_dc.yml"),
    embed!("win_security_sid_history_added.yml"),
    embed!("win_security_dsrm_password_set.yml"),
    embed!("registry_set_win_dsrm_network_logon_enabled.yml"),
    embed!("win_security_asrep_roasting.yml"),
    embed!("registry_set_win_powershell_language_mode_unlocked.yml"),
    embed!("registry_set_win_netsh_helper_dll_user_path.yml"),
    embed!("file_event_win_startup_folder_script_or_program.yml"),
    embed!("pipe_created_win_offensive_framework_default_pipe.yml"),
    embed!("image_load_win_credential_vault_library_user_folder.yml"),
    embed!("win_security_default_account_enabled.yml"),
    embed!("win_system_eventlog_service_crash.yml"),
    // Linux rules (2026-11-28).
    embed!("proc_creation_lnx_sudo_runas_user_id_minus_one.yml"),
    embed!("proc_creation_lnx_web_server_spawns_shell.yml"),
    embed!("proc_creation_lnx_cron_installed_by_service_account.yml"),
    // Non-process behaviours seen uncovered in SigmaHQ's regression samples (2026-11-28).
    embed!("registry_set_win_amsi_provider_registered.yml"),
    embed!("file_event_win_service_binary_name_staged_by_user_folder_program.yml"),
    embed!("image_load_win_offline_registry_library_user_folder.yml"),
    embed!("win_security_explicit_credential_local_logon_user_folder_program.yml"),
];

impl RuleSet {
    /// Loads rules from files and directories (recursively, `*.yml` and `*.yaml`).
    ///
    /// Tolerant by default: a rule using something unsupported is skipped and listed in
    /// the report with the reason, a malformed file or rule is listed as an error.
    ///
    /// # Errors
    ///
    /// [`SigmaError::Io`] when a given path cannot be read; with `strict`,
    /// [`SigmaError::Strict`] when anything was skipped or failed.
    pub fn load(paths: &[PathBuf], strict: bool) -> Result<(RuleSet, LoadReport), SigmaError> {
        let mut set = RuleSet::default();
        let mut report = LoadReport::default();
        for p in paths {
            for file in load::rule_files(p)? {
                let origin = file.display().to_string();
                match load::read_rule_file(&file) {
                    Ok(text) => load::add_yaml(&mut set, &text, &origin, &mut report),
                    Err(message) => {
                        report.total += 1;
                        report.errors.push(LoadError {
                            path: origin,
                            rule: String::new(),
                            message,
                        });
                    }
                }
            }
        }
        set.reindex();
        finish(set, report, strict)
    }

    /// Loads the rules of one YAML text (one or more documents); `origin` names it in the
    /// report and in [`RuleInfo::path`].
    ///
    /// # Errors
    ///
    /// With `strict`, [`SigmaError::Strict`] when anything was skipped or failed.
    pub fn from_yaml(
        text: &str,
        origin: &str,
        strict: bool,
    ) -> Result<(RuleSet, LoadReport), SigmaError> {
        let mut set = RuleSet::default();
        let mut report = LoadReport::default();
        load::add_yaml(&mut set, text, origin, &mut report);
        set.reindex();
        finish(set, report, strict)
    }

    /// The project's own rules (`rules/sigma/*.yml`), compiled in.
    pub fn embedded() -> RuleSet {
        Self::embedded_with_report().0
    }

    /// [`RuleSet::embedded`] with its load report (expected clean; tests check it).
    pub fn embedded_with_report() -> (RuleSet, LoadReport) {
        let mut set = RuleSet::default();
        let mut report = LoadReport::default();
        for (origin, text) in EMBEDDED {
            load::add_yaml(&mut set, text, origin, &mut report);
        }
        set.reindex();
        (set, report)
    }

    /// Adds another set's rules.
    pub fn extend(&mut self, other: RuleSet) {
        let map: Vec<u32> = other
            .fields
            .names
            .iter()
            .map(|n| self.fields.intern(n))
            .collect();
        let remap = |id: &mut u32| {
            if let Some(new) = map.get(*id as usize) {
                *id = *new;
            }
        };
        for mut rule in other.rules {
            for sel in &mut rule.sels {
                for m in sel.alts.iter_mut().flatten() {
                    if let Target::Field(id) = &mut m.target {
                        remap(id);
                    }
                    for p in m.groups.iter_mut().flatten() {
                        if let Pat::FieldRef { other, .. } = p {
                            remap(other);
                        }
                    }
                }
            }
            self.rules.push(rule);
        }
        self.infos.extend(other.infos);
        self.reindex();
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules' metadata, in load order.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.infos.iter().map(|i| &**i)
    }

    /// Prefilter statistics (how many rules have no usable literal, ...).
    pub fn stats(&self) -> IndexStats {
        self.index.stats()
    }

    /// The rules matching an event, in load order.
    pub fn matches(&self, event: &Event) -> Vec<RuleMatch<'_>> {
        self.matching(event)
            .into_iter()
            .map(|(r, fields)| RuleMatch {
                rule: &self.infos[r],
                fields,
            })
            .collect()
    }

    /// The rules matching any of an alert's events ([`Event::from_alert`]), one entry per
    /// rule id (the first event's explanation).
    pub fn match_alert(&self, alert: &Alert) -> Vec<AlertMatch> {
        self.match_events(&Event::from_alert(alert))
    }

    /// [`RuleSet::match_alert`] over events already built with [`Event::from_alert`].
    pub fn match_events(&self, events: &[Event]) -> Vec<AlertMatch> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for ev in events {
            for (r, fields) in self.matching(ev) {
                let info = &self.infos[r];
                if seen.insert(info.id.as_str()) {
                    out.push(AlertMatch {
                        rule: Arc::clone(info),
                        fields,
                    });
                }
            }
        }
        out
    }

    /// Indices of the matching rules with their explanations.
    fn matching(&self, event: &Event) -> Vec<(usize, Vec<(String, String)>)> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            self.index.candidates(event, &mut scratch);
            if scratch.candidates.is_empty() {
                return Vec::new();
            }
            let Scratch {
                slots, candidates, ..
            } = &mut *scratch;
            self.fill_slots(event, slots);
            let s = Slots {
                event,
                slots: slots.as_slice(),
            };
            candidates
                .iter()
                .filter_map(|&r| {
                    let r = r as usize;
                    let rule = &self.rules[r];
                    rule.cond
                        .eval(&mut |i| rule.sels[i].eval(&s))
                        .then(|| (r, explain(rule, &s)))
                })
                .collect()
        })
    }

    /// Runs regression samples: each passes when one of its events matches its own rule.
    /// `report` (from loading) supplies the skip reason of rules that were not loaded.
    pub fn run_regression(
        &self,
        samples: &[RegressionSample],
        report: Option<&LoadReport>,
    ) -> RegressionReport {
        let mut out = RegressionReport::default();
        for sample in samples {
            out.total += 1;
            match self.check_sample(sample, report) {
                Ok(()) => out.passed += 1,
                Err(reason) => out.misses.push(RegressionMiss {
                    rule_id: sample.rule_id.clone(),
                    title: sample.title.clone(),
                    reason,
                }),
            }
        }
        out
    }

    fn check_sample(
        &self,
        sample: &RegressionSample,
        report: Option<&LoadReport>,
    ) -> Result<(), String> {
        let Some(r) = self.position(&sample.rule_id) else {
            let why = report
                .and_then(|rep| {
                    rep.skipped
                        .iter()
                        .find(|s| s.rule == sample.rule_id)
                        .map(|s| format!("rule skipped: {}", s.reason))
                        .or_else(|| {
                            rep.errors
                                .iter()
                                .find(|e| e.rule == sample.rule_id)
                                .map(|e| format!("rule failed to load: {}", e.message))
                        })
                })
                .unwrap_or_else(|| "rule not in the set".into());
            return Err(why);
        };
        let mut reasons = Vec::new();
        if sample.events.is_empty() {
            return Err("no event file".into());
        }
        for path in &sample.events {
            let events = read_events(path).map_err(|e| e.to_string())?;
            for ev in &events {
                if self.matches(ev).iter().any(|m| m.rule.id == sample.rule_id) {
                    return Ok(());
                }
                reasons.push(self.diagnose(r, ev));
            }
        }
        reasons.sort();
        reasons.dedup();
        Err(reasons.join("; "))
    }

    /// Why rule `r` does not match `ev`.
    fn diagnose(&self, r: usize, ev: &Event) -> String {
        let info = &self.infos[r];
        if !self.index.routes(r, ev) {
            return format!(
                "log source not routed (rule {}, event {}{})",
                fmt_ls(&info.logsource),
                fmt_ls(ev.logsource()),
                if ev.logsource_is_exact() {
                    ", exact"
                } else {
                    ""
                }
            );
        }
        let mut slots = Vec::new();
        self.fill_slots(ev, &mut slots);
        let s = Slots {
            event: ev,
            slots: &slots,
        };
        let rule = &self.rules[r];
        if !rule.cond.eval(&mut |i| rule.sels[i].eval(&s)) {
            return "detection not satisfied".into();
        }
        if !self.index.prefilter_passes(r, ev) {
            return "rejected by the literal prefilter".into();
        }
        "unknown".into()
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.infos.iter().position(|i| i.id == id)
    }

    fn fill_slots(&self, event: &Event, slots: &mut Vec<u32>) {
        slots.clear();
        slots.resize(self.fields.names.len(), u32::MAX);
        for (i, key) in event.keys().enumerate() {
            if let Some(&id) = self.fields.ids.get(key) {
                slots[id as usize] = u32::try_from(i).unwrap_or(u32::MAX);
            }
        }
    }

    fn push(&mut self, info: RuleInfo, rule: Compiled) {
        self.infos.push(Arc::new(info));
        self.rules.push(rule);
    }

    fn reindex(&mut self) {
        self.index = Index::build(
            self.infos
                .iter()
                .zip(&self.rules)
                .map(|(i, r)| (&i.logsource, r.groups.as_slice())),
        );
    }
}

fn fmt_ls(ls: &LogSource) -> String {
    format!(
        "{}/{}/{}",
        ls.product.as_deref().unwrap_or("-"),
        ls.category.as_deref().unwrap_or("-"),
        ls.service.as_deref().unwrap_or("-")
    )
}

fn finish(
    set: RuleSet,
    report: LoadReport,
    strict: bool,
) -> Result<(RuleSet, LoadReport), SigmaError> {
    if strict && (!report.skipped.is_empty() || !report.errors.is_empty()) {
        return Err(SigmaError::Strict(Box::new(report)));
    }
    Ok((set, report))
}

/// The `(field, value)` pairs of the entries that made the positive selections true.
fn explain(rule: &Compiled, s: &Slots<'_>) -> Vec<(String, String)> {
    let mut sels = Vec::new();
    rule.cond.positive(&mut |i| rule.sels[i].eval(s), &mut sels);
    sels.dedup();
    let mut out: Vec<(String, String)> = Vec::new();
    for i in sels {
        let Some(alt) = rule.sels[i]
            .alts
            .iter()
            .find(|alt| alt.iter().all(|m| m.eval(s)))
        else {
            continue;
        };
        for m in alt {
            if out.len() >= MAX_MATCH_FIELDS {
                return out;
            }
            let Some(v) = m.find(s) else { continue };
            if v.index == usize::MAX {
                continue;
            }
            let name = match m.target {
                Target::Keywords => s.event.field_of(&v).unwrap_or("keywords").to_owned(),
                Target::Field(_) => m.name.to_string(),
            };
            let pair = (name, v.orig.to_owned());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}
