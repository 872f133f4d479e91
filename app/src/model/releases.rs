//! What the releases area shows (issue 11, R-REL-1..5).

use chrono::{DateTime, NaiveDate, Utc};
use opsdeck::release_calendar::{Milestone, MilestoneKind};
use opsdeck::release_notes::{NoteItem, ReleaseNotes, Section};
use opsdeck::versions::ReleaseKind;
use serde::{Deserialize, Serialize};

/// Where a release is in its life. `Frozen` is `Planned` inside its code
/// freeze (derived from the clock, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseStatus {
    Planned,
    Frozen,
    Released,
    Cancelled,
}

impl ReleaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Planned => "planned",
            ReleaseStatus::Frozen => "frozen",
            ReleaseStatus::Released => "released",
            ReleaseStatus::Cancelled => "cancelled",
        }
    }
}

/// One release as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRow {
    pub id: i64,
    /// Canonical `MAJOR.MINOR.PATCH` (shown as `v1.2.0`).
    pub version: String,
    pub kind: ReleaseKind,
    pub planned_date: NaiveDate,
    pub status: ReleaseStatus,
    pub breaking: bool,
    pub summary: String,
    pub milestones: Vec<Milestone>,
    /// The code-freeze band `[start, end)` in UTC (T−7 00:00 local up to release day 00:00 local).
    pub freeze_start: DateTime<Utc>,
    pub freeze_end: DateTime<Utc>,
    pub notes_revision: i32,
    pub released_at: Option<DateTime<Utc>>,
    pub released_by: Option<String>,
    pub created_by: String,
}

/// `/releases`: every release, newest first, and what is frozen now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasesView {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub releases: Vec<ReleaseRow>,
    pub last_released: Option<String>,
    /// The release whose code freeze contains now, if any (R-DEP-6).
    pub active_freeze: Option<ReleaseRow>,
    pub settings: ReleaseSettingsView,
}

/// The policy's release numbers as stored settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSettingsView {
    pub feature_freeze_days: u32,
    pub code_freeze_days: u32,
    pub final_test_days: u32,
    pub release_notes_days: u32,
    pub issue_url_template: String,
}

/// The answer of the plan form's live check, shown before saving (R-REL-1, R-REL-2, R-REL-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PlanCheck {
    /// The next version proposed from the kinds of change, after the last released one.
    pub proposed: Option<String>,
    pub last_released: Option<String>,
    /// Why the version is refused (naming both versions), if it is.
    pub version_problem: Option<String>,
    pub date_problem: Option<String>,
    /// The kind (major/minor/patch) the version is, relative to the last release.
    pub kind: Option<ReleaseKind>,
    /// R-REL-2 cadence warnings; saving is still allowed.
    pub cadence_warnings: Vec<String>,
    /// Other releases whose code freeze overlaps this one's, by version.
    pub overlapping_freezes: Vec<String>,
    /// The milestones, each flagged when it would already be past.
    pub milestones: Vec<(Milestone, bool)>,
}

/// A saved plan and the warnings the person saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSaved {
    pub id: i64,
    pub warnings: Vec<String>,
}

/// One revision of a release's notes, as the history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionMeta {
    pub revision: i32,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub bytes: i32,
}

/// `/releases/{id}`: the release, its current notes and their history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseDetail {
    pub now: DateTime<Utc>,
    pub release: ReleaseRow,
    /// The head revision's notes (empty notes for revision 0).
    pub notes: ReleaseNotes,
    pub markdown: String,
    /// The Markdown rendered and sanitised on the server (safe for `inner_html`).
    pub html: String,
    pub revisions: Vec<RevisionMeta>,
    pub issue_url_template: String,
}

/// The outcome of saving notes: saved, or refused because someone saved a
/// newer revision since — with both texts, so the person can merge (R-REL-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaveNotesOutcome {
    Saved {
        revision: i32,
    },
    Conflict {
        base_revision: i32,
        head_revision: i32,
        head_author: String,
        head_at: DateTime<Utc>,
        /// The newer text that was saved by someone else, in the policy's Markdown.
        theirs: String,
        /// The text this person tried to save.
        yours: String,
    },
}

/// One line of a diff between two revisions' Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `' '` unchanged, `'-'` only in the older, `'+'` only in the newer.
    pub tag: char,
    pub text: String,
}

/// What a calendar day shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalendarItem {
    Milestone {
        release_id: i64,
        version: String,
        kind: MilestoneKind,
        status: ReleaseStatus,
    },
    /// A day inside a release's code freeze band (T−7 up to release day).
    Freeze { release_id: i64, version: String },
    Maintenance {
        window_id: i64,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        reason: String,
    },
}

/// `/releases/calendar?month=YYYY-MM`: the month's days and what is on them,
/// in the configured zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarMonth {
    pub year: i32,
    pub month: u32,
    pub today: NaiveDate,
    pub time_zone: String,
    /// Every day of the grid (whole weeks, Monday first) with its items.
    pub days: Vec<(NaiveDate, Vec<CalendarItem>)>,
    /// The signed-in user's feed: when its secret was made (the secret itself is shown only once).
    pub feed_created_at: Option<DateTime<Utc>>,
}

/// The overview's releases card (R-UI-1): the next release, the freeze in
/// force and the last one published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasesCard {
    pub now: DateTime<Utc>,
    pub next: Option<ReleaseRow>,
    pub active_freeze: Option<ReleaseRow>,
    pub last_released: Option<ReleaseRow>,
}

/// The notes editor's form: one text per section, one item per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NotesForm {
    pub new_features: String,
    pub improvements: String,
    pub bug_fixes: String,
    pub known_issues: String,
    pub upgrade_steps: String,
}

impl NotesForm {
    /// The text of one section.
    pub fn get(&self, s: Section) -> &str {
        match s {
            Section::NewFeatures => &self.new_features,
            Section::Improvements => &self.improvements,
            Section::BugFixes => &self.bug_fixes,
            Section::KnownIssues => &self.known_issues,
            Section::UpgradeSteps => &self.upgrade_steps,
        }
    }

    pub fn set(&mut self, s: Section, text: String) {
        match s {
            Section::NewFeatures => self.new_features = text,
            Section::Improvements => self.improvements = text,
            Section::BugFixes => self.bug_fixes = text,
            Section::KnownIssues => self.known_issues = text,
            Section::UpgradeSteps => self.upgrade_steps = text,
        }
    }

    /// The form filled from stored notes.
    pub fn from_notes(notes: &ReleaseNotes) -> Self {
        let mut form = NotesForm::default();
        for s in Section::ALL {
            form.set(s, text_from_items(section_items(notes, s)));
        }
        form
    }

    /// The notes this form describes, for `version`.
    pub fn to_notes(&self, version: opsdeck::versions::Version, breaking: bool) -> ReleaseNotes {
        build_notes(
            version,
            breaking,
            Section::ALL
                .into_iter()
                .map(|s| (s, items_from_text(self.get(s))))
                .collect(),
        )
    }
}

/// One line per item; list markers (`- `, `* `, `1. `) are optional and
/// dropped; a trailing `(#123)` becomes the item's issue reference.
pub fn items_from_text(text: &str) -> Vec<NoteItem> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let line = line
                .strip_prefix("- ")
                .or_else(|| line.strip_prefix("* "))
                .or_else(|| {
                    let digits = line.chars().take_while(char::is_ascii_digit).count();
                    (digits > 0)
                        .then(|| line.get(digits..))
                        .flatten()
                        .and_then(|rest| rest.strip_prefix(". "))
                })
                .unwrap_or(line)
                .trim();
            split_issue(line)
        })
        .collect()
}

/// `text (#123)` → item with issue 123; anything else → the text alone.
fn split_issue(line: &str) -> NoteItem {
    if let Some(body) = line.strip_suffix(')') {
        if let Some(open) = body.rfind(" (#") {
            if let Ok(n) = body[open + 3..].parse::<u32>() {
                return NoteItem {
                    text: body[..open].trim_end().to_string(),
                    issue: Some(n),
                };
            }
        }
    }
    NoteItem {
        text: line.to_string(),
        issue: None,
    }
}

/// The editor's text for a section's items (no list markers).
pub fn text_from_items(items: &[NoteItem]) -> String {
    items
        .iter()
        .map(|i| match i.issue {
            Some(n) => format!("{} (#{n})", i.text),
            None => i.text.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn section_items(notes: &ReleaseNotes, s: Section) -> &[NoteItem] {
    notes.items(s)
}

fn build_notes(
    version: opsdeck::versions::Version,
    breaking: bool,
    sections: Vec<(Section, Vec<NoteItem>)>,
) -> ReleaseNotes {
    let mut notes = ReleaseNotes::new(version);
    notes.breaking = breaking;
    for (s, items) in sections {
        *notes.items_mut(s) = items;
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_rel_4_editor_lines_become_items_with_issue_references() {
        let items = items_from_text(
            "- デッキ共有機能を追加 (#123)\n\n1. キャッシュクリア\n* plain\n  C# (#x)  ",
        );
        assert_eq!(
            items,
            vec![
                NoteItem {
                    text: "デッキ共有機能を追加".into(),
                    issue: Some(123)
                },
                NoteItem {
                    text: "キャッシュクリア".into(),
                    issue: None
                },
                NoteItem {
                    text: "plain".into(),
                    issue: None
                },
                NoteItem {
                    text: "C# (#x)".into(),
                    issue: None
                },
            ]
        );
        assert_eq!(
            text_from_items(&items[..2]),
            "デッキ共有機能を追加 (#123)\nキャッシュクリア"
        );
    }

    #[test]
    fn r_rel_4_form_and_notes_round_trip() {
        let form = NotesForm {
            new_features: "a (#1)\nb".into(),
            upgrade_steps: "migrate\nrestart".into(),
            ..NotesForm::default()
        };
        let notes = form.to_notes(opsdeck::versions::Version::new(1, 3, 0), true);
        assert!(notes.breaking);
        assert_eq!(NotesForm::from_notes(&notes), form);
    }
}
