//! Listing a vault of N secrets (1,000 and 10,000 by default) through
//! `list_properties_of_secrets` with pages of 25: the time, and the peak of
//! live heap bytes in this process while the stream runs (a counting global
//! allocator, `peak_alloc`), above what was live before the listing.
//!
//! The emulator runs in a child process (this binary re-executed with
//! `--emulator-child --data-dir DIR`), loading a `vault.json` written in the
//! emulator's store format, so populating 10,000 secrets takes no requests.
//!
//! Two ways to consume the same stream, each run 3 times per size:
//! - `streamed`: each item is looked at and dropped (what the client does
//!   itself: the stream holds at most one page);
//! - `collected` (control): `try_collect` into a `Vec`, to show that the
//!   measurement does see memory that grows with the vault.
//!
//! Run: `cargo bench -p benchmarks --bench list_secrets`
//! (`BENCH_SIZES=1000,10000,20000` to change the sizes.)
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use benchmarks::{
    EmulatorProcess, counts_from_env, fetch_token, fixed_credential, peak_rss_kib,
    run_emulator_child_if_asked, self_cpu_time,
};
use futures::{StreamExt, TryStreamExt};
use keyvault_secrets::{SecretClient, SecretProperties};
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const RUNS: usize = 3;

struct Run {
    items: usize,
    time: Duration,
    extra_peak: usize,
    client_cpu: Duration,
    server_cpu: Duration,
}

async fn list_once(client: &SecretClient, emulator: &EmulatorProcess, collect: bool) -> Run {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let cpu0 = self_cpu_time();
    let server0 = emulator.cpu_time();
    let start = Instant::now();
    let stream = client.list_properties_of_secrets().max_page_size(25);
    let items = if collect {
        let all: Vec<SecretProperties> = stream.try_collect().await.unwrap();
        let n = all.len();
        drop(all);
        n
    } else {
        let mut stream = std::pin::pin!(stream);
        let mut n = 0;
        while let Some(item) = stream.next().await {
            let item = item.unwrap();
            assert!(item.name.starts_with("bench-"));
            n += 1;
        }
        n
    };
    let time = start.elapsed();
    Run {
        items,
        time,
        extra_peak: ALLOC.peak_usage().saturating_sub(base),
        client_cpu: self_cpu_time().saturating_sub(cpu0),
        server_cpu: emulator.cpu_time().saturating_sub(server0),
    }
}

fn kib(bytes: usize) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

fn main() {
    if run_emulator_child_if_asked() {
        return;
    }
    let sizes = counts_from_env("BENCH_SIZES", &[1_000, 10_000]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        println!("| secrets | consumer | run | items | time | items/s | peak live heap above start | client CPU | emulator CPU |");
        println!("|---|---|---|---|---|---|---|---|---|");
        let mut summary = Vec::new();
        for &size in &sizes {
            let dir = tempfile::tempdir().unwrap();
            benchmarks::write_vault_file(dir.path(), size).unwrap();
            let emulator = EmulatorProcess::start(Some(dir.path())).unwrap();
            let vault = emulator.vault_url().to_owned();
            let http = reqwest::Client::new();
            let token = fetch_token(&http, &emulator.token_endpoint(), &vault)
                .await
                .unwrap();
            let client = SecretClient::new(vault, fixed_credential(token)).unwrap();
            // Warm-up: the challenge discovery, the connection, one page.
            let mut first = std::pin::pin!(
                client.list_properties_of_secrets().max_page_size(25)
            );
            first.next().await.unwrap().unwrap();
            for collect in [false, true] {
                let mut runs = Vec::new();
                for run in 0..RUNS {
                    let r = list_once(&client, &emulator, collect).await;
                    assert_eq!(r.items, size);
                    println!(
                        "| {size} | {} | {} | {} | {:.2} s | {:.0} | {} | {:.2} s | {:.2} s |",
                        if collect { "collected (control)" } else { "streamed" },
                        run + 1,
                        r.items,
                        r.time.as_secs_f64(),
                        r.items as f64 / r.time.as_secs_f64(),
                        kib(r.extra_peak),
                        r.client_cpu.as_secs_f64(),
                        r.server_cpu.as_secs_f64(),
                    );
                    runs.push(r);
                }
                runs.sort_by_key(|r| r.time);
                let median_time = runs[runs.len() / 2].time;
                let max_peak = runs.iter().map(|r| r.extra_peak).max().unwrap_or(0);
                summary.push((size, collect, median_time, max_peak));
            }
            drop(emulator);
        }
        println!();
        println!("| secrets | consumer | median time | max peak live heap above start |");
        println!("|---|---|---|---|");
        for (size, collect, time, peak) in summary {
            println!(
                "| {size} | {} | {:.2} s | {} |",
                if collect { "collected (control)" } else { "streamed" },
                time.as_secs_f64(),
                kib(peak)
            );
        }
        if let Some(hwm) = peak_rss_kib() {
            println!();
            println!("VmHWM of the client process at the end: {hwm} KiB");
        }
    });
}
