//! Semantic versions for releases (R-REL-1).
//!
//! Accepted syntax (decision 0101): `MAJOR.MINOR.PATCH` with an optional
//! leading `v` (`v1.2.0`), surrounding whitespace ignored. Pre-release
//! (`-rc.1`) and build metadata (`+abc`) are refused: opsdeck releases are
//! plain numbered versions, and the refusal says so.
//!
//! Next-version rule ([`propose_next`]):
//! * from 1.0.0 on: any breaking change → MAJOR, else any feature → MINOR,
//!   else PATCH (the policy's own examples);
//! * before 1.0.0 (`0.y.z`) Cargo's convention: breaking → MINOR, features and
//!   fixes → PATCH. Leaving 0.x (going to 1.0.0) is a human decision, never
//!   proposed.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A release version `MAJOR.MINOR.PATCH` (no pre-release, no build metadata).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(semver::Version);

/// Why a version was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum VersionError {
    /// Not `MAJOR.MINOR.PATCH`.
    #[error("“{input}” is not a version of the form MAJOR.MINOR.PATCH (e.g. 1.2.0): {reason}")]
    Invalid {
        /// What was typed.
        input: String,
        /// The parser's explanation.
        reason: String,
    },
    /// Has a pre-release part such as `-rc.1`.
    #[error("“{input}” has a pre-release part (“-{pre}”); releases use plain MAJOR.MINOR.PATCH")]
    PreRelease {
        /// What was typed.
        input: String,
        /// The pre-release identifiers.
        pre: String,
    },
    /// Has build metadata such as `+abc`.
    #[error("“{input}” has build metadata (“+{build}”); releases use plain MAJOR.MINOR.PATCH")]
    BuildMetadata {
        /// What was typed.
        input: String,
        /// The build metadata.
        build: String,
    },
    /// The candidate is not newer than the last released version.
    #[error("version {candidate} must be greater than the last released version {last_released}")]
    NotGreater {
        /// The version proposed for release.
        candidate: String,
        /// The newest version already released.
        last_released: String,
    },
    /// There is nothing to release.
    #[error("no changes: a release needs at least one breaking change, feature or fix")]
    NoChanges,
    /// A component would exceed `u64::MAX`.
    #[error("version {0} cannot be bumped further")]
    Overflow(String),
}

impl Version {
    /// Builds `major.minor.patch`.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version(semver::Version::new(major, minor, patch))
    }

    /// Parses `1.2.3` or `v1.2.3` (see module docs).
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let trimmed = input.trim();
        let body = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let v = semver::Version::parse(body).map_err(|e| VersionError::Invalid {
            input: input.to_string(),
            reason: e.to_string(),
        })?;
        if !v.pre.is_empty() {
            return Err(VersionError::PreRelease {
                input: input.to_string(),
                pre: v.pre.to_string(),
            });
        }
        if !v.build.is_empty() {
            return Err(VersionError::BuildMetadata {
                input: input.to_string(),
                build: v.build.to_string(),
            });
        }
        Ok(Version(v))
    }

    /// MAJOR component.
    pub fn major(&self) -> u64 {
        self.0.major
    }
    /// MINOR component.
    pub fn minor(&self) -> u64 {
        self.0.minor
    }
    /// PATCH component.
    pub fn patch(&self) -> u64 {
        self.0.patch
    }

    /// The version after applying `bump` (lower components reset to 0).
    pub fn bumped(&self, bump: ReleaseKind) -> Result<Version, VersionError> {
        let overflow = || VersionError::Overflow(self.to_string());
        let (ma, mi, pa) = (self.major(), self.minor(), self.patch());
        Ok(match bump {
            ReleaseKind::Major => Version::new(ma.checked_add(1).ok_or_else(overflow)?, 0, 0),
            ReleaseKind::Minor => Version::new(ma, mi.checked_add(1).ok_or_else(overflow)?, 0),
            ReleaseKind::Patch => Version::new(ma, mi, pa.checked_add(1).ok_or_else(overflow)?),
        })
    }

    /// Which kind of release `self` is relative to the previous release `prev`
    /// (`None` if `self` is not greater than `prev`).
    pub fn kind_since(&self, prev: &Version) -> Option<ReleaseKind> {
        if self <= prev {
            None
        } else if self.major() != prev.major() {
            Some(ReleaseKind::Major)
        } else if self.minor() != prev.minor() {
            Some(ReleaseKind::Minor)
        } else {
            Some(ReleaseKind::Patch)
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Version::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The kind of a change that goes into a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Backward-incompatible change (後方互換性のない変更).
    Breaking,
    /// Backward-compatible feature (後方互換性のある機能追加).
    Feature,
    /// Backward-compatible bug fix (後方互換性のあるバグ修正).
    Fix,
}

/// Which component a release bumps; also the release's cadence class (R-REL-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseKind {
    /// MAJOR release.
    Major,
    /// MINOR release.
    Minor,
    /// PATCH release.
    Patch,
}

/// The bump a set of changes requires on top of `last` (`None` when `changes` is empty).
pub fn required_bump(last: &Version, changes: &[ChangeKind]) -> Option<ReleaseKind> {
    let breaking = changes.contains(&ChangeKind::Breaking);
    let feature = changes.contains(&ChangeKind::Feature);
    if changes.is_empty() {
        None
    } else if last.major() == 0 {
        Some(if breaking {
            ReleaseKind::Minor
        } else {
            ReleaseKind::Patch
        })
    } else if breaking {
        Some(ReleaseKind::Major)
    } else if feature {
        Some(ReleaseKind::Minor)
    } else {
        Some(ReleaseKind::Patch)
    }
}

/// Proposes the next version after `last` for a release containing `changes`.
pub fn propose_next(last: &Version, changes: &[ChangeKind]) -> Result<Version, VersionError> {
    let bump = required_bump(last, changes).ok_or(VersionError::NoChanges)?;
    last.bumped(bump)
}

/// Refuses a candidate that is not strictly greater than the last released
/// version (R-REL-1). With no release yet, every version is accepted.
pub fn check_new_release(
    last_released: Option<&Version>,
    candidate: &Version,
) -> Result<(), VersionError> {
    match last_released {
        Some(last) if candidate <= last => Err(VersionError::NotGreater {
            candidate: candidate.to_string(),
            last_released: last.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ChangeKind::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn r_rel_1_parse_accepts_plain_and_v_prefix() {
        assert_eq!(v("1.2.3"), Version::new(1, 2, 3));
        assert_eq!(v("v1.2.0"), Version::new(1, 2, 0));
        assert_eq!(v("  2.0.0 "), Version::new(2, 0, 0));
        assert_eq!(v("v1.2.0").to_string(), "1.2.0");
    }

    #[test]
    fn r_rel_1_parse_refuses_invalid_with_clear_message() {
        for bad in [
            "", "1", "1.2", "1.2.3.4", "01.2.3", "a.b.c", "vv1.2.3", "1.2.-3", "V 1.2.3",
        ] {
            let e = Version::parse(bad).unwrap_err();
            assert!(matches!(e, VersionError::Invalid { .. }), "{bad}: {e}");
            assert!(e.to_string().contains("MAJOR.MINOR.PATCH"));
        }
        assert!(matches!(
            Version::parse("1.2.3-rc.1"),
            Err(VersionError::PreRelease { .. })
        ));
        assert!(matches!(
            Version::parse("1.2.3+abc"),
            Err(VersionError::BuildMetadata { .. })
        ));
    }

    #[test]
    fn r_rel_1_policy_examples() {
        // 1.0.0 → 1.0.1 (バグ修正), 1.0.1 → 1.1.0 (新機能追加), 1.1.0 → 2.0.0 (破壊的変更)
        assert_eq!(propose_next(&v("1.0.0"), &[Fix]).unwrap(), v("1.0.1"));
        assert_eq!(propose_next(&v("1.0.1"), &[Feature]).unwrap(), v("1.1.0"));
        assert_eq!(propose_next(&v("1.1.0"), &[Breaking]).unwrap(), v("2.0.0"));
        assert_eq!(
            propose_next(&v("1.1.0"), &[Fix, Feature, Fix]).unwrap(),
            v("1.2.0")
        );
        assert_eq!(
            propose_next(&v("1.1.7"), &[Fix, Breaking]).unwrap(),
            v("2.0.0")
        );
        assert_eq!(propose_next(&v("1.1.0"), &[]), Err(VersionError::NoChanges));
    }

    #[test]
    fn r_rel_1_pre_1_0_follows_cargo() {
        assert_eq!(propose_next(&v("0.3.4"), &[Breaking]).unwrap(), v("0.4.0"));
        assert_eq!(propose_next(&v("0.3.4"), &[Feature]).unwrap(), v("0.3.5"));
        assert_eq!(propose_next(&v("0.3.4"), &[Fix]).unwrap(), v("0.3.5"));
        assert_eq!(propose_next(&v("0.0.1"), &[Breaking]).unwrap(), v("0.1.0"));
    }

    #[test]
    fn r_rel_1_refuses_not_greater_naming_both() {
        let e = check_new_release(Some(&v("1.2.0")), &v("1.1.9")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("1.1.9") && msg.contains("1.2.0"), "{msg}");
        assert!(check_new_release(Some(&v("1.2.0")), &v("1.2.0")).is_err());
        assert!(check_new_release(Some(&v("1.2.0")), &v("1.2.1")).is_ok());
        assert!(check_new_release(None, &v("0.0.0")).is_ok());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let max = Version::new(u64::MAX, 0, 0);
        assert!(matches!(
            max.bumped(ReleaseKind::Major),
            Err(VersionError::Overflow(_))
        ));
    }

    #[test]
    fn kind_since_and_serde() {
        assert_eq!(v("2.0.0").kind_since(&v("1.9.9")), Some(ReleaseKind::Major));
        assert_eq!(v("1.3.0").kind_since(&v("1.2.9")), Some(ReleaseKind::Minor));
        assert_eq!(
            v("1.2.10").kind_since(&v("1.2.9")),
            Some(ReleaseKind::Patch)
        );
        assert_eq!(v("1.2.9").kind_since(&v("1.2.9")), None);
        let json = serde_json::to_string(&v("v1.2.3")).unwrap();
        assert_eq!(json, "\"1.2.3\"");
        assert_eq!(serde_json::from_str::<Version>(&json).unwrap(), v("1.2.3"));
        assert!(serde_json::from_str::<Version>("\"1.2\"").is_err());
    }

    proptest! {
        #[test]
        fn r_rel_1_parse_never_panics(s in ".*") {
            let _ = Version::parse(&s);
        }

        #[test]
        fn r_rel_1_display_parse_round_trip(a in 0u64..1000, b in 0u64..1000, c in 0u64..1000) {
            let x = Version::new(a, b, c);
            prop_assert_eq!(Version::parse(&x.to_string()).unwrap(), x);
        }

        #[test]
        fn r_rel_1_proposal_is_always_greater(a in 0u64..100, b in 0u64..100, c in 0u64..100,
            changes in proptest::collection::vec(prop_oneof![Just(Breaking), Just(Feature), Just(Fix)], 1..5)) {
            let last = Version::new(a, b, c);
            let next = propose_next(&last, &changes).unwrap();
            prop_assert!(next > last);
            prop_assert!(check_new_release(Some(&last), &next).is_ok());
        }
    }
}
