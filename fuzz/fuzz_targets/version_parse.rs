//! Fuzz `Version::parse` (R-REL-1): never panics; accepted versions round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::versions::Version;

fuzz_target!(|data: &str| {
    if let Ok(v) = Version::parse(data) {
        assert_eq!(Version::parse(&v.to_string()).ok(), Some(v));
    }
});
