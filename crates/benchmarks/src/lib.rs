//! Shared pieces of the bench binaries in `benches/` (this crate has no
//! library users): the Key Vault emulator in a child process, a bearer token
//! from its token endpoint, a credential that hands out that one token,
//! a vault data file with N secrets, CPU time from `/proc`, and percentiles.
//!
//! The emulator runs in a **separate process** so that its CPU time is not
//! counted in the client's process: the bench binary re-executes itself with
//! `--emulator-child` (see [`run_emulator_child_if_asked`]), which serves the
//! `keyvault-emulator` library exactly as the `keyvault-emulator` binary does,
//! on 127.0.0.1, and stops when its standard input closes.
//!
//! Measurement code, not product code: it reads the clock, the environment
//! and `/proc` directly and launches processes, which the workspace's
//! `clippy.toml` forbids in the crates (they use `ProviderContext` seams).
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use credential_core::{AccessToken, FnCredential, token_credential_fn};
use keyvault_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, Emulator};
use time::OffsetDateTime;

/// The argument that makes a bench binary serve the emulator instead.
pub const CHILD_FLAG: &str = "--emulator-child";

/// If this process was started with [`CHILD_FLAG`] (optionally followed by
/// `--data-dir DIR`, or `--tls-cert-out FILE` to serve HTTPS and write the
/// certificate to `FILE`), serves the emulator until standard input closes
/// and returns `true`; otherwise returns `false` at once.
pub fn run_emulator_child_if_asked() -> bool {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == CHILD_FLAG) {
        return false;
    }
    let data_dir = args
        .iter()
        .position(|a| a == "--data-dir")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let cert_out = args
        .iter()
        .position(|a| a == "--tls-cert-out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the emulator child");
    runtime.block_on(async move {
        let mut builder = Emulator::builder();
        if let Some(dir) = data_dir {
            builder = builder.data_dir(dir);
        }
        if cert_out.is_some() {
            builder = builder.tls(true);
        }
        let emulator = match builder.start().await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("emulator child: {e}");
                std::process::exit(2);
            }
        };
        if let (Some(path), Some(pem)) = (&cert_out, emulator.certificate_pem())
            && let Err(e) = std::fs::write(path, pem)
        {
            eprintln!("emulator child: writing {}: {e}", path.display());
            std::process::exit(2);
        }
        println!("READY {}", emulator.vault_url());
        let _ = std::io::stdout().flush();
        // Stop when the parent closes our stdin (or dies).
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await;
        emulator.shutdown().await;
    });
    true
}

/// The emulator, running in a child process of this bench binary.
#[derive(Debug)]
pub struct EmulatorProcess {
    child: Child,
    vault_url: String,
}

impl EmulatorProcess {
    /// Starts this executable again as an emulator (in memory, or loading
    /// `data_dir/vault.json`) and waits until it listens.
    pub fn start(data_dir: Option<&Path>) -> std::io::Result<Self> {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg(CHILD_FLAG);
        if let Some(dir) = data_dir {
            command.arg("--data-dir").arg(dir);
        }
        Self::spawn(command)
    }

    /// Starts this executable again as an emulator serving HTTPS with a
    /// fresh self-signed certificate, written (PEM) to `cert_out`.
    pub fn start_tls(cert_out: &Path) -> std::io::Result<Self> {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg(CHILD_FLAG).arg("--tls-cert-out").arg(cert_out);
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> std::io::Result<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout from the emulator child"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let vault_url = line
            .trim()
            .strip_prefix("READY ")
            .ok_or_else(|| std::io::Error::other(format!("the emulator child said {line:?}")))?
            .to_owned();
        Ok(Self { child, vault_url })
    }

    /// The vault URL, e.g. `http://127.0.0.1:41234`.
    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// The emulator's Entra-style token endpoint.
    pub fn token_endpoint(&self) -> String {
        format!("{}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", self.vault_url)
    }

    /// The child's process id (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's CPU time (user + system) so far.
    pub fn cpu_time(&self) -> Duration {
        cpu_time_of(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        // Closing stdin asks the child to stop; then make sure it has.
        drop(self.child.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Gets a token for the vault from the emulator's token endpoint once
/// (client credentials with the emulator's well-known client).
pub async fn fetch_token(
    http: &reqwest::Client,
    token_endpoint: &str,
    vault_url: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let scope = format!("{vault_url}/.default");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", DEFAULT_CLIENT_ID)
        .append_pair("client_secret", DEFAULT_CLIENT_SECRET)
        .append_pair("scope", &scope)
        .finish();
    let response = http
        .post(token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let json: serde_json::Value = serde_json::from_slice(&body)?;
    json.get("access_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("the token endpoint answered {status} without a token").into())
}

/// A credential that always hands out `token` (valid for 50 minutes), so
/// the client sends exactly the bearer token the plain loop sends.
pub fn fixed_credential(token: String) -> FnCredential {
    token_credential_fn("FixedTokenCredential", move |_, _| {
        let token = token.clone();
        async move {
            Ok(AccessToken::new(
                token,
                OffsetDateTime::now_utc() + Duration::from_secs(50 * 60),
            ))
        }
    })
}

/// Writes `dir/vault.json` (the emulator's store format 1) holding `count`
/// secrets `bench-000000`, `bench-000001`, ... with one version each.
pub fn write_vault_file(dir: &Path, count: usize) -> std::io::Result<()> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut secrets = serde_json::Map::new();
    for i in 0..count {
        let name = format!("bench-{i:06}");
        let version = format!("{:032x}", i as u128 + 0xabc0_0000_0000_0000_0000);
        secrets.insert(
            name.clone(),
            serde_json::json!({
                "name": name,
                "versions": [{
                    "id": version,
                    "value": format!("value-{i}"),
                    "content_type": "text/plain",
                    "enabled": true,
                    "created": now,
                    "updated": now,
                }],
            }),
        );
    }
    let store = serde_json::json!({ "format": 1, "secrets": secrets });
    let bytes = serde_json::to_vec(&store).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("vault.json"), bytes)
}

/// User + system CPU time of this process so far.
pub fn self_cpu_time() -> Duration {
    cpu_time_of("/proc/self/stat")
}

fn cpu_time_of(stat_path: &str) -> Duration {
    let Ok(text) = std::fs::read_to_string(stat_path) else {
        return Duration::ZERO;
    };
    // Fields after the command name (which may hold spaces) start at ')'.
    let Some(rest) = text.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 11 and 12 after ')'.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// The peak resident set (`VmHWM`) of this process, in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The `p`-th percentile (0-100) of sorted latencies in nanoseconds.
pub fn percentile(sorted_ns: &[u64], p: f64) -> Duration {
    if sorted_ns.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted_ns.len() - 1) as f64).round() as usize;
    Duration::from_nanos(sorted_ns[rank.min(sorted_ns.len() - 1)])
}

/// A duration from the environment variable `name` in seconds (a float),
/// else `default`.
pub fn seconds_from_env(name: &str, default: f64) -> Duration {
    let secs = std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(default);
    Duration::from_secs_f64(secs)
}

/// A list of counts from the environment variable `name` (comma separated),
/// else `default`.
pub fn counts_from_env(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect::<Vec<usize>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// The median of sorted values.
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A 95 % interval for the median of `values` (percentile bootstrap, 2,000
/// resamples, a fixed seed so that the same data gives the same interval).
pub fn bootstrap_median_interval(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut medians: Vec<f64> = (0..2_000)
        .map(|_| {
            let mut sample: Vec<f64> = (0..values.len())
                .map(|_| values[(next() % values.len() as u64) as usize])
                .collect();
            sample.sort_by(f64::total_cmp);
            median_of_sorted(&sample)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    (medians[49], medians[1_949])
}
