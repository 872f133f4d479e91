//! Fuzz `AlertDuration::parse` (R-MON-3): never panics; Display round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::alert_rule::AlertDuration;

fuzz_target!(|data: &str| {
    if let Ok(d) = AlertDuration::parse(data) {
        assert_eq!(AlertDuration::parse(&d.to_string()).ok(), Some(d));
    }
});
