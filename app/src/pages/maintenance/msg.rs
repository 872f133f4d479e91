//! Texts of the planned-maintenance section, in English and Japanese (R-UI-3).

crate::messages! { pub enum MaintMsg {
    PlannedTitle => "Planned maintenance", "計画メンテナンス";
    NextWindow => "Next window", "次回のメンテナンス";
    NoWindows => "No windows planned yet. The monthly windows appear within a minute of start-up.", "予定されたメンテナンスはまだありません。月次の枠は起動後 1 分以内に表示されます。";
    When => "When", "日時";
    Kind => "Kind", "種類";
    KindMonthly => "monthly", "月次";
    KindPlanned => "one-off", "臨時";
    Quarterly => "+ quarterly tasks", "＋四半期作業";
    Reason => "Reason", "内容";
    Status => "Status", "状態";
    Cancelled => "cancelled", "中止";
    Planned => "planned", "予定";
    Announcement => "Announcement", "告知";
    AnnouncedAt => "announced", "告知済み";
    AnnounceDue => "due", "告知予定";
    Tasks => "Tasks", "作業";
    Actions => "Actions", "操作";
    Cancel => "Cancel", "中止する";
    ConfirmCancel => "Cancel the maintenance window of", "次のメンテナンスを中止しますか:";
    Usage => "Planned per month", "月ごとの計画時間";
    MinutesOf => "min of", "分 / 上限";
    PlanTitle => "Plan a window", "メンテナンスを計画";
    Start => "Start", "開始";
    Duration => "Length (minutes)", "所要時間（分）";
    OverrideReason => "Override the monthly cap — reason (admins only)", "月間上限を超える理由（管理者のみ）";
    PlanSubmit => "Plan window", "計画する";
    PlanSaved => "Planned.", "計画しました。";
    Rules => "Rules: at least {notice} days' notice, inside the night {night}, at most {cap} minutes per month; announced to stakeholders {announce} days ahead.", "ルール: {notice} 日以上前に計画、夜間 {night} の範囲内、月 {cap} 分まで。関係者へ {announce} 日前に告知。";
    Housekeeping => "Housekeeping", "ハウスキーピング";
    HousekeepingAnswer => "opsdeck's own activity data older than the retention is purged daily, then ANALYZE.", "保持期間を過ぎた opsdeck 自身の活動データを毎日削除し、ANALYZE を実行します。";
    RunNow => "Run now", "今すぐ実行";
    Retention => "Retention (days)", "保持期間（日）";
    Deleted => "Deleted", "削除件数";
    NoRuns => "No runs yet.", "実行履歴はありません。";
    Ok => "ok", "成功";
    Failed => "failed", "失敗";
    By => "by", "実行者";
    DoneBy => "done by", "完了:";
    Move => "Move", "日時を変更";
    MoveTitle => "Move the window", "メンテナンスの日時を変更";
    StopMoving => "Plan a new window instead", "新しく計画する";
    SettingsTitle => "Rules (admins)", "ルール設定（管理者）";
    SetCap => "Monthly cap (minutes)", "月間上限（分）";
    SetNotice => "Notice (days)", "事前告知（日）";
    SetAnnounce => "Announce to stakeholders (days ahead)", "関係者への告知（日前）";
    SetNightStart => "Night starts (HH:MM)", "夜間の開始（HH:MM）";
    SetNightEnd => "Night ends (HH:MM)", "夜間の終了（HH:MM）";
    SaveSettings => "Save rules", "ルールを保存";
}}

#[cfg(test)]
mod tests {
    use super::MaintMsg;
    use crate::i18n::Lang;

    #[test]
    fn every_maintenance_text_has_both_languages_r_ui_3() {
        for m in MaintMsg::ALL {
            assert!(
                !m.text(Lang::En).is_empty() && !m.text(Lang::Ja).is_empty(),
                "{m:?}"
            );
        }
    }
}
