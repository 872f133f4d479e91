//! Fuzz the alert YAML reader (R-MON-3): never panics; whatever parses writes back byte for byte.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::alert_rule::{parse_alert_rules, write_document};

fuzz_target!(|data: &str| {
    if let Ok(doc) = parse_alert_rules(data) {
        assert_eq!(write_document(&doc), data);
    }
});
