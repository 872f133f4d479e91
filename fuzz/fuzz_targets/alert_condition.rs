//! Fuzz `AlertCondition::parse` (R-MON-3): never panics; Display re-parses to an equal condition.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::alert_rule::AlertCondition;

fuzz_target!(|data: &str| {
    if let Ok(c) = AlertCondition::parse(data) {
        assert_eq!(AlertCondition::parse(&c.to_string()).ok(), Some(c));
    }
});
