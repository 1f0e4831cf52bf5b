//! Where passphrases, passwords and tokens come from: an environment variable, a command
//! that prints the secret (a password manager), a line on standard input, or a prompt on
//! the terminal — for the backup tool's secrets and for the passwords `calvault user` sets.

use std::io::{BufRead, IsTerminal};
use std::process::{Command, Stdio};

/// Why no secret could be had; the text says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no {what} given: set {env}, pass {flag}, or run in a terminal to be asked")]
    NotGiven {
        what: String,
        env: String,
        flag: String,
    },
    #[error("cannot read the {what}: {source}")]
    Read {
        what: String,
        source: std::io::Error,
    },
    #[error("the two {0}s differ; nothing was changed")]
    Differ(String),
    #[error("the {0} is empty; nothing was changed")]
    Empty(String),
    #[error("the {what} command {command:?} {problem}")]
    Command {
        what: String,
        command: String,
        problem: String,
    },
}

/// One secret's sources, in order of preference.
pub struct SecretSource<'a> {
    /// What the secret is, for prompts and errors ("repository passphrase").
    pub what: &'a str,
    pub env: &'a str,
    pub command: Option<&'a str>,
    /// The flag that names the command, for error messages.
    pub command_flag: &'a str,
}

impl SecretSource<'_> {
    pub fn read(&self) -> Result<String, SecretError> {
        if let Some(command) = self.command {
            return run_secret_command(command, self.what);
        }
        if let Ok(value) = std::env::var(self.env) {
            return Ok(value);
        }
        if !std::io::stdin().is_terminal() {
            return Err(SecretError::NotGiven {
                what: self.what.into(),
                env: self.env.into(),
                flag: self.command_flag.into(),
            });
        }
        prompt(&format!("{}: ", capitalised(self.what)), self.what)
    }

    /// For a new secret: asked twice when prompted, so a typo does not lock a user out.
    pub fn read_new(&self) -> Result<String, SecretError> {
        let prompted = self.command.is_none() && std::env::var(self.env).is_err();
        let secret = self.read()?;
        if prompted {
            confirm(&secret, self.what)?;
        }
        not_empty(secret, self.what)
    }
}

/// A new password: one line of standard input when `from_stdin` or when no terminal is
/// attached, else asked twice on the terminal.
pub fn new_password(from_stdin: bool, what: &str) -> Result<String, SecretError> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|source| SecretError::Read {
                what: what.into(),
                source,
            })?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = prompt(&format!("{}: ", capitalised(what)), what)?;
        confirm(&first, what)?;
        first
    };
    not_empty(password, what)
}

fn prompt(text: &str, what: &str) -> Result<String, SecretError> {
    rpassword::prompt_password(text).map_err(|source| SecretError::Read {
        what: what.into(),
        source,
    })
}

/// Asks again, so a typo does not lock anyone out.
fn confirm(first: &str, what: &str) -> Result<(), SecretError> {
    let again = prompt("Repeat it: ", what)?;
    match again == first {
        true => Ok(()),
        false => Err(SecretError::Differ(what.into())),
    }
}

fn not_empty(secret: String, what: &str) -> Result<String, SecretError> {
    match secret.is_empty() {
        true => Err(SecretError::Empty(what.into())),
        false => Ok(secret),
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Runs `sh -c COMMAND` and takes its output, without the final line end, as the secret.
fn run_secret_command(command: &str, what: &str) -> Result<String, SecretError> {
    let failed = |problem: String| SecretError::Command {
        what: what.into(),
        command: command.into(),
        problem,
    };
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| failed(format!("could not be run: {e}")))?;
    if !output.status.success() {
        return Err(failed(format!("failed ({})", output.status)));
    }
    let mut text = String::from_utf8(output.stdout)
        .map_err(|_| failed("printed something that is not UTF-8".into()))?;
    while text.ends_with('\n') || text.ends_with('\r') {
        text.pop();
    }
    if text.is_empty() {
        return Err(failed("printed nothing".into()));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn source(command: &str) -> SecretSource<'_> {
        SecretSource {
            what: "repository passphrase",
            env: "CALVAULT_TEST_NO_SUCH_VARIABLE",
            command: Some(command),
            command_flag: "--passphrase-command",
        }
    }

    #[test]
    fn a_command_gives_the_secret_without_its_line_end_and_failures_are_named() {
        assert_eq!(
            source("printf 'pass phrase\\r\\n'").read().unwrap(),
            "pass phrase"
        );
        let failed = source("exit 3").read().unwrap_err().to_string();
        assert!(
            failed.contains("repository passphrase command \"exit 3\" failed"),
            "{failed}"
        );
        let silent = source("true").read().unwrap_err().to_string();
        assert!(silent.ends_with("printed nothing"), "{silent}");
        assert!(matches!(
            not_empty(String::new(), "password"),
            Err(SecretError::Empty(_))
        ));
    }
}
