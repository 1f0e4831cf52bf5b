//! Where passphrases, passwords and tokens come from: an environment variable, a command
//! that prints the secret (a password manager), or a prompt on the terminal.

use std::io::IsTerminal;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

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
    pub fn read(&self) -> anyhow::Result<String> {
        if let Some(command) = self.command {
            return run_secret_command(command, self.what);
        }
        if let Ok(value) = std::env::var(self.env) {
            return Ok(value);
        }
        if !std::io::stdin().is_terminal() {
            bail!(
                "no {what} given: set {env}, pass {flag}, or run in a terminal to be asked",
                what = self.what,
                env = self.env,
                flag = self.command_flag
            );
        }
        rpassword::prompt_password(format!("{}: ", capitalised(self.what)))
            .with_context(|| format!("cannot read the {}", self.what))
    }

    /// For a new secret: asked twice when prompted, so a typo does not lock a user out.
    pub fn read_new(&self) -> anyhow::Result<String> {
        let prompted = self.command.is_none() && std::env::var(self.env).is_err();
        let secret = self.read()?;
        if prompted {
            let again = rpassword::prompt_password(format!("{} again: ", capitalised(self.what)))
                .with_context(|| format!("cannot read the {}", self.what))?;
            if again != secret {
                bail!("the two {}s differ; nothing was changed", self.what);
            }
        }
        if secret.is_empty() {
            bail!("the {} is empty", self.what);
        }
        Ok(secret)
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
fn run_secret_command(command: &str, what: &str) -> anyhow::Result<String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run the {what} command {command:?}"))?;
    if !output.status.success() {
        bail!("the {what} command {command:?} failed ({})", output.status);
    }
    let mut text = String::from_utf8(output.stdout)
        .with_context(|| format!("the {what} command printed something that is not UTF-8"))?;
    while text.ends_with('\n') || text.ends_with('\r') {
        text.pop();
    }
    if text.is_empty() {
        bail!("the {what} command {command:?} printed nothing");
    }
    Ok(text)
}
