//! The Systems Manager documents the local cloud runs, and what they do on
//! an instance's CodeDeploy agent.
//!
//! Two documents are known: `AWS-ConfigureAWSPackage`, which installs or
//! uninstalls a package (only `AWSCodeDeployAgent` exists here), and
//! `AWS-RunShellScript`, whose `service codedeploy-agent ...` and
//! `systemctl ... codedeploy-agent` lines start, stop and report the agent;
//! any other line succeeds and prints nothing.

use std::fmt::Write as _;

use super::state::{CodeDeployAgent, Parameters};
use crate::localcloud::protocol::ApiError;

/// The package document.
pub const CONFIGURE_PACKAGE: &str = "AWS-ConfigureAWSPackage";
/// The shell script document.
pub const RUN_SHELL_SCRIPT: &str = "AWS-RunShellScript";
/// The CodeDeploy agent's package name.
pub const AGENT_PACKAGE: &str = "AWSCodeDeployAgent";
/// The agent version installed when none is asked for, and the one every
/// instance launched with an agent runs.
pub const DEFAULT_AGENT_VERSION: &str = crate::domain::readiness::LATEST_AGENT_VERSION;

/// How long a package install or removal takes on an instance.
pub const PACKAGE_MILLIS: i64 = 5000;
/// How long a shell script takes on an instance.
pub const SHELL_MILLIS: i64 = 1000;

/// What a document asks an instance to do, its parameters checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `AWS-ConfigureAWSPackage`.
    Package {
        /// Install (`true`) or uninstall.
        install: bool,
        /// The package's name.
        name: String,
        /// The version asked for, if any.
        version: Option<String>,
    },
    /// `AWS-RunShellScript`: its lines.
    Shell(Vec<String>),
}

/// What running an action on an instance did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The agent afterwards.
    pub agent: CodeDeployAgent,
    /// The exit code.
    pub response_code: i32,
    /// Standard output.
    pub output: String,
    /// Standard error.
    pub error_output: String,
}

/// An `InvalidParameters` error.
fn invalid(message: String) -> ApiError {
    ApiError::new("InvalidParameters", message)
}

/// The one value of parameter `name`, if given; refused if given as a list
/// of more than one.
fn single(parameters: &Parameters, name: &str) -> Result<Option<String>, ApiError> {
    match parameters.get(name).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([value]) => Ok(Some(value.clone())),
        Some(_) => Err(invalid(format!(
            "Parameter \"{name}\" takes one value; send it as a list of one string."
        ))),
    }
}

/// Refuses parameters that `document` does not define.
fn known_only(document: &str, parameters: &Parameters, known: &[&str]) -> Result<(), ApiError> {
    match parameters
        .keys()
        .find(|name| !known.contains(&name.as_str()))
    {
        Some(name) => Err(invalid(format!(
            "Document {document} has no parameter \"{name}\"; its parameters are {}.",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Checks `parameters` against `document` and returns what the document
/// will do. An unknown document is `InvalidDocument`; parameters the
/// document does not define, required ones missing and values it does not
/// allow are `InvalidParameters`.
pub fn action(document: &str, parameters: &Parameters) -> Result<Action, ApiError> {
    match document {
        CONFIGURE_PACKAGE => {
            known_only(
                document,
                parameters,
                &[
                    "action",
                    "installationType",
                    "name",
                    "version",
                    "additionalArguments",
                ],
            )?;
            let install = match single(parameters, "action")?.as_deref() {
                Some("Install") => true,
                Some("Uninstall") => false,
                Some(other) => {
                    return Err(invalid(format!(
                        "\"{other}\" is not an allowed value of parameter \"action\"; use Install or Uninstall."
                    )));
                }
                None => {
                    return Err(invalid(
                        "Parameter \"action\" is required; set it to Install or Uninstall."
                            .to_owned(),
                    ));
                }
            };
            let name = single(parameters, "name")?.filter(|name| !name.is_empty());
            let name = name.ok_or_else(|| {
                invalid(format!(
                    "Parameter \"name\" is required; set it to the package, e.g. {AGENT_PACKAGE}."
                ))
            })?;
            match single(parameters, "installationType")?.as_deref() {
                None | Some("Uninstall and reinstall" | "In-place update") => {}
                Some(other) => {
                    return Err(invalid(format!(
                        "\"{other}\" is not an allowed value of parameter \"installationType\"; use \"Uninstall and reinstall\" or \"In-place update\"."
                    )));
                }
            }
            let version = single(parameters, "version")?.filter(|version| !version.is_empty());
            Ok(Action::Package {
                install,
                name,
                version,
            })
        }
        RUN_SHELL_SCRIPT => {
            known_only(
                document,
                parameters,
                &["commands", "workingDirectory", "executionTimeout"],
            )?;
            let commands = parameters.get("commands").cloned().unwrap_or_default();
            if commands.iter().all(|line| line.trim().is_empty()) {
                return Err(invalid(
                    "Parameter \"commands\" is required; give the shell lines to run.".to_owned(),
                ));
            }
            Ok(Action::Shell(
                commands
                    .iter()
                    .flat_map(|command| command.lines())
                    .map(str::to_owned)
                    .collect(),
            ))
        }
        other => Err(ApiError::new(
            "InvalidDocument",
            format!(
                "Document {other} does not exist in the local cloud; use {CONFIGURE_PACKAGE} or {RUN_SHELL_SCRIPT}."
            ),
        )),
    }
}

/// How long `action` takes on an instance.
pub fn duration_millis(action: &Action) -> i64 {
    match action {
        Action::Package { .. } => PACKAGE_MILLIS,
        Action::Shell(_) => SHELL_MILLIS,
    }
}

/// The process id the agent of `instance_id` runs as: always the same for
/// the instance.
fn agent_pid(instance_id: &str) -> u32 {
    let digits = instance_id.trim_start_matches("i-");
    let tail = digits.get(digits.len().saturating_sub(4)..).unwrap_or("");
    1000 + u32::from_str_radix(tail, 16).unwrap_or(0) % 30000
}

/// Runs `action` on instance `instance_id`, whose agent is `agent`.
pub fn run(action: &Action, instance_id: &str, agent: &CodeDeployAgent) -> Outcome {
    match action {
        Action::Package {
            install,
            name,
            version,
        } => package(*install, name, version.as_deref(), agent),
        Action::Shell(lines) => {
            let mut outcome = Outcome {
                agent: agent.clone(),
                response_code: 0,
                output: String::new(),
                error_output: String::new(),
            };
            for line in lines {
                shell_line(line, instance_id, &mut outcome);
            }
            outcome
        }
    }
}

/// Installs or removes a package.
fn package(install: bool, name: &str, version: Option<&str>, agent: &CodeDeployAgent) -> Outcome {
    let arn = format!("arn:aws:ssm:::package/{name}");
    if name != AGENT_PACKAGE {
        return Outcome {
            agent: agent.clone(),
            response_code: 1,
            output: format!("Initiating {arn} {}\n", verb(install)),
            error_output: format!(
                "failed to retrieve manifest: ResourceNotFoundException: No package {name} exists; the local cloud has only {AGENT_PACKAGE}.\n"
            ),
        };
    }
    if install {
        let version = version.unwrap_or(DEFAULT_AGENT_VERSION).to_owned();
        let output = format!(
            "Initiating {arn} {version} install\nPlugin aws:runShellScript ResultStatus Success\nSuccessfully installed {arn} {version}\n"
        );
        return Outcome {
            agent: CodeDeployAgent::Running { version },
            response_code: 0,
            output,
            error_output: String::new(),
        };
    }
    let output = match agent.version() {
        Some(version) => format!(
            "Initiating {arn} {version} uninstall\nPlugin aws:runShellScript ResultStatus Success\nSuccessfully uninstalled {arn} {version}\n"
        ),
        None => format!("{arn} is not installed\n"),
    };
    Outcome {
        agent: CodeDeployAgent::NotInstalled,
        response_code: 0,
        output,
        error_output: String::new(),
    }
}

/// `install` or `uninstall`.
fn verb(install: bool) -> &'static str {
    if install { "install" } else { "uninstall" }
}

/// Where the agent writes its version when it is installed.
const VERSION_FILE: &str = "/opt/codedeploy-agent/.version";

/// Answers a line that reads the agent's version file (`cat
/// /opt/codedeploy-agent/.version`, with an optional `|| echo '...'`
/// fallback), as the instance would. Returns whether the line was one.
fn version_file(line: &str, outcome: &mut Outcome) -> bool {
    let (command, fallback) = match line.split_once("||") {
        Some((command, fallback)) => (command, Some(fallback.trim())),
        None => (line, None),
    };
    let words: Vec<&str> = command
        .split_whitespace()
        .skip_while(|word| *word == "sudo")
        .filter(|word| !word.starts_with("2>"))
        .collect();
    if words != ["cat", VERSION_FILE] {
        return false;
    }
    if let Some(version) = outcome.agent.version() {
        let _ = writeln!(outcome.output, "agent_version: OFFICIAL_{version}-1_deb");
        outcome.response_code = 0;
        return true;
    }
    let echoed = fallback
        .and_then(|fallback| fallback.strip_prefix("echo"))
        .map(|text| text.trim().trim_matches(['\'', '"']));
    if let Some(text) = echoed {
        let _ = writeln!(outcome.output, "{text}");
        outcome.response_code = 0;
    } else {
        let _ = writeln!(
            outcome.error_output,
            "cat: {VERSION_FILE}: No such file or directory"
        );
        outcome.response_code = 1;
    }
    true
}

/// The agent command a shell line gives, with whether it goes through
/// `systemctl`: `start`, `stop`, `restart` or `status`.
fn agent_command(line: &str) -> Option<(&str, bool)> {
    let words: Vec<&str> = line
        .split_whitespace()
        .skip_while(|word| *word == "sudo")
        .collect();
    match words.as_slice() {
        ["service", "codedeploy-agent", verb] => Some((verb, false)),
        ["systemctl", verb, unit] if unit.trim_end_matches(".service") == "codedeploy-agent" => {
            Some((verb, true))
        }
        _ => None,
    }
}

/// Runs one shell line on the instance, as the agent's init script or
/// systemd would answer. The script's exit code is its last line's.
fn shell_line(line: &str, instance_id: &str, outcome: &mut Outcome) {
    if version_file(line, outcome) {
        return;
    }
    let Some((verb, systemd)) = agent_command(line) else {
        outcome.response_code = 0;
        return;
    };
    let Some(version) = outcome.agent.version().map(str::to_owned) else {
        outcome.response_code = if systemd { 5 } else { 1 };
        if systemd {
            let _ = writeln!(
                outcome.error_output,
                "Failed to {verb} codedeploy-agent.service: Unit codedeploy-agent.service not found."
            );
        } else {
            outcome
                .error_output
                .push_str("codedeploy-agent: unrecognized service\n");
        }
        return;
    };
    let pid = agent_pid(instance_id);
    outcome.response_code = 0;
    match verb {
        "start" | "restart" => {
            outcome.agent = CodeDeployAgent::Running { version };
        }
        "stop" => {
            if !systemd && outcome.agent.is_running() {
                outcome
                    .output
                    .push_str("Stopping the AWS CodeDeploy agent.\n");
            }
            outcome.agent = CodeDeployAgent::Stopped { version };
        }
        "status" => {
            if outcome.agent.is_running() {
                let _ = writeln!(
                    outcome.output,
                    "The AWS CodeDeploy agent is running as PID {pid}"
                );
            } else {
                outcome.output.push_str("No AWS CodeDeploy agent running\n");
                outcome.response_code = if systemd { 3 } else { 1 };
            }
        }
        other => {
            outcome.response_code = if systemd { 1 } else { 2 };
            let _ = writeln!(
                outcome.error_output,
                "Unknown command {other}; use start, stop, restart or status."
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(pairs: &[(&str, &str)]) -> Parameters {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), vec![(*value).to_owned()]))
            .collect()
    }

    fn running() -> CodeDeployAgent {
        CodeDeployAgent::Running {
            version: DEFAULT_AGENT_VERSION.to_owned(),
        }
    }

    #[test]
    fn package_parameters_are_checked_as_the_document_defines_them() {
        let install = parameters(&[("action", "Install"), ("name", AGENT_PACKAGE)]);
        assert_eq!(
            action(CONFIGURE_PACKAGE, &install),
            Ok(Action::Package {
                install: true,
                name: AGENT_PACKAGE.to_owned(),
                version: None
            })
        );
        for bad in [
            parameters(&[("name", AGENT_PACKAGE)]),
            parameters(&[("action", "Remove"), ("name", AGENT_PACKAGE)]),
            parameters(&[("action", "Install")]),
            parameters(&[("action", "Install"), ("name", "x"), ("colour", "red")]),
            parameters(&[
                ("action", "Install"),
                ("name", "x"),
                ("installationType", "Sideways"),
            ]),
        ] {
            assert_eq!(
                action(CONFIGURE_PACKAGE, &bad).unwrap_err().code,
                "InvalidParameters",
                "{bad:?}"
            );
        }
        assert_eq!(
            action("AWS-Nothing", &install).unwrap_err().code,
            "InvalidDocument"
        );
        assert_eq!(
            action(RUN_SHELL_SCRIPT, &Parameters::new())
                .unwrap_err()
                .code,
            "InvalidParameters"
        );
    }

    #[test]
    fn installs_and_removals_change_the_agent() {
        let install = Action::Package {
            install: true,
            name: AGENT_PACKAGE.to_owned(),
            version: Some("1.6.0".to_owned()),
        };
        let outcome = run(&install, "i-1", &CodeDeployAgent::NotInstalled);
        assert_eq!(
            outcome.agent,
            CodeDeployAgent::Running {
                version: "1.6.0".to_owned()
            }
        );
        assert!(outcome.output.contains("Successfully installed"));
        let uninstall = Action::Package {
            install: false,
            name: AGENT_PACKAGE.to_owned(),
            version: None,
        };
        assert_eq!(
            run(&uninstall, "i-1", &running()).agent,
            CodeDeployAgent::NotInstalled
        );
        let other = Action::Package {
            install: true,
            name: "AmazonCloudWatchAgent".to_owned(),
            version: None,
        };
        let failed = run(&other, "i-1", &CodeDeployAgent::NotInstalled);
        assert_eq!(failed.response_code, 1);
        assert_eq!(failed.agent, CodeDeployAgent::NotInstalled);
    }

    #[test]
    fn service_lines_start_stop_and_report_the_agent() {
        let shell = |lines: &[&str]| Action::Shell(lines.iter().map(|l| (*l).to_owned()).collect());
        let stopped = run(
            &shell(&["sudo service codedeploy-agent stop", "echo done"]),
            "i-0abc",
            &running(),
        );
        assert!(!stopped.agent.is_running());
        assert_eq!(stopped.response_code, 0);
        let status = run(
            &shell(&["sudo service codedeploy-agent status"]),
            "i-0abc",
            &stopped.agent,
        );
        assert_eq!(status.output, "No AWS CodeDeploy agent running\n");
        assert_eq!(status.response_code, 1);
        let started = run(
            &shell(&[
                "sudo systemctl start codedeploy-agent",
                "systemctl status codedeploy-agent",
            ]),
            "i-0abc",
            &stopped.agent,
        );
        assert!(started.agent.is_running());
        assert!(
            started
                .output
                .starts_with("The AWS CodeDeploy agent is running as PID ")
        );
        let missing = run(
            &shell(&["sudo service codedeploy-agent start"]),
            "i-0abc",
            &CodeDeployAgent::NotInstalled,
        );
        assert_eq!(missing.response_code, 1);
        assert_eq!(missing.agent, CodeDeployAgent::NotInstalled);
    }

    #[test]
    fn the_version_file_tells_whether_the_agent_is_installed() {
        let shell = |lines: &[&str]| Action::Shell(lines.iter().map(|l| (*l).to_owned()).collect());
        let check = shell(&[
            "cat /opt/codedeploy-agent/.version 2>/dev/null || echo 'No CodeDeploy agent installed'",
            "sudo service codedeploy-agent status",
        ]);
        let installed = run(&check, "i-0abc", &running());
        assert!(
            installed
                .output
                .starts_with(&format!("agent_version: OFFICIAL_{DEFAULT_AGENT_VERSION}-1_deb\nThe AWS CodeDeploy agent is running as PID ")),
            "{installed:?}"
        );
        let missing = run(&check, "i-0abc", &CodeDeployAgent::NotInstalled);
        assert!(
            missing
                .output
                .starts_with("No CodeDeploy agent installed\n"),
            "{missing:?}"
        );
        assert_eq!(missing.response_code, 1, "the status line's code");
        let bare = run(
            &shell(&["cat /opt/codedeploy-agent/.version"]),
            "i-0abc",
            &CodeDeployAgent::NotInstalled,
        );
        assert_eq!(bare.response_code, 1);
        assert!(bare.error_output.contains("No such file or directory"));
    }
}
