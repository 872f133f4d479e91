//! Backup retention (R-BAK-2) and the RPO/RTO checks (R-BAK-3).
//!
//! # Retention (decisions 0107, 0109)
//!
//! The policy's 保持期間 (日次 7日間, 週次 4週間, 月次 12ヶ月, 年次 5年間) says
//! *how long* each class is kept. That reading is the default,
//! [`RetentionMode::Within`], and follows restic's `forget --keep-within-daily 7d
//! --keep-within-weekly 4w --keep-within-monthly 12m --keep-within-yearly 5y`.
//! For each rule, the newest backup of each period (day, ISO week, month or
//! year, taken in the configured time zone) is kept while it is inside the
//! rule's span. A backup taken at `t` is inside the span while
//! `now < t + span`. `t + span` is computed on the zone's wall clock:
//! calendar days, months and years, with month ends clamped, so
//! 2024-02-29 + 1 y = 2025-02-28. Local times go through
//! [`crate::local_time`]. That instant is reported as the date the backup
//! falls due. Unlike restic, the span is measured back from `now`, not from the
//! newest backup, so the due dates are real dates. Pauses are covered by the
//! newest-chain rule below.
//!
//! [`RetentionMode::Count`] is the earlier behaviour (decision 0107), restic's
//! `--keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 5`. Each
//! rule keeps the newest backup of each of its last N periods *that have a
//! backup*. As in restic ≥ 0.16, if a rule still has unused slots when it
//! reaches the oldest backup, that backup is kept too.
//!
//! The rules only look at restore points (full, differential, incremental).
//! A log is never kept by a rule on its own. After the rules have run:
//!
//! * **Chains.** Whatever a kept backup depends on (`depends_on`) is kept
//!   too, transitively. A kept differential keeps its full; a kept
//!   incremental keeps the chain back to its full.
//! * **Point-in-time recovery.** Every log taken at or after the oldest kept
//!   full is kept, so every kept full can be rolled forward to any later
//!   point. A log's `taken_at` is the end of the span it covers. If no full
//!   is kept, no log is deleted.
//! * **Newest chain.** The newest *restorable* backup (its dependency chain
//!   is present all the way down to a full) is always kept, whatever its age.
//!   With it come its chain and, by the PITR rule, every log since its full.
//!   If the newest restore point's chain is broken, that backup is kept as
//!   well. So a pause in backups never deletes the last restorable state,
//!   although older backups still age out.
//! * **Empty policy.** A policy whose active mode has every count or span at
//!   zero keeps everything, as restic refuses to forget without a policy.
//!
//! Every decision lists the reasons it is kept, with the date each reason
//! ends if nothing newer arrives ([`KeptUntil`]). A Within rule ends at the
//! end of its span. Count rules, the newest chain and an empty policy never
//! end on their own. A chain reason ends with the backup that depends on
//! this one; a PITR reason ends with the kept full that keeps the log
//! longest.

use crate::local_time::to_utc;
use chrono::{DateTime, Datelike, Days, Months, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt;

/// What a backup contains, and so what it needs to be restored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// Self-contained (フルバックアップ).
    #[default]
    Full,
    /// Changes since a full (差分バックアップ); `depends_on` names the full.
    Differential,
    /// Changes since the previous backup in its chain (増分バックアップ);
    /// `depends_on` names that backup.
    Incremental,
    /// A transaction-log segment (トランザクションログ), replayed on top of a
    /// full for point-in-time recovery. Its `taken_at` is the end of the span
    /// it covers.
    Log,
}

impl BackupKind {
    /// True for the kinds a retention rule can keep (every kind but
    /// [`BackupKind::Log`]).
    pub fn is_restore_point(self) -> bool {
        !matches!(self, BackupKind::Log)
    }
}

/// A backup to consider. All the backups passed to one call belong to one
/// target (one database, one upload store). Ids should be unique; duplicates
/// are reported ([`ChainProblem::DuplicateId`]), and a dependency on a
/// duplicated id keeps every backup with that id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// Identifier.
    pub id: String,
    /// When it was taken; for a log, the end of the span it covers.
    pub taken_at: DateTime<Utc>,
    /// Kind (defaults to full when absent).
    #[serde(default)]
    pub kind: BackupKind,
    /// The backup this one needs in order to be restored: a differential's
    /// full, an incremental's predecessor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
}

impl Backup {
    /// A full backup.
    pub fn full(id: impl Into<String>, taken_at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            taken_at,
            kind: BackupKind::Full,
            depends_on: None,
        }
    }

    /// A differential on top of the full `full`.
    pub fn differential(
        id: impl Into<String>,
        taken_at: DateTime<Utc>,
        full: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            taken_at,
            kind: BackupKind::Differential,
            depends_on: Some(full.into()),
        }
    }

    /// An incremental on top of `previous` (a full or an incremental).
    pub fn incremental(
        id: impl Into<String>,
        taken_at: DateTime<Utc>,
        previous: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            taken_at,
            kind: BackupKind::Incremental,
            depends_on: Some(previous.into()),
        }
    }

    /// A transaction-log segment ending at `taken_at`.
    pub fn log(id: impl Into<String>, taken_at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            taken_at,
            kind: BackupKind::Log,
            depends_on: None,
        }
    }
}

/// Which reading of the retention numbers applies to a target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionMode {
    /// Keep each period's newest backup for a span of time (restic
    /// `--keep-within-*`). The policy's reading and the default.
    #[default]
    Within,
    /// Keep the newest backup of each of the last N periods that have one
    /// (restic `--keep-*`), plus the oldest while slots remain.
    Count,
}

/// A retention rule (a period kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionRule {
    /// Daily (日次), one period per calendar day.
    Daily,
    /// Weekly (週次), one period per ISO week, Monday to Sunday.
    Weekly,
    /// Monthly (月次).
    Monthly,
    /// Yearly (年次).
    Yearly,
}

impl RetentionRule {
    /// All rules, shortest period first.
    pub const ALL: [RetentionRule; 4] = [
        RetentionRule::Daily,
        RetentionRule::Weekly,
        RetentionRule::Monthly,
        RetentionRule::Yearly,
    ];

    /// The period `t` falls in, in `tz`: `2026-06-30`, `2026-W27`, `2026-06`
    /// or `2026`. Weeks are ISO weeks with the ISO week-year, so 2027-01-01
    /// is `2026-W53`.
    pub fn period_label(self, t: DateTime<Utc>, tz: Tz) -> String {
        let l = t.with_timezone(&tz);
        match self {
            RetentionRule::Daily => {
                format!("{:04}-{:02}-{:02}", l.year(), l.month(), l.day())
            }
            RetentionRule::Weekly => {
                let w = l.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            RetentionRule::Monthly => format!("{:04}-{:02}", l.year(), l.month()),
            RetentionRule::Yearly => format!("{:04}", l.year()),
        }
    }

    fn period(self, t: DateTime<Utc>, tz: Tz) -> i64 {
        let l = t.with_timezone(&tz);
        let (y, m, d) = (
            i64::from(l.year()),
            i64::from(l.month()),
            i64::from(l.day()),
        );
        match self {
            RetentionRule::Daily => y * 10_000 + m * 100 + d,
            RetentionRule::Weekly => {
                let w = l.iso_week();
                i64::from(w.year()) * 100 + i64::from(w.week())
            }
            RetentionRule::Monthly => y * 100 + m,
            RetentionRule::Yearly => y,
        }
    }
}

/// Unit of a [`Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanUnit {
    /// Calendar days (`d`).
    Days,
    /// Weeks of seven calendar days (`w`). restic has no `w`; `4w` is its `28d`.
    Weeks,
    /// Calendar months (`m`); month ends clamp.
    Months,
    /// Calendar years (`y`), i.e. twelve months.
    Years,
}

/// A span of calendar time, such as 7 days or 5 years. Zero disables a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: SpanUnit,
}

impl Span {
    /// `n` days.
    pub const fn days(n: u32) -> Self {
        Self {
            amount: n,
            unit: SpanUnit::Days,
        }
    }

    /// `n` weeks.
    pub const fn weeks(n: u32) -> Self {
        Self {
            amount: n,
            unit: SpanUnit::Weeks,
        }
    }

    /// `n` months.
    pub const fn months(n: u32) -> Self {
        Self {
            amount: n,
            unit: SpanUnit::Months,
        }
    }

    /// `n` years.
    pub const fn years(n: u32) -> Self {
        Self {
            amount: n,
            unit: SpanUnit::Years,
        }
    }

    /// True when the span is empty (the rule is off).
    pub fn is_zero(self) -> bool {
        self.amount == 0
    }

    /// `t + self` on the wall clock of `tz`. Month ends clamp (01-31 + 1 m =
    /// 02-28). A result that falls in a DST gap or overlap is resolved as in
    /// [`crate::local_time`]. `None` when the result is out of range.
    pub fn add_to(self, t: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&tz).naive_local();
        let n = self.amount;
        let end = match self.unit {
            SpanUnit::Days => local.checked_add_days(Days::new(u64::from(n)))?,
            SpanUnit::Weeks => local.checked_add_days(Days::new(u64::from(n) * 7))?,
            SpanUnit::Months => local.checked_add_months(Months::new(n))?,
            SpanUnit::Years => local.checked_add_months(Months::new(n.checked_mul(12)?))?,
        };
        to_utc(tz, end)
    }
}

impl fmt::Display for Span {
    /// `7d`, `4w`, `12m`, `5y`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            SpanUnit::Days => 'd',
            SpanUnit::Weeks => 'w',
            SpanUnit::Months => 'm',
            SpanUnit::Years => 'y',
        };
        write!(f, "{}{unit}", self.amount)
    }
}

/// How many periods each rule keeps in [`RetentionMode::Count`] (7 / 4 / 12 / 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionCounts {
    /// Days (7).
    pub daily: u32,
    /// ISO weeks (4).
    pub weekly: u32,
    /// Months (12).
    pub monthly: u32,
    /// Years (5).
    pub yearly: u32,
}

impl Default for RetentionCounts {
    fn default() -> Self {
        Self {
            daily: 7,
            weekly: 4,
            monthly: 12,
            yearly: 5,
        }
    }
}

impl RetentionCounts {
    /// The count of `rule`.
    pub fn get(&self, rule: RetentionRule) -> u32 {
        match rule {
            RetentionRule::Daily => self.daily,
            RetentionRule::Weekly => self.weekly,
            RetentionRule::Monthly => self.monthly,
            RetentionRule::Yearly => self.yearly,
        }
    }
}

/// How long each rule keeps its backups in [`RetentionMode::Within`]
/// (7 days / 4 weeks / 12 months / 5 years).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionSpans {
    /// 日次 7日間.
    pub daily: Span,
    /// 週次 4週間.
    pub weekly: Span,
    /// 月次 12ヶ月.
    pub monthly: Span,
    /// 年次 5年間.
    pub yearly: Span,
}

impl Default for RetentionSpans {
    fn default() -> Self {
        Self {
            daily: Span::days(7),
            weekly: Span::weeks(4),
            monthly: Span::months(12),
            yearly: Span::years(5),
        }
    }
}

impl RetentionSpans {
    /// The span of `rule`.
    pub fn get(&self, rule: RetentionRule) -> Span {
        match rule {
            RetentionRule::Daily => self.daily,
            RetentionRule::Weekly => self.weekly,
            RetentionRule::Monthly => self.monthly,
            RetentionRule::Yearly => self.yearly,
        }
    }
}

/// Retention settings for one backup target. The default is the policy:
/// `Within` with 7 d / 4 w / 12 m / 5 y. The counts (7 / 4 / 12 / 5) apply
/// when `mode` is `Count`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicy {
    /// Which reading applies.
    pub mode: RetentionMode,
    /// Counts for [`RetentionMode::Count`].
    pub counts: RetentionCounts,
    /// Spans for [`RetentionMode::Within`].
    pub within: RetentionSpans,
}

impl RetentionPolicy {
    /// The policy's numbers read as counts (restic `--keep-daily 7 …`).
    pub fn counting() -> Self {
        Self {
            mode: RetentionMode::Count,
            ..Self::default()
        }
    }

    /// True when no rule of the active mode keeps anything. Such a policy
    /// keeps everything.
    pub fn is_empty(&self) -> bool {
        match self.mode {
            RetentionMode::Count => RetentionRule::ALL.iter().all(|r| self.counts.get(*r) == 0),
            RetentionMode::Within => RetentionRule::ALL
                .iter()
                .all(|r| self.within.get(*r).is_zero()),
        }
    }
}

/// How long a reason keeps a backup if no newer backup arrives. Orders
/// `At(earlier) < At(later) < Indefinitely`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeptUntil {
    /// Falls due at this instant (a Within span ends).
    At(DateTime<Utc>),
    /// No end in sight. A newer backup has to displace it first (count
    /// rules, the newest chain, an empty policy).
    Indefinitely,
}

/// Why a backup is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum KeepReason {
    /// The newest backup of `period` and inside the rule's span
    /// ([`RetentionMode::Within`]).
    Within {
        /// The rule.
        rule: RetentionRule,
        /// Its span.
        span: Span,
        /// The period, e.g. `2026-W27`.
        period: String,
        /// End of the span (`taken_at + span`).
        until: KeptUntil,
    },
    /// Slot `slot` of the rule's `of` ([`RetentionMode::Count`]). `oldest`:
    /// kept as the oldest backup while the rule had unused slots, although a
    /// newer backup of the same period is already kept.
    Count {
        /// The rule.
        rule: RetentionRule,
        /// 1-based slot.
        slot: u32,
        /// The rule's count.
        of: u32,
        /// The period, e.g. `2026-06`.
        period: String,
        /// Kept only as the oldest backup.
        oldest: bool,
    },
    /// The newest backup whose dependency chain is complete down to a full.
    NewestRestorable,
    /// The newest restore point, kept although its chain is incomplete.
    NewestBackup,
    /// The kept backup `id` depends on this one.
    DependedOnBy {
        /// The dependent backup.
        id: String,
        /// How long that backup is kept.
        until: KeptUntil,
    },
    /// A log needed to roll the kept full `full` forward (point-in-time
    /// recovery). If several kept fulls need it, `full` is the one kept longest.
    PointInTimeRecovery {
        /// The full.
        full: String,
        /// How long that full is kept.
        until: KeptUntil,
    },
    /// A log, kept because no full is kept at all.
    NoKeptFull,
    /// The policy is empty: nothing is deleted.
    EmptyPolicy,
}

impl KeepReason {
    /// How long this reason keeps the backup.
    pub fn until(&self) -> KeptUntil {
        match self {
            KeepReason::Within { until, .. }
            | KeepReason::DependedOnBy { until, .. }
            | KeepReason::PointInTimeRecovery { until, .. } => *until,
            KeepReason::Count { .. }
            | KeepReason::NewestRestorable
            | KeepReason::NewestBackup
            | KeepReason::NoKeptFull
            | KeepReason::EmptyPolicy => KeptUntil::Indefinitely,
        }
    }

    /// The retention rule behind this reason, if it is a rule.
    pub fn rule(&self) -> Option<RetentionRule> {
        match self {
            KeepReason::Within { rule, .. } | KeepReason::Count { rule, .. } => Some(*rule),
            _ => None,
        }
    }
}

/// Something wrong with the dependency data. Reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ChainProblem {
    /// `id` depends on a backup that is not in the list (so it is not restorable).
    MissingDependency {
        /// The dependent backup.
        id: String,
        /// The id it names.
        depends_on: String,
    },
    /// Several backups share this id.
    DuplicateId {
        /// The id.
        id: String,
    },
    /// Following `depends_on` from `id` comes back to it.
    DependencyCycle {
        /// A backup on the cycle.
        id: String,
    },
}

/// The decision for one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionDecision {
    /// The backup's id.
    pub id: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Its kind.
    pub kind: BackupKind,
    /// What it depends on.
    pub depends_on: Option<String>,
    /// A restore point whose chain is present down to a full (false for logs).
    pub restorable: bool,
    /// Keep or delete.
    pub keep: bool,
    /// The retention rules among `reasons`, in rule order.
    pub kept_by: Vec<RetentionRule>,
    /// Every reason it is kept (empty: due for deletion).
    pub reasons: Vec<KeepReason>,
    /// When it falls due if nothing newer arrives: the latest `until` among
    /// `reasons`. `None` when it is already due.
    pub kept_until: Option<KeptUntil>,
}

/// The outcome of [`apply_retention`] for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionReport {
    /// The mode applied.
    pub mode: RetentionMode,
    /// The instant the spans were measured back from.
    pub now: DateTime<Utc>,
    /// One decision per backup, newest first. Equal times keep input order.
    pub decisions: Vec<RetentionDecision>,
    /// Ids of the backups due for deletion, newest first.
    pub due_for_deletion: Vec<String>,
    /// The newest restorable backup, if any.
    pub newest_restorable: Option<String>,
    /// The oldest kept full. Logs are kept from it onwards.
    pub oldest_kept_full: Option<String>,
    /// Problems in the dependency data.
    pub problems: Vec<ChainProblem>,
}

/// Maximum of two optional untils (`None` is "not kept yet").
fn later(a: Option<KeptUntil>, b: Option<KeptUntil>) -> Option<KeptUntil> {
    a.max(b)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    Unknown,
    Visiting,
    Done(bool),
}

/// Whether each backup's chain reaches a full with every link present
/// (indices into `sorted`). Reports cycles.
fn chain_complete(
    sorted: &[&Backup],
    deps: &[Vec<usize>],
    problems: &mut Vec<ChainProblem>,
) -> Vec<bool> {
    let n = sorted.len();
    let mut state = vec![Walk::Unknown; n];
    for start in 0..n {
        if state[start] != Walk::Unknown {
            continue;
        }
        let mut path = Vec::new();
        let mut cur = start;
        let result = loop {
            match state[cur] {
                Walk::Done(r) => break r,
                Walk::Visiting => {
                    problems.push(ChainProblem::DependencyCycle {
                        id: sorted[cur].id.clone(),
                    });
                    break false;
                }
                Walk::Unknown => {}
            }
            state[cur] = Walk::Visiting;
            path.push(cur);
            let b = sorted[cur];
            if b.depends_on.is_none() {
                break b.kind == BackupKind::Full;
            }
            match deps[cur].first() {
                Some(&d) => cur = d,
                None => break false,
            }
        };
        for p in path {
            state[p] = Walk::Done(result);
        }
    }
    state
        .into_iter()
        .map(|s| matches!(s, Walk::Done(true)))
        .collect()
}

/// The rules of the active mode; pushes their reasons onto `own`.
fn apply_rules(
    sorted: &[&Backup],
    points: &[usize],
    policy: &RetentionPolicy,
    tz: Tz,
    now: DateTime<Utc>,
    own: &mut [Vec<KeepReason>],
) {
    for rule in RetentionRule::ALL {
        let mut last: Option<i64> = None;
        match policy.mode {
            RetentionMode::Count => {
                let of = policy.counts.get(rule);
                let mut left = of;
                for (k, &i) in points.iter().enumerate() {
                    if left == 0 {
                        break;
                    }
                    let t = sorted[i].taken_at;
                    let p = rule.period(t, tz);
                    let is_oldest = k + 1 == points.len();
                    if last != Some(p) || is_oldest {
                        let oldest = last == Some(p);
                        last = Some(p);
                        left -= 1;
                        own[i].push(KeepReason::Count {
                            rule,
                            slot: of - left,
                            of,
                            period: rule.period_label(t, tz),
                            oldest,
                        });
                    }
                }
            }
            RetentionMode::Within => {
                let span = policy.within.get(rule);
                if span.is_zero() {
                    continue;
                }
                for &i in points {
                    let t = sorted[i].taken_at;
                    let end = span.add_to(t, tz);
                    if end.is_some_and(|e| now >= e) {
                        continue;
                    }
                    let p = rule.period(t, tz);
                    if last != Some(p) {
                        last = Some(p);
                        own[i].push(KeepReason::Within {
                            rule,
                            span,
                            period: rule.period_label(t, tz),
                            until: end.map_or(KeptUntil::Indefinitely, KeptUntil::At),
                        });
                    }
                }
            }
        }
    }
}

/// For each log marked in `pitr`, the kept full taken at or before it that
/// is kept longest (ties: the oldest such full), with its until.
fn pitr_sources(
    sorted: &[&Backup],
    kept: &[bool],
    pitr: &[bool],
    until: &[Option<KeptUntil>],
) -> Vec<Option<(usize, KeptUntil)>> {
    let n = sorted.len();
    let mut out = vec![None; n];
    let mut best: Option<(usize, KeptUntil)> = None;
    // Oldest first, one group of equal times at a time, so a log sees the
    // fulls taken at the same instant.
    let mut hi = n;
    while hi > 0 {
        let t = sorted[hi - 1].taken_at;
        let mut lo = hi - 1;
        while lo > 0 && sorted[lo - 1].taken_at == t {
            lo -= 1;
        }
        for i in (lo..hi).rev() {
            if kept[i] && sorted[i].kind == BackupKind::Full {
                if let Some(u) = until[i] {
                    if best.is_none_or(|(_, b)| u > b) {
                        best = Some((i, u));
                    }
                }
            }
        }
        for i in lo..hi {
            if pitr[i] {
                out[i] = best;
            }
        }
        hi = lo;
    }
    out
}

/// Applies the retention policy to one target's backups at `now` (R-BAK-2).
/// `tz` is the zone of the periods and of the span arithmetic. `now` only
/// matters in [`RetentionMode::Within`]. See the module docs for the rules.
/// Invariant: nothing kept depends on a backup that is due for deletion.
pub fn apply_retention(
    backups: &[Backup],
    policy: &RetentionPolicy,
    tz: Tz,
    now: DateTime<Utc>,
) -> RetentionReport {
    let mut sorted: Vec<&Backup> = backups.iter().collect();
    sorted.sort_by_key(|b| Reverse(b.taken_at));
    let n = sorted.len();
    let mut problems = Vec::new();

    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, b) in sorted.iter().enumerate() {
        by_id.entry(b.id.as_str()).or_default().push(i);
    }
    let mut reported = std::collections::HashSet::new();
    for b in &sorted {
        if by_id.get(b.id.as_str()).is_some_and(|v| v.len() > 1) && reported.insert(b.id.as_str()) {
            problems.push(ChainProblem::DuplicateId { id: b.id.clone() });
        }
    }
    let deps: Vec<Vec<usize>> = sorted
        .iter()
        .map(|b| match &b.depends_on {
            None => Vec::new(),
            Some(d) => match by_id.get(d.as_str()) {
                Some(v) => v.clone(),
                None => {
                    problems.push(ChainProblem::MissingDependency {
                        id: b.id.clone(),
                        depends_on: d.clone(),
                    });
                    Vec::new()
                }
            },
        })
        .collect();
    let complete = chain_complete(&sorted, &deps, &mut problems);
    let restorable: Vec<bool> = (0..n)
        .map(|i| complete[i] && sorted[i].kind.is_restore_point())
        .collect();
    let points: Vec<usize> = (0..n)
        .filter(|&i| sorted[i].kind.is_restore_point())
        .collect();
    let newest_restorable = points.iter().copied().find(|&i| restorable[i]);

    // 1. Own reasons: empty policy, the rules, the newest chain.
    let mut own: Vec<Vec<KeepReason>> = vec![Vec::new(); n];
    if policy.is_empty() {
        for r in &mut own {
            r.push(KeepReason::EmptyPolicy);
        }
    } else {
        apply_rules(&sorted, &points, policy, tz, now, &mut own);
        if let Some(r) = newest_restorable {
            own[r].push(KeepReason::NewestRestorable);
        }
        if let Some(&p) = points.first() {
            if !restorable[p] {
                own[p].push(KeepReason::NewestBackup);
            }
        }
    }

    // 2. The keep set: closure over dependencies, and logs from the oldest
    //    kept full onwards, until nothing changes.
    let mut kept: Vec<bool> = own.iter().map(|r| !r.is_empty()).collect();
    let mut oldest_full: Option<usize> = None;
    let note_full = |i: usize, oldest_full: &mut Option<usize>| {
        if sorted[i].kind == BackupKind::Full
            && oldest_full.is_none_or(|o| sorted[i].taken_at < sorted[o].taken_at)
        {
            *oldest_full = Some(i);
        }
    };
    let mut stack: Vec<usize> = (0..n).filter(|&i| kept[i]).collect();
    for &i in &stack {
        note_full(i, &mut oldest_full);
    }
    let logs: Vec<usize> = (0..n)
        .filter(|&i| sorted[i].kind == BackupKind::Log)
        .collect();
    let mut pitr = vec![false; n];
    let mut no_full = vec![false; n];
    let mut logs_covered = 0;
    let mut no_full_applied = false;
    loop {
        while let Some(i) = stack.pop() {
            for &d in &deps[i] {
                if !kept[d] {
                    kept[d] = true;
                    note_full(d, &mut oldest_full);
                    stack.push(d);
                }
            }
        }
        match oldest_full {
            Some(o) => {
                let t0 = sorted[o].taken_at;
                while let Some(&l) = logs.get(logs_covered) {
                    if sorted[l].taken_at < t0 {
                        break;
                    }
                    pitr[l] = true;
                    if !kept[l] {
                        kept[l] = true;
                        stack.push(l);
                    }
                    logs_covered += 1;
                }
            }
            None if !no_full_applied && !policy.is_empty() => {
                no_full_applied = true;
                for &l in &logs {
                    no_full[l] = true;
                    if !kept[l] {
                        kept[l] = true;
                        stack.push(l);
                    }
                }
            }
            None => {}
        }
        if stack.is_empty() {
            break;
        }
    }
    for (i, r) in own.iter_mut().enumerate() {
        if no_full[i] {
            r.push(KeepReason::NoKeptFull);
        }
    }

    // 3. Untils: a dependency lasts as long as its longest-kept dependent,
    //    a PITR log as long as the longest-kept full before it. Values only
    //    grow within a finite set, so this terminates.
    let mut until: Vec<Option<KeptUntil>> = own
        .iter()
        .map(|r| r.iter().map(KeepReason::until).max())
        .collect();
    loop {
        let mut changed = false;
        for i in 0..n {
            if !kept[i] || until[i].is_none() {
                continue;
            }
            for &d in &deps[i] {
                if d != i && until[d] < until[i] {
                    until[d] = until[i];
                    changed = true;
                }
            }
        }
        for (i, src) in pitr_sources(&sorted, &kept, &pitr, &until)
            .into_iter()
            .enumerate()
        {
            if let Some((_, u)) = src {
                let v = later(until[i], Some(u));
                if v != until[i] {
                    until[i] = v;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    // 4. Reasons from the final untils.
    let mut chain: Vec<Vec<KeepReason>> = vec![Vec::new(); n];
    for i in 0..n {
        if !kept[i] {
            continue;
        }
        for &d in &deps[i] {
            if d != i {
                chain[d].push(KeepReason::DependedOnBy {
                    id: sorted[i].id.clone(),
                    until: until[i].unwrap_or(KeptUntil::Indefinitely),
                });
            }
        }
    }
    let sources = pitr_sources(&sorted, &kept, &pitr, &until);

    let mut decisions = Vec::with_capacity(n);
    let mut due_for_deletion = Vec::new();
    let parts = own.into_iter().zip(chain).zip(sources).enumerate();
    for (i, ((mut reasons, chain), source)) in parts {
        let b = sorted[i];
        reasons.extend(chain);
        if pitr[i] {
            // `source` is always found (a full at or before the log is kept);
            // the fallback only keeps the result total.
            let (f, u) = source.unwrap_or((
                oldest_full.unwrap_or(i),
                until[i].unwrap_or(KeptUntil::Indefinitely),
            ));
            reasons.push(KeepReason::PointInTimeRecovery {
                full: sorted[f].id.clone(),
                until: u,
            });
        }
        let keep = kept[i];
        if !keep {
            due_for_deletion.push(b.id.clone());
        }
        let mut kept_by: Vec<RetentionRule> = reasons.iter().filter_map(KeepReason::rule).collect();
        kept_by.sort();
        kept_by.dedup();
        decisions.push(RetentionDecision {
            id: b.id.clone(),
            taken_at: b.taken_at,
            kind: b.kind,
            depends_on: b.depends_on.clone(),
            restorable: restorable[i],
            keep,
            kept_by,
            kept_until: reasons.iter().map(KeepReason::until).max(),
            reasons,
        });
    }

    RetentionReport {
        mode: policy.mode,
        now,
        decisions,
        due_for_deletion,
        newest_restorable: newest_restorable.map(|i| sorted[i].id.clone()),
        oldest_kept_full: oldest_full.map(|i| sorted[i].id.clone()),
        problems,
    }
}

/// Recovery objectives (policy: RPO 1 h, RTO 4 h).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPolicy {
    /// Recovery point objective in minutes (60).
    pub rpo_minutes: u32,
    /// Recovery time objective in minutes (240).
    pub rto_minutes: u32,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        Self {
            rpo_minutes: 60,
            rto_minutes: 240,
        }
    }
}

/// Result of the RPO check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpoStatus {
    /// Newest restorable point, if any.
    pub newest: Option<DateTime<Utc>>,
    /// Its age at `now` in seconds (`None` without any point).
    pub age_seconds: Option<i64>,
    /// The objective in seconds.
    pub rpo_seconds: i64,
    /// Age within the objective (false without any point).
    pub ok: bool,
}

/// Age of the newest restorable point against the RPO (R-BAK-3). Points in
/// the future (clock skew) count as age 0.
pub fn check_rpo(
    restorable_points: &[DateTime<Utc>],
    now: DateTime<Utc>,
    policy: &RecoveryPolicy,
) -> RpoStatus {
    let rpo_seconds = i64::from(policy.rpo_minutes) * 60;
    let newest = restorable_points.iter().max().copied();
    let age_seconds = newest.map(|t| (now - t).num_seconds().max(0));
    RpoStatus {
        newest,
        age_seconds,
        rpo_seconds,
        ok: age_seconds.is_some_and(|a| a <= rpo_seconds),
    }
}

/// Result of a restore drill against the RTO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtoStatus {
    /// Measured duration in seconds.
    pub duration_seconds: i64,
    /// The objective in seconds.
    pub rto_seconds: i64,
    /// Within the objective.
    pub ok: bool,
}

/// A drill's measured duration against the RTO (R-BAK-3).
pub fn check_rto(drill_duration: TimeDelta, policy: &RecoveryPolicy) -> RtoStatus {
    let rto_seconds = i64::from(policy.rto_minutes) * 60;
    let duration_seconds = drill_duration.num_seconds();
    RtoStatus {
        duration_seconds,
        rto_seconds,
        ok: (0..=rto_seconds).contains(&duration_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Asia::Tokyo;
    use proptest::prelude::*;

    fn jst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Tokyo
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(d: NaiveDate, h: u32) -> DateTime<Utc> {
        Tokyo
            .from_local_datetime(&d.and_hms_opt(h, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    fn mmdd(d: NaiveDate) -> String {
        format!("{:02}{:02}", d.month(), d.day())
    }

    /// Per day in Tokyo: full `f-MMDD` at 02:00, differentials `d-MMDD-HH` at
    /// `diff_hours` on it, and (optionally) hourly logs `l-MMDD-HH` at HH:00.
    fn schedule(from: NaiveDate, to: NaiveDate, diff_hours: &[u32], logs: bool) -> Vec<Backup> {
        let mut out = Vec::new();
        for d in from.iter_days().take_while(|d| *d <= to) {
            let f = format!("f-{}", mmdd(d));
            out.push(Backup::full(&f, at(d, 2)));
            for &h in diff_hours {
                out.push(Backup::differential(
                    format!("d-{}-{h:02}", mmdd(d)),
                    at(d, h),
                    &f,
                ));
            }
            if logs {
                for h in 0..24 {
                    out.push(Backup::log(format!("l-{}-{h:02}", mmdd(d)), at(d, h)));
                }
            }
        }
        out
    }

    /// One full a day at 02:00 Tokyo, id = the local date.
    fn daily_fulls(from: NaiveDate, to: NaiveDate) -> Vec<Backup> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| Backup::full(d.to_string(), at(d, 2)))
            .collect()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn get<'a>(r: &'a RetentionReport, id: &str) -> &'a RetentionDecision {
        r.decisions
            .iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("no decision for {id}"))
    }

    fn kept_ids(r: &RetentionReport) -> Vec<&str> {
        r.decisions
            .iter()
            .filter(|d| d.keep)
            .map(|d| d.id.as_str())
            .collect()
    }

    fn ids_kept_by(r: &RetentionReport, rule: RetentionRule) -> Vec<&str> {
        r.decisions
            .iter()
            .filter(|d| d.kept_by.contains(&rule))
            .map(|d| d.id.as_str())
            .collect()
    }

    fn no_spans() -> RetentionSpans {
        RetentionSpans {
            daily: Span::days(0),
            weekly: Span::days(0),
            monthly: Span::days(0),
            yearly: Span::days(0),
        }
    }

    fn no_counts() -> RetentionCounts {
        RetentionCounts {
            daily: 0,
            weekly: 0,
            monthly: 0,
            yearly: 0,
        }
    }

    fn within_daily_only() -> RetentionPolicy {
        RetentionPolicy {
            within: RetentionSpans {
                daily: Span::days(7),
                ..no_spans()
            },
            ..RetentionPolicy::default()
        }
    }

    fn at_until(t: DateTime<Utc>) -> Option<KeptUntil> {
        Some(KeptUntil::At(t))
    }

    #[test]
    fn r_bak_2_policy_defaults_are_spans() {
        let p = RetentionPolicy::default();
        assert_eq!(p.mode, RetentionMode::Within);
        let spans: Vec<String> = RetentionRule::ALL
            .iter()
            .map(|r| p.within.get(*r).to_string())
            .collect();
        assert_eq!(spans, vec!["7d", "4w", "12m", "5y"]);
        let counts: Vec<u32> = RetentionRule::ALL
            .iter()
            .map(|r| p.counts.get(*r))
            .collect();
        assert_eq!(counts, vec![7, 4, 12, 5]);
        assert!(!p.is_empty());
        // Stored settings may name only the mode; the rest is the policy.
        let partial: RetentionPolicy = serde_json::from_str(r#"{"mode":"count"}"#).unwrap();
        assert_eq!(partial, RetentionPolicy::counting());
        // The zero values of the *other* mode do not make a policy empty.
        let p = RetentionPolicy {
            counts: no_counts(),
            ..RetentionPolicy::default()
        };
        assert!(!p.is_empty());
        assert!(RetentionPolicy {
            within: no_spans(),
            ..p
        }
        .is_empty());
    }

    #[test]
    fn r_bak_2_count_mode_over_800_days_of_fulls() {
        // 2024-04-22 … 2026-06-30, one full a day at 02:00 Tokyo.
        let b = daily_fulls(date(2024, 4, 22), date(2026, 6, 30));
        assert_eq!(b.len(), 800);
        let r = apply_retention(
            &b,
            &RetentionPolicy::counting(),
            Tokyo,
            jst(2026, 6, 30, 12, 0),
        );
        assert_eq!(ids_kept_by(&r, RetentionRule::Daily).len(), 7);
        // 2026-06-30 is a Tuesday: ISO week 27 → 06-30; then Sundays.
        assert_eq!(
            ids_kept_by(&r, RetentionRule::Weekly),
            vec!["2026-06-30", "2026-06-28", "2026-06-21", "2026-06-14"]
        );
        let monthly = ids_kept_by(&r, RetentionRule::Monthly);
        assert_eq!(monthly.len(), 12);
        assert_eq!(monthly[1], "2026-05-31");
        assert_eq!(monthly[11], "2025-07-31");
        // Three years have backups; the yearly rule has 5 slots, so it also
        // keeps the oldest backup (restic ≥ 0.16).
        assert_eq!(
            ids_kept_by(&r, RetentionRule::Yearly),
            vec!["2026-06-30", "2025-12-31", "2024-12-31", "2024-04-22"]
        );
        assert_eq!(
            get(&r, "2024-04-22").reasons,
            vec![KeepReason::Count {
                rule: RetentionRule::Yearly,
                slot: 4,
                of: 5,
                period: "2024".into(),
                oldest: true
            }]
        );
        assert_eq!(
            get(&r, "2026-06-30").kept_by,
            RetentionRule::ALL.to_vec(),
            "the newest is kept by every rule"
        );
        // 7 daily + 2 more weekly + 11 more monthly + 2024-12-31 + the oldest.
        assert_eq!(kept_ids(&r).len(), 7 + 2 + 11 + 1 + 1);
        assert!(r
            .decisions
            .iter()
            .filter(|d| d.keep)
            .all(|d| d.kept_until == Some(KeptUntil::Indefinitely)));
        assert_eq!(r.due_for_deletion.len(), 800 - 22);
    }

    #[test]
    fn r_bak_2_within_mode_over_800_days_of_fulls() {
        let b = daily_fulls(date(2024, 4, 22), date(2026, 6, 30));
        let now = jst(2026, 6, 30, 12, 0);
        let r = apply_retention(&b, &RetentionPolicy::default(), Tokyo, now);
        // 06-23 02:00 + 7 d = 06-30 02:00 ≤ now: out; 06-24 is in.
        assert_eq!(
            ids_kept_by(&r, RetentionRule::Daily),
            vec![
                "2026-06-30",
                "2026-06-29",
                "2026-06-28",
                "2026-06-27",
                "2026-06-26",
                "2026-06-25",
                "2026-06-24"
            ]
        );
        // 28 days back reaches into ISO week 23: its newest in the span is 06-07.
        assert_eq!(
            ids_kept_by(&r, RetentionRule::Weekly),
            vec![
                "2026-06-30",
                "2026-06-28",
                "2026-06-21",
                "2026-06-14",
                "2026-06-07"
            ]
        );
        let monthly = ids_kept_by(&r, RetentionRule::Monthly);
        assert_eq!(monthly.len(), 12);
        assert_eq!(monthly[11], "2025-07-31");
        // No "oldest" in Within mode: 2024-04-22 goes.
        assert_eq!(
            ids_kept_by(&r, RetentionRule::Yearly),
            vec!["2026-06-30", "2025-12-31", "2024-12-31"]
        );
        assert_eq!(kept_ids(&r).len(), 7 + 3 + 11 + 1);
        assert_eq!(
            get(&r, "2026-06-24").kept_until,
            at_until(jst(2026, 7, 1, 2, 0))
        );
        assert_eq!(
            get(&r, "2024-12-31").kept_until,
            at_until(jst(2029, 12, 31, 2, 0))
        );
        // The newest is the newest restorable chain: no end while nothing newer arrives.
        assert!(get(&r, "2026-06-30")
            .reasons
            .contains(&KeepReason::NewestRestorable));
        assert_eq!(
            get(&r, "2026-06-30").kept_until,
            Some(KeptUntil::Indefinitely)
        );
    }

    #[test]
    fn r_bak_2_yearly_within_five_years_boundaries() {
        let now = jst(2026, 7, 1, 12, 0);
        let run = |old: DateTime<Utc>| {
            let b = vec![
                Backup::full("new", jst(2026, 7, 1, 2, 0)),
                Backup::full("y2022", jst(2022, 1, 1, 0, 0)),
                Backup::full("old", old),
            ];
            apply_retention(&b, &RetentionPolicy::default(), Tokyo, now)
        };
        // 5 years and a day old: gone.
        let r = run(jst(2021, 6, 30, 12, 0));
        assert!(!get(&r, "old").keep);
        assert_eq!(r.due_for_deletion, vec!["old"]);
        // 4.5 years old: kept by the yearly rule until its fifth anniversary.
        let y = get(&r, "y2022");
        assert!(y.keep);
        assert_eq!(y.kept_by, vec![RetentionRule::Yearly]);
        assert_eq!(y.kept_until, at_until(jst(2027, 1, 1, 0, 0)));
        assert_eq!(
            y.reasons,
            vec![KeepReason::Within {
                rule: RetentionRule::Yearly,
                span: Span::years(5),
                period: "2022".into(),
                until: KeptUntil::At(jst(2027, 1, 1, 0, 0)),
            }]
        );
        // Exactly 5 years: due (the span is half-open); one second younger: kept.
        assert!(!get(&run(jst(2021, 7, 1, 12, 0)), "old").keep);
        let young = Tokyo
            .with_ymd_and_hms(2021, 7, 1, 12, 0, 1)
            .unwrap()
            .with_timezone(&Utc);
        assert!(get(&run(young), "old").keep);
    }

    #[test]
    fn r_bak_2_year_end_2021_kept_within_but_not_by_count() {
        let b = daily_fulls(date(2021, 1, 1), date(2026, 6, 30));
        let now = jst(2026, 6, 30, 12, 0);
        let within = apply_retention(&b, &RetentionPolicy::default(), Tokyo, now);
        let ye = get(&within, "2021-12-31");
        assert!(ye.keep, "年次 5年間: still inside five years in mid-2026");
        assert_eq!(ye.kept_by, vec![RetentionRule::Yearly]);
        assert_eq!(ye.kept_until, at_until(jst(2026, 12, 31, 2, 0)));
        assert!(!get(&within, "2021-12-30").keep);
        assert!(!get(&within, "2021-01-01").keep);

        // Counting: 2026, 2025, 2024, 2023 and 2022 fill the five yearly slots.
        let count = apply_retention(&b, &RetentionPolicy::counting(), Tokyo, now);
        assert!(!get(&count, "2021-12-31").keep);
        assert_eq!(
            ids_kept_by(&count, RetentionRule::Yearly),
            vec![
                "2026-06-30",
                "2025-12-31",
                "2024-12-31",
                "2023-12-31",
                "2022-12-31"
            ]
        );
        // No slot left, so the oldest is not kept either.
        assert!(!get(&count, "2021-01-01").keep);
    }

    #[test]
    fn r_bak_2_differential_kept_by_daily_keeps_its_full() {
        let b = schedule(date(2026, 6, 28), date(2026, 6, 30), &[8, 14, 20], false);
        let now = jst(2026, 6, 30, 21, 0);
        let r = apply_retention(&b, &within_daily_only(), Tokyo, now);
        let diff = get(&r, "d-0628-20");
        assert_eq!(diff.kept_by, vec![RetentionRule::Daily]);
        assert_eq!(diff.kept_until, at_until(jst(2026, 7, 5, 20, 0)));
        // The 02:00 full is not the newest of its day; only the chain keeps it.
        let full = get(&r, "f-0628");
        assert!(full.keep);
        assert!(full.kept_by.is_empty());
        assert_eq!(
            full.reasons,
            vec![KeepReason::DependedOnBy {
                id: "d-0628-20".into(),
                until: KeptUntil::At(jst(2026, 7, 5, 20, 0)),
            }]
        );
        assert_eq!(full.kept_until, at_until(jst(2026, 7, 5, 20, 0)));
        assert!(full.restorable && diff.restorable);
        assert!(!get(&r, "d-0628-08").keep && !get(&r, "d-0628-14").keep);
        assert_eq!(
            kept_ids(&r),
            vec![
                "d-0630-20",
                "f-0630",
                "d-0629-20",
                "f-0629",
                "d-0628-20",
                "f-0628"
            ]
        );

        // Same in counting mode (3 days, so that no slot is left for the
        // oldest rule, which would keep the full on its own).
        let count = RetentionPolicy {
            mode: RetentionMode::Count,
            counts: RetentionCounts {
                daily: 3,
                ..no_counts()
            },
            ..RetentionPolicy::default()
        };
        let r = apply_retention(&b, &count, Tokyo, now);
        assert_eq!(
            get(&r, "f-0628").reasons,
            vec![KeepReason::DependedOnBy {
                id: "d-0628-20".into(),
                until: KeptUntil::Indefinitely,
            }]
        );
    }

    #[test]
    fn r_bak_2_incremental_chain_is_kept_transitively() {
        let b = vec![
            Backup::full("f0", jst(2026, 1, 1, 2, 0)),
            Backup::incremental("i1", jst(2026, 1, 2, 2, 0), "f0"),
            Backup::incremental("i2", jst(2026, 1, 3, 2, 0), "i1"),
            Backup::incremental("i3", jst(2026, 1, 4, 2, 0), "i2"),
            Backup::full("g", jst(2026, 1, 9, 2, 0)),
        ];
        let r = apply_retention(&b, &within_daily_only(), Tokyo, jst(2026, 1, 10, 12, 0));
        // i3 is inside 7 days; i2, i1, f0 are not, but i3 needs all of them.
        let until = at_until(jst(2026, 1, 11, 2, 0));
        assert_eq!(get(&r, "i3").kept_by, vec![RetentionRule::Daily]);
        for (id, dependent) in [("i2", "i3"), ("i1", "i2"), ("f0", "i1")] {
            let d = get(&r, id);
            assert!(d.kept_by.is_empty());
            assert_eq!(
                d.reasons,
                vec![KeepReason::DependedOnBy {
                    id: dependent.into(),
                    until: KeptUntil::At(jst(2026, 1, 11, 2, 0)),
                }]
            );
            assert_eq!(d.kept_until, until);
        }
        assert!(r.due_for_deletion.is_empty());
        // Without i3 (say it failed and was removed) the old chain goes.
        let r = apply_retention(
            &b[..3],
            &within_daily_only(),
            Tokyo,
            jst(2026, 1, 10, 12, 0),
        );
        assert_eq!(r.newest_restorable.as_deref(), Some("i2"));
        assert_eq!(kept_ids(&r), vec!["i2", "i1", "f0"]);
    }

    #[test]
    fn r_bak_2_logs_back_to_the_oldest_kept_full_are_kept() {
        let b = schedule(date(2026, 6, 20), date(2026, 6, 30), &[14], true);
        let now = jst(2026, 6, 30, 21, 0);
        let r = apply_retention(&b, &within_daily_only(), Tokyo, now);
        // 06-23 14:00 + 7 d = 06-30 14:00 ≤ now, so the oldest kept full is 06-24's.
        assert_eq!(r.oldest_kept_full.as_deref(), Some("f-0624"));
        assert!(!get(&r, "d-0623-14").keep && !get(&r, "f-0623").keep);
        assert!(!get(&r, "l-0624-01").keep);
        assert_eq!(
            get(&r, "l-0624-02").reasons,
            vec![KeepReason::PointInTimeRecovery {
                full: "f-0624".into(),
                until: KeptUntil::At(jst(2026, 7, 1, 14, 0)),
            }]
        );
        // A later log is needed by several fulls; the one kept longest is named.
        assert_eq!(
            get(&r, "l-0625-10").reasons,
            vec![KeepReason::PointInTimeRecovery {
                full: "f-0625".into(),
                until: KeptUntil::At(jst(2026, 7, 2, 14, 0)),
            }]
        );
        assert_eq!(
            get(&r, "l-0630-20").kept_until,
            Some(KeptUntil::Indefinitely)
        );
        // Every log from 06-24 02:00 on is kept; the 96 + 2 before it are due.
        let logs = |keep: bool| {
            r.decisions
                .iter()
                .filter(|d| d.kind == BackupKind::Log && d.keep == keep)
                .count()
        };
        assert_eq!(logs(false), 4 * 24 + 2);
        assert_eq!(logs(true), 7 * 24 - 2);
        assert!(r
            .decisions
            .iter()
            .filter(|d| d.kind == BackupKind::Log)
            .all(|d| d.keep == (d.taken_at >= jst(2026, 6, 24, 2, 0))));
    }

    #[test]
    fn r_bak_2_pause_of_60_days_keeps_the_newest_chain() {
        // Backups stop after 2026-04-30; 60 days later nothing new has arrived.
        let b = schedule(date(2026, 3, 1), date(2026, 4, 30), &[8, 14, 20], true);
        let now = jst(2026, 6, 29, 12, 0);
        let newest_chain = |d: &RetentionDecision| {
            d.id == "f-0430"
                || d.id == "d-0430-20"
                || (d.kind == BackupKind::Log && d.taken_at >= jst(2026, 4, 30, 2, 0))
        };
        let r = apply_retention(&b, &RetentionPolicy::default(), Tokyo, now);
        assert_eq!(r.newest_restorable.as_deref(), Some("d-0430-20"));
        for d in r.decisions.iter().filter(|d| newest_chain(d)) {
            assert!(d.keep, "{} is part of the newest chain", d.id);
            assert_eq!(d.kept_until, Some(KeptUntil::Indefinitely));
        }
        // The dailies before the pause have aged out all the same.
        assert!(!get(&r, "d-0429-20").keep);

        // With only the daily rule nothing is inside its span any more: the
        // newest chain is all that is left, and all of it is left.
        let r = apply_retention(&b, &within_daily_only(), Tokyo, now);
        assert_eq!(
            get(&r, "d-0430-20").reasons,
            vec![KeepReason::NewestRestorable]
        );
        for d in &r.decisions {
            assert_eq!(d.keep, newest_chain(d), "{}", d.id);
        }
        // Differentials of that day other than the newest are not needed:
        // the logs cover their points.
        assert!(!get(&r, "d-0430-14").keep);
    }

    #[test]
    fn r_bak_2_count_mode_keeps_the_oldest_while_slots_remain() {
        let b = vec![
            Backup::full("day2-20", jst(2026, 6, 2, 20, 0)),
            Backup::full("day1-20", jst(2026, 6, 1, 20, 0)),
            Backup::full("day1-08", jst(2026, 6, 1, 8, 0)),
        ];
        let policy = |daily| RetentionPolicy {
            mode: RetentionMode::Count,
            counts: RetentionCounts {
                daily,
                ..no_counts()
            },
            ..RetentionPolicy::default()
        };
        let now = jst(2026, 6, 3, 0, 0);
        let r = apply_retention(&b, &policy(7), Tokyo, now);
        assert_eq!(
            get(&r, "day1-08").reasons,
            vec![KeepReason::Count {
                rule: RetentionRule::Daily,
                slot: 3,
                of: 7,
                period: "2026-06-01".into(),
                oldest: true,
            }]
        );
        assert!(r.due_for_deletion.is_empty());
        // No slot left after two days: the oldest goes.
        let r = apply_retention(&b, &policy(2), Tokyo, now);
        assert_eq!(r.due_for_deletion, vec!["day1-08"]);
    }

    #[test]
    fn r_bak_2_buckets_in_asia_tokyo() {
        // 2026-03-31 23:30 and 2026-04-01 00:30 in Tokyo are both 2026-03-31 in UTC.
        let b = vec![
            Backup::full("march", jst(2026, 3, 31, 23, 30)),
            Backup::full("april", jst(2026, 4, 1, 0, 30)),
        ];
        let monthly = RetentionPolicy {
            within: RetentionSpans {
                monthly: Span::months(12),
                ..no_spans()
            },
            ..RetentionPolicy::default()
        };
        let now = jst(2026, 4, 1, 12, 0);
        let tokyo = apply_retention(&b, &monthly, Tokyo, now);
        assert!(tokyo.due_for_deletion.is_empty());
        assert_eq!(get(&tokyo, "march").kept_by, vec![RetentionRule::Monthly]);
        let utc = apply_retention(&b, &monthly, chrono_tz::UTC, now);
        assert_eq!(utc.due_for_deletion, vec!["march"]);

        // Period labels follow the zone (ISO weeks with the ISO week-year).
        let mon = jst(2026, 1, 5, 0, 30); // Monday in Tokyo, Sunday 15:30 in UTC
        assert_eq!(RetentionRule::Weekly.period_label(mon, Tokyo), "2026-W02");
        assert_eq!(
            RetentionRule::Weekly.period_label(mon, chrono_tz::UTC),
            "2026-W01"
        );
        let ny = jst(2026, 1, 1, 0, 30);
        assert_eq!(RetentionRule::Yearly.period_label(ny, Tokyo), "2026");
        assert_eq!(
            RetentionRule::Yearly.period_label(ny, chrono_tz::UTC),
            "2025"
        );
        assert_eq!(
            RetentionRule::Weekly.period_label(jst(2027, 1, 1, 0, 0), Tokyo),
            "2026-W53"
        );

        // Spans are wall-clock calendar spans: Tokyo has no DST (7 d = 168 h);
        // across New York's spring-forward 7 d is 167 h.
        let t = jst(2026, 3, 5, 12, 0);
        assert_eq!(
            Span::days(7).add_to(t, Tokyo),
            Some(t + TimeDelta::hours(168))
        );
        let ny_noon = Utc.with_ymd_and_hms(2026, 3, 5, 17, 0, 0).unwrap(); // 12:00 EST
        assert_eq!(
            Span::days(7).add_to(ny_noon, chrono_tz::America::New_York),
            Some(Utc.with_ymd_and_hms(2026, 3, 12, 16, 0, 0).unwrap()) // 12:00 EDT
        );
        // Month ends clamp: 2024-02-29 + 1 y = 2025-02-28.
        assert_eq!(
            Span::years(1).add_to(jst(2024, 2, 29, 2, 0), Tokyo),
            Some(jst(2025, 2, 28, 2, 0))
        );
    }

    #[test]
    fn r_bak_2_several_backups_a_day_and_empty_policies() {
        let base = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let b: Vec<Backup> = (0..4)
            .map(|h| Backup::full(format!("h{h}"), base + TimeDelta::hours(h * 6)))
            .collect();
        let now = base + TimeDelta::days(1);
        let r = apply_retention(&b, &within_daily_only(), chrono_tz::UTC, now);
        assert_eq!(
            r.decisions
                .iter()
                .map(|x| (x.id.as_str(), x.keep))
                .collect::<Vec<_>>(),
            vec![("h3", true), ("h2", false), ("h1", false), ("h0", false)]
        );
        for empty in [
            RetentionPolicy {
                within: no_spans(),
                ..RetentionPolicy::default()
            },
            RetentionPolicy {
                mode: RetentionMode::Count,
                counts: no_counts(),
                ..RetentionPolicy::default()
            },
        ] {
            let r = apply_retention(&b, &empty, chrono_tz::UTC, now);
            assert!(r
                .decisions
                .iter()
                .all(|x| x.keep && x.reasons == vec![KeepReason::EmptyPolicy]));
        }
        let r = apply_retention(&[], &RetentionPolicy::default(), Tokyo, now);
        assert!(r.decisions.is_empty() && r.newest_restorable.is_none());
        // Only logs, no full: nothing can tell which logs are unneeded.
        let logs = [Backup::log("l1", base), Backup::log("l2", base)];
        let r = apply_retention(&logs, &RetentionPolicy::default(), Tokyo, now);
        assert!(r
            .decisions
            .iter()
            .all(|x| x.keep && x.reasons == vec![KeepReason::NoKeptFull]));
    }

    #[test]
    fn r_bak_2_broken_chains_are_reported_not_fatal() {
        let now = jst(2027, 1, 1, 0, 0);
        let b = vec![
            Backup::differential("broken", jst(2026, 6, 5, 2, 0), "gone"),
            Backup::incremental("x", jst(2026, 6, 4, 2, 0), "y"),
            Backup::incremental("y", jst(2026, 6, 4, 1, 0), "x"),
            Backup::differential("d1", jst(2026, 6, 3, 2, 0), "f1"),
            Backup::full("f1", jst(2026, 6, 2, 2, 0)),
            Backup::full("dup", jst(2026, 6, 1, 2, 0)),
            Backup::full("dup", jst(2026, 5, 1, 2, 0)),
        ];
        let r = apply_retention(&b, &within_daily_only(), Tokyo, now);
        assert!(r.problems.contains(&ChainProblem::MissingDependency {
            id: "broken".into(),
            depends_on: "gone".into()
        }));
        assert!(r
            .problems
            .contains(&ChainProblem::DuplicateId { id: "dup".into() }));
        assert!(r
            .problems
            .iter()
            .any(|p| matches!(p, ChainProblem::DependencyCycle { .. })));
        // The newest backup is kept although it cannot be restored; the newest
        // restorable one is kept with its full.
        assert!(!get(&r, "broken").restorable);
        assert_eq!(get(&r, "broken").reasons, vec![KeepReason::NewestBackup]);
        assert_eq!(r.newest_restorable.as_deref(), Some("d1"));
        assert_eq!(kept_ids(&r), vec!["broken", "d1", "f1"]);
        assert!(!get(&r, "x").restorable && !get(&r, "y").restorable);
    }

    #[test]
    fn r_bak_2_report_serialises_for_the_page() {
        let b = schedule(date(2026, 6, 29), date(2026, 6, 30), &[20], true);
        let r = apply_retention(&b, &within_daily_only(), Tokyo, jst(2026, 6, 30, 21, 0));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""reason":"depended_on_by","id":"d-0629-20","until":{"at":"#));
        assert!(json.contains(r#""reason":"point_in_time_recovery""#));
        assert!(json.contains(r#""until":"indefinitely""#));
        assert!(json.contains(r#""span":{"amount":7,"unit":"days"}"#));
        let back: RetentionReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        // A backup without kind / depends_on reads as a full.
        let old: Backup =
            serde_json::from_str(r#"{"id":"a","taken_at":"2026-06-01T00:00:00Z"}"#).unwrap();
        assert_eq!(old, Backup::full("a", jst(2026, 6, 1, 9, 0)));
    }

    #[test]
    fn r_bak_3_rpo_and_rto() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let p = RecoveryPolicy::default();
        let s = check_rpo(
            &[now - TimeDelta::minutes(90), now - TimeDelta::minutes(59)],
            now,
            &p,
        );
        assert!(s.ok);
        assert_eq!(s.age_seconds, Some(59 * 60));
        assert!(check_rpo(&[now - TimeDelta::minutes(60)], now, &p).ok);
        assert!(!check_rpo(&[now - TimeDelta::minutes(61)], now, &p).ok);
        assert!(!check_rpo(&[], now, &p).ok);
        assert!(check_rto(TimeDelta::minutes(240), &p).ok);
        assert!(!check_rto(TimeDelta::minutes(241), &p).ok);
    }

    fn kind_of(k: u8) -> BackupKind {
        match k % 4 {
            0 => BackupKind::Full,
            1 => BackupKind::Differential,
            2 => BackupKind::Incremental,
            _ => BackupKind::Log,
        }
    }

    fn span_of(amount: u32, unit: u8) -> Span {
        let unit = match unit % 4 {
            0 => SpanUnit::Days,
            1 => SpanUnit::Weeks,
            2 => SpanUnit::Months,
            _ => SpanUnit::Years,
        };
        Span { amount, unit }
    }

    fn arb_policy() -> impl Strategy<Value = RetentionPolicy> {
        (
            any::<bool>(),
            proptest::array::uniform4(0u32..8),
            proptest::array::uniform4((0u32..10, 0u8..4)),
        )
            .prop_map(|(count, c, s)| RetentionPolicy {
                mode: if count {
                    RetentionMode::Count
                } else {
                    RetentionMode::Within
                },
                counts: RetentionCounts {
                    daily: c[0],
                    weekly: c[1],
                    monthly: c[2],
                    yearly: c[3],
                },
                within: RetentionSpans {
                    daily: span_of(s[0].0, s[0].1),
                    weekly: span_of(s[1].0, s[1].1),
                    monthly: span_of(s[2].0, s[2].1),
                    yearly: span_of(s[3].0, s[3].1),
                },
            })
    }

    fn base() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
    }

    proptest! {
        /// Any kinds, any (even missing, cyclic or self-) dependencies.
        #[test]
        fn r_bak_2_nothing_kept_depends_on_something_deleted(
            raw in proptest::collection::vec(
                (0i64..200_000_000, 0u8..4, proptest::option::of(0usize..70)), 1..60),
            policy in arb_policy(),
            now_offset in 0i64..260_000_000,
        ) {
            let b: Vec<Backup> = raw.iter().enumerate().map(|(i, (o, k, dep))| Backup {
                id: format!("b{i}"),
                taken_at: base() + TimeDelta::seconds(*o),
                kind: kind_of(*k),
                depends_on: dep.map(|d| format!("b{d}")),
            }).collect();
            let now = base() + TimeDelta::seconds(now_offset);
            let r = apply_retention(&b, &policy, Tokyo, now);
            prop_assert_eq!(r.decisions.len(), b.len());
            let deleted: std::collections::HashSet<&str> =
                r.due_for_deletion.iter().map(String::as_str).collect();
            for d in &r.decisions {
                prop_assert_eq!(d.keep, !d.reasons.is_empty());
                prop_assert_eq!(d.keep, !deleted.contains(d.id.as_str()));
                prop_assert_eq!(d.kept_until, d.reasons.iter().map(KeepReason::until).max());
                if d.keep {
                    if let Some(dep) = &d.depends_on {
                        prop_assert!(!deleted.contains(dep.as_str()),
                            "{} is kept but {} is deleted", d.id, dep);
                    }
                }
            }
            // The newest restore point and the newest restorable one are kept.
            if let Some(p) = r.decisions.iter().find(|d| d.kind.is_restore_point()) {
                prop_assert!(p.keep);
            }
            if let Some(id) = &r.newest_restorable {
                prop_assert!(get(&r, id).keep);
            }
            // Logs from the oldest kept full on are kept.
            let oldest_full = r.decisions.iter()
                .filter(|d| d.keep && d.kind == BackupKind::Full)
                .map(|d| d.taken_at).min();
            if let Some(t0) = oldest_full {
                for d in r.decisions.iter().filter(|d| d.kind == BackupKind::Log && d.taken_at >= t0) {
                    prop_assert!(d.keep, "log {} after the oldest kept full", d.id);
                }
            }
            if policy.mode == RetentionMode::Count {
                for rule in RetentionRule::ALL {
                    let n = r.decisions.iter().filter(|d| d.kept_by.contains(&rule)).count();
                    prop_assert!(n <= policy.counts.get(rule) as usize);
                }
            }
        }

        /// "Kept until u" holds: re-running just before u (nothing newer)
        /// still keeps it; with day/week spans (no month-end clamping) it is
        /// due exactly at u.
        #[test]
        fn r_bak_2_kept_until_is_when_it_falls_due(
            raw in proptest::collection::vec(
                (0i64..100_000_000, 0u8..4, 0usize..45), 1..40),
            policy in arb_policy(),
            now_offset in 0i64..120_000_000,
        ) {
            let b: Vec<Backup> = raw.iter().enumerate().map(|(i, (o, k, dep))| {
                let kind = kind_of(*k);
                Backup {
                    id: format!("b{i}"),
                    taken_at: base() + TimeDelta::seconds(*o),
                    kind,
                    depends_on: matches!(kind, BackupKind::Differential | BackupKind::Incremental)
                        .then(|| format!("b{dep}")),
                }
            }).collect();
            let policy = RetentionPolicy { mode: RetentionMode::Within, ..policy };
            let monotone = RetentionRule::ALL.iter().all(|r| {
                matches!(policy.within.get(*r).unit, SpanUnit::Days | SpanUnit::Weeks)
            });
            let now = base() + TimeDelta::seconds(now_offset);
            let r = apply_retention(&b, &policy, Tokyo, now);
            for d in &r.decisions {
                if let Some(KeptUntil::At(u)) = d.kept_until {
                    prop_assert!(u > now);
                    let before = apply_retention(&b, &policy, Tokyo, u - TimeDelta::seconds(1));
                    prop_assert!(get(&before, &d.id).keep, "{} dropped before {}", d.id, u);
                    if monotone {
                        let at_u = apply_retention(&b, &policy, Tokyo, u);
                        prop_assert!(!get(&at_u, &d.id).keep, "{} still kept at {}", d.id, u);
                    }
                }
            }
        }
    }
}
