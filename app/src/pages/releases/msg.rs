//! Texts of the releases list and detail pages, in English and Japanese
//! (R-UI-3), and the small helpers that turn release data into words.
//! `{name}` marks a value filled in by `crate::i18n::fill`.

use crate::i18n::{fill, Lang};
use crate::model::releases::ReleaseStatus;
use chrono::NaiveDate;
use leptos::prelude::*;
use opsdeck::release_calendar::{Milestone, MilestoneKind};
use opsdeck::versions::ReleaseKind;

crate::messages! { pub enum RelMsg {
    Title => "Releases", "リリース";
    ReleaseTitle => "Release", "リリース";
    CalendarLink => "Release calendar", "リリースカレンダー";
    BackToList => "All releases", "リリース一覧";
    FreezeBanner => "Code freeze for v{version} until {until}: Production deploys are blocked.", "v{version} のコードフリーズ中です（{until} まで）: 本番環境へのデプロイはできません。";
    LastReleased => "Last released: v{version}", "最後のリリース: v{version}";
    NothingReleased => "Nothing released yet", "リリース済みのバージョンはまだありません";
    NextRelease => "next: v{version} on {date} ({when})", "次回: v{version}（{date}・{when}）";
    NoNextRelease => "no release planned", "予定されたリリースはありません";
    Version => "Version", "バージョン";
    Kind => "Kind", "種類";
    PlannedDate => "Release date", "リリース日";
    Status => "Status", "状態";
    Milestones => "Milestones", "マイルストーン";
    Released => "Released", "リリース実施";
    KindMajor => "major", "メジャー";
    KindMinor => "minor", "マイナー";
    KindPatch => "patch", "パッチ";
    StatusPlanned => "planned", "予定";
    StatusFrozen => "code freeze", "コードフリーズ中";
    StatusReleased => "released", "リリース済み";
    StatusCancelled => "cancelled", "中止";
    Breaking => "breaking change", "破壊的変更あり";
    By => "by", "実施者";
    EmptyManager => "No releases yet. Plan the first one with the form below.", "リリースはまだありません。下のフォームから最初のリリースを計画してください。";
    EmptyViewer => "No releases yet. Release managers plan them here.", "リリースはまだありません。リリースマネージャーがここで計画します。";
    ReadOnly => "You can read releases and their notes; release managers plan and edit them.", "リリースとリリースノートを閲覧できます。計画と編集はリリースマネージャーが行います。";
    InDays => "in {n} days", "あと {n} 日";
    InOneDay => "tomorrow", "明日";
    Today => "today", "今日";
    DaysAgo => "{n} days ago", "{n} 日前";
    PlanTitle => "Plan a release", "リリースを計画";
    PlanVersion => "Version (MAJOR.MINOR.PATCH)", "バージョン（MAJOR.MINOR.PATCH）";
    PlanDate => "Release date", "リリース日";
    ChangesLegend => "What the release contains (for the proposed version)", "リリースに含まれる変更（バージョン提案に使います）";
    ChangeBreaking => "Breaking change", "破壊的変更";
    ChangeFeatures => "New features", "新機能";
    ChangeFixes => "Bug fixes only", "バグ修正のみ";
    BreakingSavedHint => "“Breaking change” is saved with the release and marked in its notes.", "「破壊的変更」はリリースに保存され、リリースノートにも表示されます。";
    Summary => "Summary", "概要";
    PlanSubmit => "Plan release", "リリースを計画する";
    Checking => "Checking…", "確認中…";
    Proposed => "Proposed next version", "提案されるバージョン";
    After => "after", "直前のリリース:";
    NoReleaseYet => "no release yet", "リリースなし";
    UseIt => "Use it", "これを使う";
    KindIs => "This is a {kind} release.", "{kind}リリースです。";
    CadenceTitle => "Cadence", "リリース頻度";
    SavingAllowed => "saving is still allowed", "保存はできます";
    OverlapsFreeze => "Its code freeze overlaps the freeze of", "コードフリーズが次のリリースと重なっています:";
    AlreadyPast => "already past", "すでに過ぎています";
    PlannedWithWarnings => "Planned v{version}, with warnings:", "v{version} を計画しました。警告:";
    OpenRelease => "Open the release", "リリースを開く";
    SettingsTitle => "Issue tracker link (admins)", "課題管理へのリンク（管理者）";
    IssueUrlTemplate => "Issue URL template ({n} is the issue number)", "課題の URL テンプレート（{n} が課題番号）";
    SaveSettings => "Save link", "リンクを保存";
    SettingsSaved => "Saved.", "保存しました。";
    PlannedBy => "planned by", "計画者:";
    ReleasedByAt => "Released by {by} at {at}", "{at} に {by} がリリース";
    NotReleasedYet => "Not released yet.", "まだリリースされていません。";
    LinkedDeploys => "Linked deploys: none yet (deploys arrive with the deploys area).", "関連デプロイ: まだありません（デプロイ機能の追加後に表示されます）。";
    Publish => "Publish v{version}", "v{version} を公開";
    ConfirmPublish => "Publish v{version}? It is recorded as released now, stakeholders are notified, and afterwards only its known issues can change.", "v{version} を公開しますか？ 今の時刻でリリース済みとして記録され、関係者に通知されます。公開後は「既知の問題」以外は変更できません。";
    CancelRelease => "Cancel v{version}", "v{version} を中止";
    ConfirmCancel => "Cancel the release v{version}? Its code freeze is lifted.", "リリース v{version} を中止しますか？ コードフリーズは解除されます。";
    EditPlan => "Edit plan", "計画を変更";
    SavePlan => "Save plan", "計画を保存";
    PlanSaved => "Plan saved.", "計画を保存しました。";
    NotesTitle => "Release notes", "リリースノート";
    NotesEmpty => "No release notes written yet.", "リリースノートはまだ書かれていません。";
    Export => "Export Markdown", "Markdown をエクスポート";
    EditorTitle => "Edit the release notes", "リリースノートを編集";
    EditorHint => "One item per line. End a line with (#123) to cite issue 123.", "1 行が 1 項目です。行末に (#123) と書くと課題 123 を参照します。";
    Numbered => "numbered automatically", "自動で番号が付きます";
    Preview => "Preview", "プレビュー";
    PreviewHint => "Updates as you type.", "入力に合わせて更新されます。";
    PublishedOnlyKnown => "This release is published: only Known issues can still change.", "公開済みのリリースです。変更できるのは「既知の問題」だけです。";
    SaveNotes => "Save notes", "リリースノートを保存";
    SavedRevision => "Saved (revision {n}).", "保存しました（リビジョン {n}）。";
    EditingOn => "Editing on top of revision {n}.", "リビジョン {n} を元に編集しています。";
    Unsaved => "Unsaved changes.", "未保存の変更があります。";
    Conflict => "v{version} was changed by {who} at {at} (revision {n}) while you were editing. Nothing was saved.", "編集中に {who} が {at} に v{version} を変更しました（リビジョン {n}）。保存されていません。";
    Theirs => "Their version (revision {n})", "相手の版（リビジョン {n}）";
    Yours => "Your version (not saved)", "あなたの版（未保存）";
    LoadTheirs => "Load their version into the editor", "相手の版をエディタに読み込む";
    KeepMine => "Keep my text, merge by hand and save again", "自分の版を残して手で統合し、再度保存する";
    ConflictClose => "Close", "閉じる";
    ConflictRebased => "The editor now builds on revision {n}: check the texts and save again.", "エディタはリビジョン {n} を元にしています。内容を確認して再度保存してください。";
    TheirsUnreadable => "Their version could not be read into the editor: copy from it by hand.", "相手の版をエディタに読み込めませんでした。手でコピーしてください。";
    HistoryTitle => "Revision history", "変更履歴";
    Revision => "Revision", "リビジョン";
    Author => "Author", "作成者";
    When => "When", "日時";
    Size => "Size", "サイズ";
    Bytes => "bytes", "バイト";
    NoRevisions => "No revisions yet.", "リビジョンはまだありません。";
    CompareFrom => "From", "比較元";
    CompareTo => "To", "比較先";
    Compare => "Compare", "比較";
    EmptyRevision => "0 (empty)", "0（空）";
    NoDifferences => "No differences.", "差分はありません。";
} }

/// Shorthand: the text of a releases message in the current language.
pub fn rt(m: RelMsg) -> &'static str {
    m.text(crate::use_lang())
}

pub fn kind_text(kind: ReleaseKind, lang: Lang) -> &'static str {
    match kind {
        ReleaseKind::Major => RelMsg::KindMajor,
        ReleaseKind::Minor => RelMsg::KindMinor,
        ReleaseKind::Patch => RelMsg::KindPatch,
    }
    .text(lang)
}

pub fn milestone_label(kind: MilestoneKind, lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => kind.label_ja(),
        Lang::En => kind.label_en(),
    }
}

/// "in 8 days" / "today" / "3 days ago" from `today` to `date`.
pub fn relative_day(today: NaiveDate, date: NaiveDate, lang: Lang) -> String {
    let n = (date - today).num_days();
    match n {
        0 => RelMsg::Today.text(lang).to_string(),
        1 => RelMsg::InOneDay.text(lang).to_string(),
        n if n > 1 => fill(RelMsg::InDays.text(lang), &[("n", &n.to_string())]),
        n => fill(RelMsg::DaysAgo.text(lang), &[("n", &(-n).to_string())]),
    }
}

/// The status as a badge: level colour, icon and word (never colour alone).
pub fn status_badge(status: ReleaseStatus, lang: Lang) -> impl IntoView {
    let (level, icon, word) = match status {
        ReleaseStatus::Planned => ("unknown", "○", RelMsg::StatusPlanned),
        ReleaseStatus::Frozen => ("warning", "❄", RelMsg::StatusFrozen),
        ReleaseStatus::Released => ("ok", "✓", RelMsg::StatusReleased),
        ReleaseStatus::Cancelled => ("critical", "✕", RelMsg::StatusCancelled),
    };
    view! {
        <span class=format!("badge {level}") data-testid="release-status" data-status=status.as_str()>
            <span aria-hidden="true">{icon}</span>
            " "
            {word.text(lang)}
        </span>
    }
}

/// The milestones before release day, compact: "Feature freeze 11-22 · …".
pub fn milestones_compact(milestones: &[Milestone], lang: Lang) -> impl IntoView {
    let items = milestones
        .iter()
        .filter(|m| m.kind != MilestoneKind::Release)
        .map(|m| {
            view! {
                <li data-kind=format!("{:?}", m.kind)>
                    <span class="muted">{milestone_label(m.kind, lang)}</span>
                    " "
                    <time datetime=m.date.to_string()>{m.date.format("%m-%d").to_string()}</time>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="milestones-compact">{items}</ul> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_releases_text_has_both_languages_r_ui_3() {
        for m in RelMsg::ALL {
            assert!(
                !m.text(Lang::En).is_empty() && !m.text(Lang::Ja).is_empty(),
                "{m:?}"
            );
        }
    }

    #[test]
    fn placeholders_are_the_same_in_both_languages() {
        for m in RelMsg::ALL {
            for key in [
                "{version}",
                "{until}",
                "{date}",
                "{n}",
                "{kind}",
                "{who}",
                "{at}",
                "{by}",
            ] {
                assert_eq!(
                    m.text(Lang::En).contains(key),
                    m.text(Lang::Ja).contains(key),
                    "{m:?} {key}"
                );
            }
        }
    }

    #[test]
    fn relative_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            relative_day(d("2026-11-28"), d("2026-12-06"), Lang::En),
            "in 8 days"
        );
        assert_eq!(
            relative_day(d("2026-11-28"), d("2026-11-28"), Lang::Ja),
            "今日"
        );
        assert_eq!(
            relative_day(d("2026-11-28"), d("2026-11-25"), Lang::En),
            "3 days ago"
        );
        assert_eq!(
            fill("v{version} {n}", &[("version", "1.3.0"), ("n", "2")]),
            "v1.3.0 2"
        );
    }
}
