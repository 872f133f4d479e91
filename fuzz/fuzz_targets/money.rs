//! Fuzz `Cents::parse` (R-COST-2 imports): never panics; Display round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opsdeck::costs::Cents;

fuzz_target!(|data: &str| {
    if let Ok(c) = Cents::parse(data) {
        assert_eq!(Cents::parse(&c.to_string()).ok(), Some(c));
    }
});
