//! Micro-benchmarks of the gateway's request path and of its token snapshot.
//!
//! ```bash
//! cargo bench -p gatehouse-proxy --features bench --bench gateway
//! ```
//!
//! Before the timings it prints, measured with a counting allocator: the heap that a snapshot of
//! 1,000,000 tokens holds per token, the time to load it, and the heap allocations of one
//! verification + evaluation. See docs/benchmarks.md for figures.

#![allow(clippy::print_stdout, reason = "a benchmark reports on standard output")]

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use divan::Bencher;
use gatehouse_domain::{AccountId, ServerKey, ServiceToken};
use gatehouse_proxy::bench_support::{Fixture, NOW, Snapshot, tokens};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SIZES: [usize; 3] = [1, 10_000, 1_000_000];

fn main() {
    snapshot_memory(1_000_000);
    request_allocations();
    divan::main();
}

/// Heap held by a loaded snapshot, per token, and the time to load it.
fn snapshot_memory(n: usize) {
    let server_key = ServerKey::generate();
    let account = AccountId::generate();
    let region = Region::new(GLOBAL);
    let generated = tokens(&server_key, &account, n);
    let started = Instant::now();
    let snapshot = Snapshot::load(generated);
    let load = started.elapsed();
    let change = region.change();
    let held = (change.bytes_allocated + change.bytes_reallocated.max(0) as usize)
        .saturating_sub(change.bytes_deallocated);
    let live = change.allocations.saturating_sub(change.deallocations);
    // glibc's malloc adds 8 bytes to each allocation and rounds up to 16 (32 at least).
    println!(
        "snapshot of {} tokens: {:.0} bytes/token requested from the heap ({} live allocations, \
         {:.0} bytes/token with malloc's per-allocation overhead); loaded in {:.2?} ({:.0} ns/token)",
        snapshot.len(),
        held as f64 / n as f64,
        live,
        (held + live * 16) as f64 / n as f64,
        load,
        load.as_nanos() as f64 / n as f64,
    );
    // Deleting: by client id (a deletion made through this node, or one another node made and
    // named the client id of) and by id alone, timed outside the allocation region above.
    let doomed: Vec<ServiceToken> = snapshot_tokens_sample(&server_key, &account, &snapshot);
    let started = Instant::now();
    for token in &doomed[..DELETES] {
        snapshot.remove_known(token);
    }
    let known = started.elapsed() / DELETES as u32;
    let started = Instant::now();
    for token in &doomed[DELETES..2 * DELETES] {
        snapshot.remove_by_id(token);
    }
    let by_id = started.elapsed() / DELETES as u32;
    let started = Instant::now();
    for token in &doomed[2 * DELETES..] {
        snapshot.remove_remote(token);
    }
    let remote = started.elapsed() / DELETES as u32;
    assert_eq!(snapshot.len(), n + doomed.len() - 3 * DELETES);
    println!(
        "deleting one of {n} tokens: {known:.2?} with its client id, {remote:.2?} from another node's event naming it, {by_id:.2?} by id alone"
    );
    black_box(snapshot);
}

/// Tokens deleted per way of deleting in `snapshot_memory`.
const DELETES: usize = 20;

/// `3 * DELETES` more tokens, added to `snapshot` so that deleting them can be timed.
fn snapshot_tokens_sample(
    server_key: &ServerKey,
    account: &AccountId,
    snapshot: &Snapshot,
) -> Vec<ServiceToken> {
    let extra = tokens(server_key, account, 3 * DELETES);
    snapshot.add(extra.clone());
    extra
}

/// Heap allocations made by one verification + evaluation (the request path's own stages).
fn request_allocations() {
    let fixture = Fixture::new(10_000);
    assert!(fixture.verify_and_authorize(fixture.request(0)));
    let region = Region::new(GLOBAL);
    let rounds = 1_000;
    for i in 0..rounds {
        black_box(fixture.verify_and_authorize(fixture.request(i)));
    }
    let change = region.change();
    println!(
        "verify + evaluate: {:.1} allocations, {:.0} bytes per request",
        change.allocations as f64 / rounds as f64,
        change.bytes_allocated as f64 / rounds as f64,
    );
}

/// Credentials read, secret hashed and checked against the snapshot, policies evaluated.
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 100)]
fn verify_and_evaluate(bencher: Bencher, tokens: usize) {
    let fixture = Fixture::new(tokens);
    for i in 0..fixture.samples() {
        assert!(fixture.verify_and_authorize(fixture.request(i)), "every sample token is allowed");
    }
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        fixture.verify_and_authorize(black_box(fixture.request(i)))
    });
}

/// The application JWT for a token that has one cached.
#[divan::bench]
fn jwt_cache_hit(bencher: Bencher) {
    let fixture = Fixture::new(16);
    fixture.issue_jwt(0, NOW);
    bencher.bench_local(|| fixture.issue_jwt(0, black_box(NOW)));
}

/// The application JWT when none is cached: an RS256 signature.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn jwt_cache_miss(bencher: Bencher) {
    let fixture = Fixture::new(16);
    bencher
        .with_inputs(|| fixture.clear_jwt_cache())
        .bench_local_refs(|()| fixture.issue_jwt(0, black_box(NOW)));
}

/// Loading a full snapshot (gateway start, full resync), at 10,000 tokens.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn snapshot_load_10k(bencher: Bencher) {
    let server_key = ServerKey::generate();
    let account = AccountId::generate();
    let generated = tokens(&server_key, &account, 10_000);
    bencher.with_inputs(|| generated.clone()).bench_local_values(Snapshot::load);
}
