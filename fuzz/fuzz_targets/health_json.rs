//! Fuzz the `/health` parser (R-MON-1): never panics on any body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::health::{parse_health, HealthPolicy};

fuzz_target!(|data: &str| {
    let _ = parse_health(data, &HealthPolicy::default());
});
