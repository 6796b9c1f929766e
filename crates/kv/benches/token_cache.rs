//! Wall time of `kv secret show` against the local emulator, signed in
//! through a fake `az` that takes 300 ms: first and second invocation, with
//! kv's persistent token cache and with `--no-token-cache`.
//!
//! `cargo bench -p kv --bench token_cache` (set `KV_BENCH_ROUNDS`, default 7).
//! The cache is an unencrypted owner-only file in a temporary directory
//! (`KV_TOKEN_CACHE_KEYRING=off`): the benchmark never touches the user's
//! cache or keyring.
#![allow(clippy::unwrap_used, clippy::disallowed_methods, missing_docs)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyvault_emulator::Emulator;

#[path = "../tests/support/fake_az.rs"]
mod fake_az;

fn kv(env: &[(String, String)], args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kv"))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "kv {args:?} failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rounds: usize = std::env::var("KV_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(Emulator::builder().start()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let az = runtime.block_on(fake_az::FakeAz::install(&bin, &emulator, "0.3"));
    let mut env = emulator.env_vars();
    env.push(("PATH".into(), bin.display().to_string()));
    env.push((
        "XDG_CACHE_HOME".into(),
        dir.path().join("cache").display().to_string(),
    ));
    env.push(("KV_TOKEN_CACHE_KEYRING".into(), "off".into()));
    let cli = ["--credential", "azureclicredential"];
    let show = [cli[0], cli[1], "secret", "show", "bench"];
    let uncached = [
        cli[0],
        cli[1],
        "--no-token-cache",
        "secret",
        "show",
        "bench",
    ];
    kv(
        &env,
        &[
            cli[0],
            cli[1],
            "--no-token-cache",
            "secret",
            "set",
            "bench",
            "v",
        ],
    );

    let (mut first, mut second, mut plain_first, mut plain_second) =
        (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        kv(&env, &["cache", "clear"]);
        let before = az.runs();
        first.push(kv(&env, &show));
        second.push(kv(&env, &show));
        assert_eq!(az.runs(), before + 1, "the second cached invocation ran az");
        plain_first.push(kv(&env, &uncached));
        plain_second.push(kv(&env, &uncached));
    }
    let (first, second) = (median(first), median(second));
    let (plain_first, plain_second) = (median(plain_first), median(plain_second));
    println!("kv secret show, fake az 300 ms, median of {rounds} rounds");
    println!("| | first invocation | second invocation |");
    println!("|---|---|---|");
    println!("| with the token cache | {} | {} |", ms(first), ms(second));
    println!(
        "| --no-token-cache | {} | {} |",
        ms(plain_first),
        ms(plain_second)
    );
    println!(
        "second invocation, cache / no cache: {:.2}x",
        second.as_secs_f64() / plain_second.as_secs_f64()
    );
    runtime.block_on(emulator.shutdown());
}
