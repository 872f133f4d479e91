//! Release notes in the policy's Markdown format (R-REL-4, issue 11 item 1).
//!
//! The policy's example, which [`parse_markdown`] reads and
//! [`ReleaseNotes::render_markdown`] writes back byte for byte:
//!
//! ```text
//! # v1.2.0 リリースノート
//!
//! ## 新機能
//! - デッキ共有機能を追加 (#123)
//! - カード検索の高速化 (#124)
//!
//! ## 改善
//! - UIレスポンスの向上 (#125)
//! - エラーメッセージの改善 (#126)
//!
//! ## バグ修正
//! - デッキ保存時のエラーを修正 (#127)
//! - 画像読み込みエラーを修正 (#128)
//!
//! ## 既知の問題
//! - 特定条件下でのメモリリーク (#129)
//!
//! ## アップグレード手順
//! 1. データベースマイグレーション実行
//! 2. 環境変数 `NEW_FEATURE_FLAG` を追加
//! 3. キャッシュクリア
//! ```
//!
//! # Canonical rendering
//!
//! * Title `# v{MAJOR.MINOR.PATCH} リリースノート`, always with the `v`.
//! * The five [`Section`]s in the policy's fixed order ([`Section::ALL`]),
//!   each preceded by exactly one blank line: `## {heading}`, then one line
//!   per item, `- text` (or `1. text`, `2. text`, … for
//!   [`Section::UpgradeSteps`]), followed by ` (#123)` when the item cites an
//!   issue.
//! * **Empty sections are omitted**: a release without known issues has no
//!   `## 既知の問題` heading (an empty heading tells the reader nothing).
//! * **Every line ends with `\n`, the last one included** (LF, no blank line
//!   at the end), so the output is a POSIX text file; the policy example above,
//!   saved as a file with its final newline, round-trips byte for byte.
//! * **The breaking flag** has no section in the policy's format. It is
//!   written as the HTML comment line `<!-- breaking -->`, between the title
//!   and the first section (with a blank line on each side), and only when
//!   `breaking` is true. Chosen over "not rendered at all" because: a Markdown
//!   viewer does not display the comment, so published notes still look
//!   exactly like the policy's format; notes without the flag (the policy
//!   example) are unchanged byte for byte; and the whole model round-trips,
//!   so the flag — and with it the MAJOR bump of
//!   [`ReleaseNotes::change_kinds`] — cannot get lost between the text and a
//!   value the caller would otherwise have to carry beside it.
//!
//! # Parsing
//!
//! [`parse_markdown`] reads the canonical form and also accepts: CRLF line
//! ends, trailing whitespace on any line, a missing final newline, any number
//! of blank lines (also before the title), a leading byte-order mark, a title
//! version without the `v`, extra spaces after a list marker, sections that
//! are missing and section headings with no items (read as empty). An item's
//! text is kept verbatim (inline Markdown such as backticks, links or
//! emphasis is not interpreted); a trailing ` (#N)` — `N` a decimal `u32` ≥ 1
//! without leading zeros — becomes [`NoteItem::issue`], anything else stays
//! in the text.
//!
//! Everything else is refused with a [`NotesParseError`] naming the 1-based
//! line and what was expected: a missing or malformed title, an invalid
//! version, an unknown, duplicate or out-of-order section heading (the order
//! is the policy's; reordering silently would hide a mistake), other headings,
//! list items before the first section, the wrong list marker for the
//! section (`- ` for lists, `1. ` for upgrade steps), step numbers not
//! counting 1, 2, 3, …, empty items, indented lines (nested lists and
//! continuation lines are not part of the format: one item, one line), a
//! misplaced or repeated `<!-- breaking -->`, and any other text.
//!
//! The parser does not check [`MAX_NOTES_BYTES`]; call
//! [`ReleaseNotes::validate`] on the result.
//!
//! # Round trip
//!
//! For all `notes` with `notes.validate() == Ok(())`,
//! `parse_markdown(&notes.render_markdown()) == Ok(notes)`; and for input
//! already in canonical form, parsing then rendering reproduces it exactly.

use crate::versions::{ChangeKind, Version, VersionError};
use serde::{Deserialize, Serialize};

/// Largest rendered release notes accepted by [`ReleaseNotes::validate`]: 200 KiB of UTF-8.
pub const MAX_NOTES_BYTES: usize = 200 * 1024;

/// The HTML comment line that marks breaking release notes (see module docs).
pub const BREAKING_MARKER: &str = "<!-- breaking -->";

const TITLE_SUFFIX: &str = "リリースノート";

/// A section of the release notes, in the policy's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// 新機能.
    NewFeatures,
    /// 改善.
    Improvements,
    /// バグ修正.
    BugFixes,
    /// 既知の問題.
    KnownIssues,
    /// アップグレード手順 (a numbered list).
    UpgradeSteps,
}

impl Section {
    /// All five, in the policy's (and the rendering's) order.
    pub const ALL: [Section; 5] = [
        Self::NewFeatures,
        Self::Improvements,
        Self::BugFixes,
        Self::KnownIssues,
        Self::UpgradeSteps,
    ];

    /// Stable key (also the serde name and the field name in [`Sections`]).
    pub fn key(self) -> &'static str {
        match self {
            Self::NewFeatures => "new_features",
            Self::Improvements => "improvements",
            Self::BugFixes => "bug_fixes",
            Self::KnownIssues => "known_issues",
            Self::UpgradeSteps => "upgrade_steps",
        }
    }

    /// Section from its key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The heading as written in the policy's format (`## 新機能`).
    pub fn heading_ja(self) -> &'static str {
        match self {
            Self::NewFeatures => "新機能",
            Self::Improvements => "改善",
            Self::BugFixes => "バグ修正",
            Self::KnownIssues => "既知の問題",
            Self::UpgradeSteps => "アップグレード手順",
        }
    }

    /// Section from its Japanese heading (exact, surrounding whitespace ignored).
    pub fn from_heading_ja(heading: &str) -> Option<Self> {
        let heading = heading.trim();
        Self::ALL.into_iter().find(|s| s.heading_ja() == heading)
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::NewFeatures => "New features",
            Self::Improvements => "Improvements",
            Self::BugFixes => "Bug fixes",
            Self::KnownIssues => "Known issues",
            Self::UpgradeSteps => "Upgrade steps",
        }
    }

    /// True for the numbered list (アップグレード手順); the others are `- ` lists.
    pub fn is_numbered(self) -> bool {
        self == Self::UpgradeSteps
    }

    /// The list marker this section uses, for messages: `-` or `1.`.
    fn marker_hint(self) -> &'static str {
        if self.is_numbered() {
            "1."
        } else {
            "-"
        }
    }
}

/// One line of the notes: its text and the issue it cites (the trailing ` (#123)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoteItem {
    /// The text, verbatim inline Markdown, without the list marker and without the citation.
    pub text: String,
    /// The cited issue number, rendered as ` (#123)` after the text.
    #[serde(default)]
    pub issue: Option<u32>,
}

impl NoteItem {
    /// An item without an issue citation.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            issue: None,
        }
    }

    /// An item citing `issue`.
    pub fn with_issue(text: impl Into<String>, issue: u32) -> Self {
        Self {
            text: text.into(),
            issue: Some(issue),
        }
    }
}

/// The items of each section (a section with no items is not rendered).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Sections {
    /// 新機能.
    pub new_features: Vec<NoteItem>,
    /// 改善.
    pub improvements: Vec<NoteItem>,
    /// バグ修正.
    pub bug_fixes: Vec<NoteItem>,
    /// 既知の問題.
    pub known_issues: Vec<NoteItem>,
    /// アップグレード手順, in order.
    pub upgrade_steps: Vec<NoteItem>,
}

impl Sections {
    /// The items of `section`.
    pub fn get(&self, section: Section) -> &[NoteItem] {
        match section {
            Section::NewFeatures => &self.new_features,
            Section::Improvements => &self.improvements,
            Section::BugFixes => &self.bug_fixes,
            Section::KnownIssues => &self.known_issues,
            Section::UpgradeSteps => &self.upgrade_steps,
        }
    }

    /// The items of `section`, for editing.
    pub fn get_mut(&mut self, section: Section) -> &mut Vec<NoteItem> {
        match section {
            Section::NewFeatures => &mut self.new_features,
            Section::Improvements => &mut self.improvements,
            Section::BugFixes => &mut self.bug_fixes,
            Section::KnownIssues => &mut self.known_issues,
            Section::UpgradeSteps => &mut self.upgrade_steps,
        }
    }

    /// True when no section has an item.
    pub fn is_empty(&self) -> bool {
        Section::ALL.into_iter().all(|s| self.get(s).is_empty())
    }
}

/// Release notes of one version (R-REL-4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReleaseNotes {
    /// The version released (rendered in the title as `v1.2.0`).
    pub version: Version,
    /// The release contains backward-incompatible changes (rendered as
    /// [`BREAKING_MARKER`], see module docs).
    #[serde(default)]
    pub breaking: bool,
    /// The items, by section.
    #[serde(default)]
    pub sections: Sections,
}

/// Why release notes fail [`ReleaseNotes::validate`]. `index` is 0-based;
/// messages count items from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotesError {
    /// The item has no text.
    #[error("{} item {}: the text is empty", .section.heading_ja(), .index + 1)]
    EmptyText {
        /// Its section.
        section: Section,
        /// Its 0-based position in the section.
        index: usize,
    },
    /// The text contains a line break (`\n` or `\r`); an item is one line.
    #[error("{} item {}: the text contains a line break; an item must be one line", .section.heading_ja(), .index + 1)]
    LineBreak {
        /// Its section.
        section: Section,
        /// Its 0-based position in the section.
        index: usize,
    },
    /// The text starts or ends with whitespace (it would not survive a round trip).
    #[error("{} item {}: the text starts or ends with whitespace", .section.heading_ja(), .index + 1)]
    SurroundingWhitespace {
        /// Its section.
        section: Section,
        /// Its 0-based position in the section.
        index: usize,
    },
    /// The text ends in ` (#N)` while `issue` is empty: it would read back as a citation.
    #[error("{} item {}: the text ends with an issue citation “(#N)”; put the number in `issue` instead", .section.heading_ja(), .index + 1)]
    CitationInText {
        /// Its section.
        section: Section,
        /// Its 0-based position in the section.
        index: usize,
    },
    /// Issue numbers start at 1.
    #[error("{} item {}: issue number 0 does not exist (issues start at #1)", .section.heading_ja(), .index + 1)]
    ZeroIssue {
        /// Its section.
        section: Section,
        /// Its 0-based position in the section.
        index: usize,
    },
    /// The rendered Markdown exceeds [`MAX_NOTES_BYTES`].
    #[error("the release notes are {bytes} bytes when rendered; the limit is {max} bytes")]
    TooLarge {
        /// Rendered size in bytes.
        bytes: usize,
        /// The limit ([`MAX_NOTES_BYTES`]).
        max: usize,
    },
}

/// What went wrong where in release-notes Markdown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("line {line}: {kind}")]
pub struct NotesParseError {
    /// 1-based line number.
    pub line: usize,
    /// The problem.
    pub kind: NotesParseErrorKind,
}

/// The kinds of release-notes parse error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotesParseErrorKind {
    /// Nothing but blank lines.
    #[error("the release notes are empty: expected the title `# vX.Y.Z リリースノート`")]
    Empty,
    /// The first non-blank line is not a `# ` title.
    #[error("expected the title `# vX.Y.Z リリースノート`, found “{found}”")]
    MissingTitle {
        /// The line found instead.
        found: String,
    },
    /// A `# ` title not ending in `リリースノート`.
    #[error("expected the title `# vX.Y.Z リリースノート`, found “{found}”")]
    BadTitle {
        /// The title line.
        found: String,
    },
    /// The title's version does not parse.
    #[error("invalid version in the title: {error}")]
    BadVersion {
        /// Why the version was refused.
        error: VersionError,
    },
    /// `## X` with an X that is not one of the five sections.
    #[error("unknown section “{found}”: expected one of ## 新機能, ## 改善, ## バグ修正, ## 既知の問題, ## アップグレード手順")]
    UnknownSection {
        /// The heading text.
        found: String,
    },
    /// A section heading given twice.
    #[error("duplicate section “{}” (first on line {first_line})", .section.heading_ja())]
    DuplicateSection {
        /// The section.
        section: Section,
        /// Line of its first heading.
        first_line: usize,
    },
    /// A section heading after one that comes later in the policy's order.
    #[error("section “{}” must come before “{}” (order: 新機能, 改善, バグ修正, 既知の問題, アップグレード手順)", .section.heading_ja(), .after.heading_ja())]
    SectionOutOfOrder {
        /// The misplaced section.
        section: Section,
        /// The section it follows.
        after: Section,
    },
    /// A heading that is neither the title nor `## section` (a second title, `###`, `##x`, …).
    #[error("unexpected heading “{found}”: expected a section heading such as `## 新機能`")]
    UnexpectedHeading {
        /// The line.
        found: String,
    },
    /// A list item before the first section heading.
    #[error("list item “{found}” outside a section: expected a section heading such as `## 新機能` first")]
    ItemOutsideSection {
        /// The line.
        found: String,
    },
    /// The wrong kind of list for the section.
    #[error("section “{}” uses `{} ` items, found the marker `{found}`", .section.heading_ja(), .section.marker_hint())]
    WrongListMarker {
        /// The section.
        section: Section,
        /// The marker found (`*`, `+`, `-`, `1.`, `2)`, …).
        found: String,
    },
    /// Upgrade steps must be numbered 1, 2, 3, … .
    #[error("expected upgrade step number {expected}., found {found}")]
    StepNumber {
        /// The number expected.
        expected: usize,
        /// The marker found.
        found: String,
    },
    /// A list marker with no text after it.
    #[error("empty item in section “{}”", .section.heading_ja())]
    EmptyItem {
        /// The section.
        section: Section,
    },
    /// A line starting with whitespace.
    #[error("unexpected indentation in “{found}”: nested lists and continuation lines are not supported (one item per line)")]
    Indented {
        /// The line.
        found: String,
    },
    /// [`BREAKING_MARKER`] after a section heading or given twice.
    #[error("`<!-- breaking -->` must appear once, between the title and the first section")]
    MisplacedBreakingMarker,
    /// Other text between the title and the first section.
    #[error("unexpected text “{found}”: expected `<!-- breaking -->`, a section heading such as `## 新機能` or a blank line")]
    TextBeforeSection {
        /// The line.
        found: String,
    },
    /// Other text inside a section.
    #[error("unexpected text “{found}” in section “{}”: expected a `{} ` list item or a blank line", .section.heading_ja(), .section.marker_hint())]
    ExpectedItem {
        /// The section.
        section: Section,
        /// The line.
        found: String,
    },
}

impl ReleaseNotes {
    /// Empty, non-breaking notes for `version`.
    pub fn new(version: Version) -> Self {
        Self {
            version,
            breaking: false,
            sections: Sections::default(),
        }
    }

    /// The items of `section`.
    pub fn items(&self, section: Section) -> &[NoteItem] {
        self.sections.get(section)
    }

    /// The items of `section`, for editing.
    pub fn items_mut(&mut self, section: Section) -> &mut Vec<NoteItem> {
        self.sections.get_mut(section)
    }

    /// The notes in the policy's Markdown format (canonical form, see module docs):
    /// empty sections omitted, [`BREAKING_MARKER`] only when breaking, every
    /// line `\n`-terminated including the last.
    pub fn render_markdown(&self) -> String {
        let mut out = format!("# v{} {TITLE_SUFFIX}\n", self.version);
        if self.breaking {
            out.push('\n');
            out.push_str(BREAKING_MARKER);
            out.push('\n');
        }
        for section in Section::ALL {
            let items = self.items(section);
            if items.is_empty() {
                continue;
            }
            out.push_str("\n## ");
            out.push_str(section.heading_ja());
            out.push('\n');
            for (i, item) in items.iter().enumerate() {
                if section.is_numbered() {
                    out.push_str(&(i + 1).to_string());
                    out.push_str(". ");
                } else {
                    out.push_str("- ");
                }
                out.push_str(&item.text);
                if let Some(issue) = item.issue {
                    out.push_str(" (#");
                    out.push_str(&issue.to_string());
                    out.push(')');
                }
                out.push('\n');
            }
        }
        out
    }

    /// The kinds of change in this release, for
    /// [`crate::versions::propose_next`]: `breaking` → [`ChangeKind::Breaking`];
    /// any 新機能 → [`ChangeKind::Feature`]; any バグ修正 or 改善 →
    /// [`ChangeKind::Fix`] (an improvement changes no interface, so it is a
    /// PATCH-level change). 既知の問題 and アップグレード手順 describe the
    /// release rather than change it and add nothing. Each kind at most once,
    /// in `ChangeKind` order; empty for notes with nothing to release.
    pub fn change_kinds(&self) -> Vec<ChangeKind> {
        let s = &self.sections;
        let mut kinds = Vec::new();
        if self.breaking {
            kinds.push(ChangeKind::Breaking);
        }
        if !s.new_features.is_empty() {
            kinds.push(ChangeKind::Feature);
        }
        if !s.bug_fixes.is_empty() || !s.improvements.is_empty() {
            kinds.push(ChangeKind::Fix);
        }
        kinds
    }

    /// Every issue cited by any item, ascending, each once.
    pub fn issue_refs(&self) -> Vec<u32> {
        let mut refs: Vec<u32> = Section::ALL
            .into_iter()
            .flat_map(|s| self.items(s).iter().filter_map(|i| i.issue))
            .collect();
        refs.sort_unstable();
        refs.dedup();
        refs
    }

    /// Checks that the notes render to Markdown that parses back to them and
    /// stays within [`MAX_NOTES_BYTES`]. Items are checked in section order;
    /// the first problem is returned.
    pub fn validate(&self) -> Result<(), NotesError> {
        for section in Section::ALL {
            for (index, item) in self.items(section).iter().enumerate() {
                let text = item.text.as_str();
                if text.is_empty() {
                    return Err(NotesError::EmptyText { section, index });
                }
                if text.contains(['\n', '\r']) {
                    return Err(NotesError::LineBreak { section, index });
                }
                if text.trim() != text {
                    return Err(NotesError::SurroundingWhitespace { section, index });
                }
                if item.issue.is_none() && split_citation(text).1.is_some() {
                    return Err(NotesError::CitationInText { section, index });
                }
                if item.issue == Some(0) {
                    return Err(NotesError::ZeroIssue { section, index });
                }
            }
        }
        let bytes = self.render_markdown().len();
        if bytes > MAX_NOTES_BYTES {
            return Err(NotesError::TooLarge {
                bytes,
                max: MAX_NOTES_BYTES,
            });
        }
        Ok(())
    }
}

/// Splits a trailing ` (#N)` citation off `s` (`N`: decimal `u32` ≥ 1, no
/// leading zeros); returns the text before it, right-trimmed, and the number.
fn split_citation(s: &str) -> (&str, Option<u32>) {
    let Some(inner) = s.strip_suffix(')') else {
        return (s, None);
    };
    let Some(pos) = inner.rfind(" (#") else {
        return (s, None);
    };
    let digits = &inner[pos + 3..];
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    match digits.parse::<u32>() {
        Ok(n) if canonical => (inner[..pos].trim_end(), Some(n)),
        _ => (s, None),
    }
}

/// A list marker at the start of a line.
#[derive(Clone, Copy)]
enum Marker<'a> {
    /// `-`, `*` or `+`.
    Bullet(char),
    /// `1.` or `1)`: the digits and the delimiter.
    Ordered(&'a str, char),
}

impl Marker<'_> {
    fn as_written(&self) -> String {
        match self {
            Marker::Bullet(c) => c.to_string(),
            Marker::Ordered(digits, delim) => format!("{digits}{delim}"),
        }
    }
}

/// A CommonMark-style list marker and the rest of the line, if `line` is a list item.
fn split_marker(line: &str) -> Option<(Marker<'_>, &str)> {
    let after = |rest: &str| rest.is_empty() || rest.starts_with(' ');
    let first = line.chars().next()?;
    if matches!(first, '-' | '*' | '+') {
        let rest = &line[1..];
        return after(rest).then_some((Marker::Bullet(first), rest));
    }
    let digits_end = line
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(line.len());
    if digits_end == 0 || digits_end > 9 {
        return None;
    }
    let delim = line[digits_end..].chars().next()?;
    if delim != '.' && delim != ')' {
        return None;
    }
    let rest = &line[digits_end + 1..];
    after(rest).then_some((Marker::Ordered(&line[..digits_end], delim), rest))
}

/// Parses the title line `# v1.2.0 リリースノート`.
fn parse_title(line: &str) -> Result<Version, NotesParseErrorKind> {
    let Some(rest) = line.strip_prefix("# ") else {
        return Err(NotesParseErrorKind::MissingTitle {
            found: line.to_string(),
        });
    };
    let Some(version) = rest.trim_end().strip_suffix(TITLE_SUFFIX) else {
        return Err(NotesParseErrorKind::BadTitle {
            found: line.to_string(),
        });
    };
    Version::parse(version.trim()).map_err(|error| NotesParseErrorKind::BadVersion { error })
}

/// Parses release notes in the policy's Markdown format (see module docs for
/// what is accepted and refused). Does not check [`MAX_NOTES_BYTES`].
pub fn parse_markdown(input: &str) -> Result<ReleaseNotes, NotesParseError> {
    use NotesParseErrorKind as K;
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut parsed: Option<ReleaseNotes> = None;
    let mut current: Option<Section> = None;
    let mut heading_lines: [Option<usize>; 5] = [None; 5];
    for (index, raw) in input.lines().enumerate() {
        let line_no = index + 1;
        let err = |kind| NotesParseError {
            line: line_no,
            kind,
        };
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            return Err(err(K::Indented {
                found: line.to_string(),
            }));
        }
        let Some(notes) = parsed.as_mut() else {
            parsed = Some(ReleaseNotes::new(parse_title(line).map_err(err)?));
            continue;
        };
        if line == BREAKING_MARKER {
            if current.is_some() || notes.breaking {
                return Err(err(K::MisplacedBreakingMarker));
            }
            notes.breaking = true;
        } else if let Some(heading) = line.strip_prefix("## ") {
            let section = Section::from_heading_ja(heading).ok_or_else(|| {
                err(K::UnknownSection {
                    found: heading.trim().to_string(),
                })
            })?;
            if let Some(first_line) = heading_lines[section as usize] {
                return Err(err(K::DuplicateSection {
                    section,
                    first_line,
                }));
            }
            if let Some(after) = current.filter(|&c| c > section) {
                return Err(err(K::SectionOutOfOrder { section, after }));
            }
            heading_lines[section as usize] = Some(line_no);
            current = Some(section);
        } else if line.starts_with('#') {
            return Err(err(K::UnexpectedHeading {
                found: line.to_string(),
            }));
        } else if let Some((marker, rest)) = split_marker(line) {
            let Some(section) = current else {
                return Err(err(K::ItemOutsideSection {
                    found: line.to_string(),
                }));
            };
            let items = notes.items_mut(section);
            match marker {
                Marker::Bullet('-') if !section.is_numbered() => {}
                Marker::Ordered(digits, '.') if section.is_numbered() => {
                    let expected = items.len() + 1;
                    if digits != expected.to_string() {
                        return Err(err(K::StepNumber {
                            expected,
                            found: marker.as_written(),
                        }));
                    }
                }
                _ => {
                    return Err(err(K::WrongListMarker {
                        section,
                        found: marker.as_written(),
                    }))
                }
            }
            let (text, issue) = split_citation(rest.trim());
            if text.is_empty() {
                return Err(err(K::EmptyItem { section }));
            }
            items.push(NoteItem {
                text: text.to_string(),
                issue,
            });
        } else {
            let found = line.to_string();
            return Err(err(match current {
                None => K::TextBeforeSection { found },
                Some(section) => K::ExpectedItem { section, found },
            }));
        }
    }
    parsed.ok_or(NotesParseError {
        line: 1,
        kind: K::Empty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::propose_next;
    use proptest::prelude::*;
    use NotesParseErrorKind as K;

    /// The policy's example (R-REL-4), saved as a file: final newline included.
    const POLICY_EXAMPLE: &str = "# v1.2.0 リリースノート

## 新機能
- デッキ共有機能を追加 (#123)
- カード検索の高速化 (#124)

## 改善
- UIレスポンスの向上 (#125)
- エラーメッセージの改善 (#126)

## バグ修正
- デッキ保存時のエラーを修正 (#127)
- 画像読み込みエラーを修正 (#128)

## 既知の問題
- 特定条件下でのメモリリーク (#129)

## アップグレード手順
1. データベースマイグレーション実行
2. 環境変数 `NEW_FEATURE_FLAG` を追加
3. キャッシュクリア
";

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn policy_model() -> ReleaseNotes {
        ReleaseNotes {
            version: Version::new(1, 2, 0),
            breaking: false,
            sections: Sections {
                new_features: vec![
                    NoteItem::with_issue("デッキ共有機能を追加", 123),
                    NoteItem::with_issue("カード検索の高速化", 124),
                ],
                improvements: vec![
                    NoteItem::with_issue("UIレスポンスの向上", 125),
                    NoteItem::with_issue("エラーメッセージの改善", 126),
                ],
                bug_fixes: vec![
                    NoteItem::with_issue("デッキ保存時のエラーを修正", 127),
                    NoteItem::with_issue("画像読み込みエラーを修正", 128),
                ],
                known_issues: vec![NoteItem::with_issue("特定条件下でのメモリリーク", 129)],
                upgrade_steps: vec![
                    NoteItem::new("データベースマイグレーション実行"),
                    NoteItem::new("環境変数 `NEW_FEATURE_FLAG` を追加"),
                    NoteItem::new("キャッシュクリア"),
                ],
            },
        }
    }

    #[test]
    fn r_rel_4_policy_example_parses_into_the_model() {
        let notes = parse_markdown(POLICY_EXAMPLE).unwrap();
        assert_eq!(notes, policy_model());
        assert_eq!(notes.validate(), Ok(()));
    }

    #[test]
    fn r_rel_4_policy_example_renders_back_byte_identical() {
        let rendered = policy_model().render_markdown();
        assert_eq!(rendered, POLICY_EXAMPLE);
        assert_eq!(
            parse_markdown(POLICY_EXAMPLE).unwrap().render_markdown(),
            POLICY_EXAMPLE
        );
        assert!(rendered.ends_with("3. キャッシュクリア\n"));
        assert!(!rendered.ends_with("\n\n"));
    }

    #[test]
    fn r_rel_4_lenient_input_reads_as_the_policy_example() {
        let crlf = POLICY_EXAMPLE.replace('\n', "\r\n");
        let trailing_ws = POLICY_EXAMPLE.replace('\n', " \t\n");
        let no_final_newline = POLICY_EXAMPLE.trim_end().to_string();
        let extra_blank_lines = format!("\n\n{}\n\n", POLICY_EXAMPLE.replace("\n\n", "\n\n\n"));
        let bom = format!("\u{feff}{POLICY_EXAMPLE}");
        let no_v = POLICY_EXAMPLE.replace("# v1.2.0", "# 1.2.0");
        let wide_markers = POLICY_EXAMPLE
            .replace("- ", "-   ")
            .replace("##", "##  ")
            .replace("1. ", "1.  ");
        let without_blank_lines = POLICY_EXAMPLE.replace("\n\n", "\n");
        for input in [
            crlf,
            trailing_ws,
            no_final_newline,
            extra_blank_lines,
            bom,
            no_v,
            wide_markers,
            without_blank_lines,
        ] {
            let notes = parse_markdown(&input).unwrap_or_else(|e| panic!("{e}\n{input}"));
            assert_eq!(notes, policy_model(), "{input}");
            assert_eq!(notes.render_markdown(), POLICY_EXAMPLE);
        }
    }

    #[test]
    fn r_rel_4_empty_sections_are_omitted_and_may_be_missing_or_empty() {
        let mut notes = ReleaseNotes::new(v("1.2.1"));
        notes
            .items_mut(Section::BugFixes)
            .push(NoteItem::with_issue("保存エラーを修正", 130));
        let expected = "# v1.2.1 リリースノート\n\n## バグ修正\n- 保存エラーを修正 (#130)\n";
        assert_eq!(notes.render_markdown(), expected);
        assert_eq!(parse_markdown(expected).unwrap(), notes);
        // Empty headings are accepted and read as empty sections.
        let with_empty = "# v1.2.1 リリースノート\n\n## 新機能\n\n## バグ修正\n- 保存エラーを修正 (#130)\n\n## 既知の問題\n";
        assert_eq!(parse_markdown(with_empty).unwrap(), notes);
        // Title only.
        let bare = ReleaseNotes::new(v("0.1.0"));
        assert_eq!(bare.render_markdown(), "# v0.1.0 リリースノート\n");
        assert_eq!(parse_markdown("# v0.1.0 リリースノート").unwrap(), bare);
    }

    #[test]
    fn r_rel_4_breaking_marker_round_trips() {
        let mut notes = ReleaseNotes::new(v("2.0.0"));
        notes.breaking = true;
        notes
            .items_mut(Section::UpgradeSteps)
            .push(NoteItem::new("設定ファイルを移行"));
        let expected =
            "# v2.0.0 リリースノート\n\n<!-- breaking -->\n\n## アップグレード手順\n1. 設定ファイルを移行\n";
        assert_eq!(notes.render_markdown(), expected);
        assert_eq!(parse_markdown(expected).unwrap(), notes);
        notes.sections = Sections::default();
        assert_eq!(
            notes.render_markdown(),
            "# v2.0.0 リリースノート\n\n<!-- breaking -->\n"
        );
        assert_eq!(parse_markdown(&notes.render_markdown()).unwrap(), notes);
        assert!(!parse_markdown(POLICY_EXAMPLE).unwrap().breaking);
    }

    #[test]
    fn r_rel_4_items_keep_inline_markdown_and_only_canonical_citations() {
        let input = "# v1.0.0 リリースノート\n\n## 改善\n\
            - **速く** なった [詳細](https://example.com/#1) `a (#2)` (#3)\n\
            - (#4)\n\
            - 番号なし (#0)\n\
            - 先頭ゼロ (#007)\n\
            - 大きすぎ (#4294967296)\n\
            - 最大 (#4294967295)\n\
            - 二重 (#5) (#6)\n\
            - 空白なし(#7)\n\
            - 前に空白  (#8)\n";
        let notes = parse_markdown(input).unwrap();
        let items: Vec<(&str, Option<u32>)> = notes
            .items(Section::Improvements)
            .iter()
            .map(|i| (i.text.as_str(), i.issue))
            .collect();
        assert_eq!(
            items,
            [
                (
                    "**速く** なった [詳細](https://example.com/#1) `a (#2)`",
                    Some(3)
                ),
                ("(#4)", None),
                ("番号なし (#0)", None),
                ("先頭ゼロ (#007)", None),
                ("大きすぎ (#4294967296)", None),
                ("最大", Some(u32::MAX)),
                ("二重 (#5)", Some(6)),
                ("空白なし(#7)", None),
                ("前に空白", Some(8)),
            ]
        );
        assert_eq!(notes.validate(), Ok(()));
        assert_eq!(parse_markdown(&notes.render_markdown()).unwrap(), notes);
    }

    /// Every parse error names its line (1-based) and says what was expected.
    #[test]
    fn r_rel_4_parse_errors_name_their_line() {
        let title = "# v1.2.0 リリースノート\n\n";
        let cases: Vec<(String, usize, K)> = vec![
            (String::new(), 1, K::Empty),
            ("\n  \r\n".into(), 1, K::Empty),
            (
                "\n\nリリースノート\n".into(),
                3,
                K::MissingTitle {
                    found: "リリースノート".into(),
                },
            ),
            (
                "## 新機能\n- a\n".into(),
                1,
                K::MissingTitle {
                    found: "## 新機能".into(),
                },
            ),
            (
                "# v1.2.0 Release notes\n".into(),
                1,
                K::BadTitle {
                    found: "# v1.2.0 Release notes".into(),
                },
            ),
            (
                "\n# v1.2 リリースノート\n".into(),
                2,
                K::BadVersion {
                    error: Version::parse("v1.2").unwrap_err(),
                },
            ),
            (
                format!("{title}## 新機能\n- a\n\n## 変更点\n- b\n"),
                6,
                K::UnknownSection {
                    found: "変更点".into(),
                },
            ),
            (
                format!("{title}## New features\n"),
                3,
                K::UnknownSection {
                    found: "New features".into(),
                },
            ),
            (
                format!("{title}## 改善\n- a\n## 改善\n"),
                5,
                K::DuplicateSection {
                    section: Section::Improvements,
                    first_line: 3,
                },
            ),
            (
                format!("{title}## バグ修正\n- a\n\n## 新機能\n- b\n"),
                6,
                K::SectionOutOfOrder {
                    section: Section::NewFeatures,
                    after: Section::BugFixes,
                },
            ),
            (
                format!("{title}### 詳細\n"),
                3,
                K::UnexpectedHeading {
                    found: "### 詳細".into(),
                },
            ),
            (
                format!("{title}## 改善\n- a\n# v1.3.0 リリースノート\n"),
                5,
                K::UnexpectedHeading {
                    found: "# v1.3.0 リリースノート".into(),
                },
            ),
            (
                format!("{title}- a (#1)\n"),
                3,
                K::ItemOutsideSection {
                    found: "- a (#1)".into(),
                },
            ),
            (
                format!("{title}## 改善\n- a\n* b\n"),
                5,
                K::WrongListMarker {
                    section: Section::Improvements,
                    found: "*".into(),
                },
            ),
            (
                format!("{title}## 既知の問題\n1. a\n"),
                4,
                K::WrongListMarker {
                    section: Section::KnownIssues,
                    found: "1.".into(),
                },
            ),
            (
                format!("{title}## アップグレード手順\n1. a\n- b\n"),
                5,
                K::WrongListMarker {
                    section: Section::UpgradeSteps,
                    found: "-".into(),
                },
            ),
            (
                format!("{title}## アップグレード手順\n1) a\n"),
                4,
                K::WrongListMarker {
                    section: Section::UpgradeSteps,
                    found: "1)".into(),
                },
            ),
            (
                format!("{title}## アップグレード手順\n1. a\n3. b\n"),
                5,
                K::StepNumber {
                    expected: 2,
                    found: "3.".into(),
                },
            ),
            (
                format!("{title}## アップグレード手順\n01. a\n"),
                4,
                K::StepNumber {
                    expected: 1,
                    found: "01.".into(),
                },
            ),
            (
                format!("{title}## バグ修正\n- a\n-\n"),
                5,
                K::EmptyItem {
                    section: Section::BugFixes,
                },
            ),
            (
                format!("{title}## アップグレード手順\n1.   \n"),
                4,
                K::EmptyItem {
                    section: Section::UpgradeSteps,
                },
            ),
            (
                format!("{title}## 新機能\n- a\n  続きの行\n"),
                5,
                K::Indented {
                    found: "  続きの行".into(),
                },
            ),
            (
                format!("{title}## 新機能\n- a\n  - 入れ子\n"),
                5,
                K::Indented {
                    found: "  - 入れ子".into(),
                },
            ),
            (
                format!("{title}## 新機能\n- a\n\n<!-- breaking -->\n"),
                6,
                K::MisplacedBreakingMarker,
            ),
            (
                format!("{title}<!-- breaking -->\n<!-- breaking -->\n"),
                4,
                K::MisplacedBreakingMarker,
            ),
            (
                format!("{title}このリリースでは…\n"),
                3,
                K::TextBeforeSection {
                    found: "このリリースでは…".into(),
                },
            ),
            (
                format!("{title}## 新機能\n- a\n---\n"),
                5,
                K::ExpectedItem {
                    section: Section::NewFeatures,
                    found: "---".into(),
                },
            ),
            (
                format!("{title}## 新機能\r\n- a\r\n段落\r\n"),
                5,
                K::ExpectedItem {
                    section: Section::NewFeatures,
                    found: "段落".into(),
                },
            ),
        ];
        for (input, line, kind) in cases {
            let e = parse_markdown(&input).unwrap_err();
            assert_eq!(e, NotesParseError { line, kind }, "{input:?}");
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("line {line}: ")), "{msg}");
        }
    }

    #[test]
    fn r_rel_4_parse_error_messages_say_what_was_expected() {
        let msg = |input: &str| parse_markdown(input).unwrap_err().to_string();
        assert!(msg("").contains("# vX.Y.Z リリースノート"));
        assert!(msg("# v1.0.0 リリースノート\n## 変更\n").contains("## 既知の問題"));
        let m = msg("# v1.0.0 リリースノート\n## 改善\n1. a\n");
        assert!(m.contains("改善") && m.contains("`- `"), "{m}");
        let m = msg("# v1.0.0 リリースノート\n## アップグレード手順\n- a\n");
        assert!(m.contains("`1. `"), "{m}");
        let m = msg("# v1.0.0 リリースノート\n## 改善\n- a\n## 改善\n");
        assert!(m.contains("first on line 2"), "{m}");
        assert!(msg("# v1.2.3-rc.1 リリースノート\n").contains("pre-release"));
    }

    #[test]
    fn r_rel_4_section_keys_headings_and_serde_names() {
        let keys: Vec<&str> = Section::ALL.into_iter().map(Section::key).collect();
        assert_eq!(
            keys,
            [
                "new_features",
                "improvements",
                "bug_fixes",
                "known_issues",
                "upgrade_steps"
            ]
        );
        let headings: Vec<&str> = Section::ALL.into_iter().map(Section::heading_ja).collect();
        assert_eq!(
            headings,
            [
                "新機能",
                "改善",
                "バグ修正",
                "既知の問題",
                "アップグレード手順"
            ]
        );
        assert_eq!(Section::UpgradeSteps.label_en(), "Upgrade steps");
        for s in Section::ALL {
            assert_eq!(Section::from_key(s.key()), Some(s));
            assert_eq!(Section::from_heading_ja(s.heading_ja()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.key())
            );
            assert_eq!(s.is_numbered(), s == Section::UpgradeSteps);
        }
        assert_eq!(Section::from_key("New features"), None);
        assert!(Section::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn r_rel_4_json_shape_and_round_trip() {
        let notes = policy_model();
        let json = serde_json::to_value(&notes).unwrap();
        assert_eq!(json["version"], "1.2.0");
        assert_eq!(json["breaking"], false);
        assert_eq!(json["sections"]["new_features"][0]["issue"], 123);
        assert_eq!(
            json["sections"]["upgrade_steps"][2]["issue"],
            serde_json::Value::Null
        );
        assert_eq!(serde_json::from_value::<ReleaseNotes>(json).unwrap(), notes);
        // Missing fields default to empty / non-breaking.
        let minimal: ReleaseNotes =
            serde_json::from_str(r#"{"version":"v1.0.1","sections":{"bug_fixes":[{"text":"x"}]}}"#)
                .unwrap();
        assert!(!minimal.breaking);
        assert_eq!(minimal.items(Section::BugFixes), [NoteItem::new("x")]);
        assert!(serde_json::from_str::<ReleaseNotes>(r#"{"version":"1.0"}"#).is_err());
        // Errors travel too.
        let e = parse_markdown("# v1.0.0 リリースノート\n- a\n").unwrap_err();
        let back: NotesParseError =
            serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        let e = NotesError::EmptyText {
            section: Section::KnownIssues,
            index: 0,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["empty_text"]["section"], "known_issues");
        assert_eq!(serde_json::from_value::<NotesError>(json).unwrap(), e);
    }

    #[test]
    fn r_rel_4_change_kinds_drive_propose_next() {
        use ChangeKind::*;
        let notes = policy_model();
        assert_eq!(notes.change_kinds(), [Feature, Fix]);
        // The policy example is v1.2.0: a minor release after 1.1.x.
        assert_eq!(
            propose_next(&v("1.1.3"), &notes.change_kinds()).unwrap(),
            notes.version
        );

        let with = |breaking: bool, sections: &[Section]| {
            let mut n = ReleaseNotes::new(v("1.0.0"));
            n.breaking = breaking;
            for &s in sections {
                n.items_mut(s).push(NoteItem::new("x"));
            }
            n.change_kinds()
        };
        use Section::*;
        /// (breaking, sections with an item, expected kinds, last version, proposed version)
        type Case<'a> = (bool, &'a [Section], &'a [ChangeKind], &'a str, &'a str);
        let cases: [Case; 9] = [
            (false, &[BugFixes], &[Fix], "1.4.2", "1.4.3"),
            (false, &[Improvements], &[Fix], "1.4.2", "1.4.3"),
            (false, &[NewFeatures], &[Feature], "1.4.2", "1.5.0"),
            (
                false,
                &[BugFixes, NewFeatures, KnownIssues],
                &[Feature, Fix],
                "1.4.2",
                "1.5.0",
            ),
            (true, &[BugFixes], &[Breaking, Fix], "1.4.2", "2.0.0"),
            (true, &[], &[Breaking], "1.4.2", "2.0.0"),
            (
                true,
                &[NewFeatures, Improvements, UpgradeSteps],
                &[Breaking, Feature, Fix],
                "1.4.2",
                "2.0.0",
            ),
            // Before 1.0.0, Cargo's convention (decision 0101).
            (true, &[NewFeatures], &[Breaking, Feature], "0.3.4", "0.4.0"),
            (false, &[NewFeatures], &[Feature], "0.3.4", "0.3.5"),
        ];
        for (breaking, sections, kinds, last, next) in cases {
            let got = with(breaking, sections);
            assert_eq!(got, kinds, "{breaking} {sections:?}");
            assert_eq!(
                propose_next(&v(last), &got).unwrap(),
                v(next),
                "{sections:?}"
            );
        }
        // Only known issues / upgrade steps: nothing to release.
        let nothing = with(false, &[KnownIssues, UpgradeSteps]);
        assert!(nothing.is_empty());
        assert!(propose_next(&v("1.0.0"), &nothing).is_err());
    }

    #[test]
    fn r_rel_4_issue_refs_ascending_and_unique() {
        assert_eq!(
            policy_model().issue_refs(),
            [123, 124, 125, 126, 127, 128, 129]
        );
        let mut n = ReleaseNotes::new(v("1.0.0"));
        n.items_mut(Section::UpgradeSteps)
            .push(NoteItem::with_issue("a", 9));
        n.items_mut(Section::NewFeatures)
            .push(NoteItem::with_issue("b", 40));
        n.items_mut(Section::NewFeatures).push(NoteItem::new("c"));
        n.items_mut(Section::KnownIssues)
            .push(NoteItem::with_issue("d", 9));
        assert_eq!(n.issue_refs(), [9, 40]);
        assert!(ReleaseNotes::new(v("1.0.0")).issue_refs().is_empty());
    }

    #[test]
    fn r_rel_4_validate_names_section_and_item() {
        let case = |section: Section, item: NoteItem| {
            let mut n = policy_model();
            n.items_mut(section).push(item);
            let index = n.items(section).len() - 1;
            (n.validate().unwrap_err(), index)
        };
        let (e, i) = case(Section::KnownIssues, NoteItem::new(""));
        assert_eq!(
            e,
            NotesError::EmptyText {
                section: Section::KnownIssues,
                index: i
            }
        );
        assert_eq!(e.to_string(), "既知の問題 item 2: the text is empty");
        let (e, i) = case(Section::UpgradeSteps, NoteItem::new("a\nb"));
        assert_eq!(
            e,
            NotesError::LineBreak {
                section: Section::UpgradeSteps,
                index: i
            }
        );
        assert!(
            e.to_string().starts_with("アップグレード手順 item 4:"),
            "{e}"
        );
        let (e, i) = case(Section::BugFixes, NoteItem::with_issue("a\r", 1));
        assert_eq!(
            e,
            NotesError::LineBreak {
                section: Section::BugFixes,
                index: i
            }
        );
        let (e, i) = case(Section::NewFeatures, NoteItem::new(" a"));
        assert_eq!(
            e,
            NotesError::SurroundingWhitespace {
                section: Section::NewFeatures,
                index: i
            }
        );
        let (e, _) = case(Section::NewFeatures, NoteItem::new("a\u{3000}"));
        assert!(matches!(e, NotesError::SurroundingWhitespace { .. }));
        let (e, i) = case(Section::Improvements, NoteItem::new("a (#12)"));
        assert_eq!(
            e,
            NotesError::CitationInText {
                section: Section::Improvements,
                index: i
            }
        );
        let (e, i) = case(Section::Improvements, NoteItem::with_issue("a", 0));
        assert_eq!(
            e,
            NotesError::ZeroIssue {
                section: Section::Improvements,
                index: i
            }
        );
        // Not ambiguous: these read back as written.
        let mut n = policy_model();
        n.items_mut(Section::Improvements)
            .push(NoteItem::with_issue("a (#12)", 13));
        n.items_mut(Section::Improvements)
            .push(NoteItem::new("a (#012)"));
        assert_eq!(n.validate(), Ok(()));
        assert_eq!(parse_markdown(&n.render_markdown()).unwrap(), n);
        // The first problem in section order is reported.
        let mut n = policy_model();
        n.items_mut(Section::UpgradeSteps).push(NoteItem::new(""));
        n.items_mut(Section::NewFeatures)[1].text = "x\n".into();
        assert_eq!(
            n.validate(),
            Err(NotesError::LineBreak {
                section: Section::NewFeatures,
                index: 1
            })
        );
    }

    #[test]
    fn r_rel_4_size_limit_is_200_kib_of_rendered_markdown() {
        assert_eq!(MAX_NOTES_BYTES, 204_800);
        let mut n = ReleaseNotes::new(v("1.0.0"));
        n.items_mut(Section::BugFixes).push(NoteItem::new("x"));
        let base = n.render_markdown().len();
        // Grow the one item so the rendering is exactly at the limit: allowed.
        n.items_mut(Section::BugFixes)[0].text = "x".repeat(1 + MAX_NOTES_BYTES - base);
        assert_eq!(n.render_markdown().len(), MAX_NOTES_BYTES);
        assert_eq!(n.validate(), Ok(()));
        // One byte more (a multi-byte character counts in bytes): refused.
        n.items_mut(Section::BugFixes)[0].text.push('あ');
        n.items_mut(Section::BugFixes)[0]
            .text
            .replace_range(0..2, "");
        assert_eq!(n.render_markdown().len(), MAX_NOTES_BYTES + 1);
        let e = n.validate().unwrap_err();
        assert_eq!(
            e,
            NotesError::TooLarge {
                bytes: MAX_NOTES_BYTES + 1,
                max: MAX_NOTES_BYTES
            }
        );
        assert!(e.to_string().contains("204800"), "{e}");
        // Many small items add up the same way.
        let mut many = ReleaseNotes::new(v("1.0.0"));
        for i in 0..10_000 {
            many.items_mut(Section::Improvements)
                .push(NoteItem::with_issue(format!("改善項目 {i}"), i + 1));
        }
        assert!(matches!(many.validate(), Err(NotesError::TooLarge { .. })));
        // parse does not enforce the limit; validate does.
        assert_eq!(parse_markdown(&many.render_markdown()).unwrap(), many);
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            "[^\\s]([^\\r\\n]{0,24}[^\\s])?",
            proptest::sample::select(vec![
                "デッキ共有機能を追加",
                "環境変数 `NEW_FEATURE_FLAG` を追加",
                "**太字** と [リンク](https://example.com/#1)",
                "- 先頭がハイフン",
                "1. 数字で始まる",
                "## 見出しのような",
                "# v9.9.9 リリースノート",
                "<!-- breaking -->",
                "x (#0)",
                "x (#007)",
                "(#5)",
                "a (#1) b",
            ])
            .prop_map(String::from),
        ]
    }

    fn item_strategy() -> impl Strategy<Value = NoteItem> {
        (text_strategy(), proptest::option::of(1u32..=u32::MAX))
            .prop_map(|(text, issue)| NoteItem { text, issue })
    }

    fn notes_strategy() -> impl Strategy<Value = ReleaseNotes> {
        let items = || proptest::collection::vec(item_strategy(), 0..4);
        (
            (0u64..1000, 0u64..1000, 0u64..1000),
            any::<bool>(),
            (items(), items(), items(), items(), items()),
        )
            .prop_map(|((a, b, c), breaking, (nf, im, bf, ki, us))| ReleaseNotes {
                version: Version::new(a, b, c),
                breaking,
                sections: Sections {
                    new_features: nf,
                    improvements: im,
                    bug_fixes: bf,
                    known_issues: ki,
                    upgrade_steps: us,
                },
            })
    }

    fn line_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "# v1.2.0 リリースノート",
                "# 0.1.0 リリースノート",
                "",
                "   ",
                "<!-- breaking -->",
                "## 新機能",
                "## 改善",
                "## バグ修正",
                "## 既知の問題",
                "## アップグレード手順",
                "- a (#1)",
                "- b",
                "1. c",
                "2. d (#2)",
                "* e",
                "-",
                "### x",
            ])
            .prop_map(String::from),
            ".{0,12}",
        ]
    }

    proptest! {
        /// R-REL-4: valid notes render to Markdown that parses back to them,
        /// with LF or CRLF line ends and trailing whitespace.
        #[test]
        fn r_rel_4_generated_notes_round_trip(notes in notes_strategy(), trailing in "[ \t]{0,2}") {
            prop_assume!(notes.validate().is_ok());
            let md = notes.render_markdown();
            prop_assert_eq!(parse_markdown(&md), Ok(notes.clone()));
            prop_assert!(md.ends_with('\n') && !md.ends_with("\n\n"));
            let crlf = md.replace('\n', &format!("{trailing}\r\n"));
            prop_assert_eq!(parse_markdown(&crlf), Ok(notes));
        }

        #[test]
        fn r_rel_4_parse_never_panics(s in "\\PC*") {
            let _ = parse_markdown(&s);
        }

        /// Documents assembled from format-like lines: never a panic, and
        /// whatever parses renders to canonical Markdown that reads back the same.
        #[test]
        fn r_rel_4_parsed_documents_render_canonically(lines in proptest::collection::vec(line_strategy(), 0..14)) {
            let input = lines.join("\n");
            if let Ok(notes) = parse_markdown(&input) {
                let md = notes.render_markdown();
                let again = parse_markdown(&md);
                prop_assert_eq!(again.as_ref(), Ok(&notes));
                prop_assert_eq!(again.map(|n| n.render_markdown()), Ok(md));
            }
        }
    }
}
