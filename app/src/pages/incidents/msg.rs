//! Texts of the incident pages (the DR runbook), in English and Japanese (R-UI-3).
//! `{name}` marks a value filled in by `crate::i18n::fill`.

crate::messages! { pub enum IncMsg {
    Title => "Incidents", "インシデント";
    IncidentTitle => "Incident", "インシデント";
    BackToList => "All incidents", "インシデント一覧";
    NoOpen => "No open incident. When disaster strikes, declare one: the DR runbook opens as a live checklist.", "対応中のインシデントはありません。障害発生時に宣言すると、災害復旧ランブックがリアルタイムのチェックリストとして開きます。";
    OpenNow => "Open now: {n}", "対応中: {n} 件";
    Empty => "No incidents have been declared.", "宣言されたインシデントはありません。";
    EmptyOperator => "No incidents have been declared. The form below opens the DR runbook when you need it.", "宣言されたインシデントはありません。必要なときは下のフォームから災害復旧ランブックを開きます。";
    DeclareTitle => "Declare incident", "インシデントを宣言";
    DeclareHint => "Declaring opens the DR runbook — the policy's seven recovery steps and its recovery order (authentication, card database, decks, community) — and notifies oncall. The clock against the RTO starts at once.", "宣言すると災害復旧ランブック（方針の復旧手順 7 段階と復旧優先順位: 認証、カードデータベース、デッキ、コミュニティ）が開き、oncall に通知されます。RTO に対する計時がすぐに始まります。";
    RtoIs => "RTO {rto}", "RTO {rto}";
    FieldTitle => "What happened", "事象";
    FieldSeverity => "Severity", "重大度";
    FieldNotes => "Notes (optional)", "メモ（任意）";
    DeclareSubmit => "Declare incident", "インシデントを宣言する";
    ColId => "#", "#";
    ColIncident => "Incident", "インシデント";
    ColSeverity => "Severity", "重大度";
    ColStatus => "Status", "状態";
    ColDeclared => "Declared", "宣言";
    ColProgress => "Steps done", "完了した手順";
    ColClock => "Time against RTO", "RTO に対する時間";
    StatusOpen => "open", "対応中";
    StatusResolved => "resolved", "解決済み";
    DeclaredBy => "Declared {at} by {by}", "{at} に {by} さんが宣言";
    ResolvedBy => "resolved {at} by {by}", "{at} に {by} さんが解決";
    Since => "{t} since declaration", "宣言から {t}";
    Left => "RTO {rto} · {left} left", "RTO {rto}・残り {left}";
    Over => "RTO {rto} · over by {over}", "RTO {rto}・{over} 超過";
    RecoveredIn => "Recovered in {t}", "{t} で復旧";
    WithinRto => "within the RTO of {rto}", "RTO {rto} 以内";
    OverRto => "over the RTO of {rto}", "RTO {rto} を超過";
    Procedure => "Recovery procedure", "復旧手順";
    RecoveryOrder => "Recovery order", "復旧優先順位";
    RecoveryOrderHint => "Bring the parts back in this order.", "この順序で復旧します。";
    ColStep => "Step", "手順";
    ColOwner => "Owner", "担当者";
    ColStarted => "Started", "開始";
    ColDone => "Done", "完了";
    ColNotes => "Notes", "メモ";
    ColActions => "Actions", "操作";
    StepNotStarted => "not started", "未着手";
    StepInProgress => "in progress", "対応中";
    StepDone => "done", "完了";
    Start => "Start", "開始";
    Tick => "Done", "完了";
    Untick => "Undo", "取り消し";
    Edit => "Owner & notes", "担当・メモ";
    EditTitle => "Step {n}: {step}", "手順 {n}: {step}";
    SaveStep => "Save step", "手順を保存";
    Close => "Close", "閉じる";
    Export => "Export report (Markdown)", "事後レポートを出力（Markdown）";
    Resolve => "Resolve incident", "インシデントを解決";
    ResolveNotes => "Closing notes (optional)", "解決時のメモ（任意）";
    ConfirmResolve => "Resolve incident #{id} “{title}”? Its runbook becomes read-only.", "インシデント #{id}「{title}」を解決しますか？ランブックは変更できなくなります。";
    ConfirmOpenSteps => "{n} steps are not done yet.", "{n} 件の手順が未完了です。";
    ReadOnly => "You can follow the runbook and export the report; operators work the steps.", "ランブックの閲覧とレポートの出力ができます。手順の操作はオペレーターが行います。";
    ResolvedReadOnly => "This incident is resolved: the runbook is read-only.", "このインシデントは解決済みです。ランブックは変更できません。";
    Live => "Updates every 5 s · as of {t}", "5 秒ごとに更新・{t} 時点";
    Notes => "Notes", "メモ";
    By => "by", "実施:";
}}

#[cfg(test)]
mod tests {
    use super::IncMsg;
    use crate::i18n::{fill, Lang};

    #[test]
    fn every_incident_text_has_both_languages_r_ui_3() {
        for m in IncMsg::ALL {
            assert!(
                !m.text(Lang::En).is_empty() && !m.text(Lang::Ja).is_empty(),
                "{m:?}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(
                IncMsg::Left.text(Lang::En),
                &[("rto", "4 h"), ("left", "1 h 5 min")]
            ),
            "RTO 4 h · 1 h 5 min left"
        );
    }
}
