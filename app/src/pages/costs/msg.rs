//! The costs page's texts, in English and Japanese (R-UI-3).

crate::messages! { pub enum CostsMsg {
    Title => "Costs", "コスト";
    Month => "Month", "月";
    Show => "Show", "表示";
    ThisMonth => "this month", "今月";
    Of => "of", "/";
    In => "in", "";
    Forecast => "forecast", "予測";
    ForecastTitle => "Forecast to month end", "月末予測";
    AlertSentTo => "alert sent to", "アラート送信先:";
    MonthToDate => "Month to date", "月初来の実績";
    OneOffPart => "of which one-off", "うち一時的な費用";
    ForecastHeld => "Forecast alerts start on day", "予測アラートの開始日: ";
    ForecastRule => "One-off entries are counted once, not extrapolated; the rest is projected at its daily run rate.", "一時的な費用は外挿せず 1 回だけ数え、それ以外は日割りの実績ペースで月末まで延長します。";
    DataAge => "Data age", "データの鮮度";
    LastRecorded => "last entry recorded", "最終登録";
    LatestDay => "latest day covered", "最新の対象日";
    NoData => "No cost entries yet.", "コストの明細はまだありません。";
    EmptyMonth => "No costs recorded for this month yet. Import a CSV or add an entry below.", "この月のコストはまだ登録されていません。下のフォームから CSV を取り込むか明細を追加してください。";
    EmptyMonthReadOnly => "No costs recorded for this month yet. Finance imports them.", "この月のコストはまだ登録されていません。財務担当が登録します。";
    Chart => "Cumulative spend against the budget", "予算に対する累積コスト";
    ChartLegend => "Blue: cumulative spend · red: budget · dashed: thresholds · grey dashed: forecast. Horizontal axis: day of month.", "青: 累積コスト・赤: 予算・破線: しきい値・灰色の破線: 予測。横軸: 日。";
    ByService => "Spend by service", "サービス別コスト";
    Service => "Service", "サービス";
    Amount => "Amount", "金額";
    Share => "Share", "割合";
    Alerts => "Alerts this month", "今月のアラート";
    AlertsEmpty => "No threshold crossed this month.", "今月はしきい値を超えていません。";
    Basis => "Basis", "基準";
    Actual => "actual", "実績";
    ForecastBasis => "forecast", "予測";
    Threshold => "Threshold", "しきい値";
    Spend => "Spend", "金額";
    NotifiedAt => "Notified", "通知日時";
    Recipients => "Recipients", "宛先";
    Entries => "Cost entries", "コスト明細";
    Date => "Date", "日付";
    Kind => "Kind", "種類";
    OneOff => "one-off", "一時的";
    Recurring => "recurring", "継続的";
    Credit => "credit", "クレジット";
    Source => "Source", "登録元";
    MarkOneOff => "Mark one-off", "一時的にする";
    MarkRecurring => "Mark recurring", "継続的にする";
    Delete => "Delete", "削除";
    ConfirmDelete => "Delete this cost entry?", "このコスト明細を削除しますか？";
    AddEntry => "Add an entry", "明細を追加";
    AddEntryButton => "Add entry", "明細を追加";
    OneOffHint => "One-off (e.g. an annual up-front charge): not extrapolated", "一時的な費用（年額前払いなど）: 予測で外挿しない";
    CreditHint => "Credit (refund): stored as a negative one-off amount", "クレジット（返金）: マイナスの一時的な費用として登録";
    Note => "Note", "メモ";
    Import => "Import CSV", "CSV 取り込み";
    ImportHelp => "Paste CSV with the header date,service,amount (optional: currency, kind = usage, one-off or credit). All rows or none are imported; rows imported before are skipped.", "ヘッダー date,service,amount（任意: currency、kind = usage / one-off / credit）付きの CSV を貼り付けてください。全行が取り込まれるか、何も取り込まれないかのどちらかです。取り込み済みの行はスキップされます。";
    ImportButton => "Import", "取り込む";
    ImportFile => "CSV file", "CSV ファイル";
    ImportText => "CSV text", "CSV テキスト";
    ImportChooseFile => "Choose a CSV file (or paste its text below)", "CSV ファイルを選択（または下にテキストを貼り付け）";
    ImportFileTooLarge => "The file is over 512 KB: split it into smaller files.", "ファイルが 512 KB を超えています。分割してください。";
    Imported => "Imported", "取り込み件数";
    Duplicates => "already imported, skipped", "件は取り込み済みのためスキップ";
    NothingImported => "Nothing was imported. Fix these lines and import again:", "何も取り込まれませんでした。次の行を修正して再度取り込んでください:";
    Line => "Line", "行";
    Export => "Export CSV", "CSV エクスポート";
    Download => "Download", "ダウンロード";
    Budget => "Budget", "予算";
    BudgetAmount => "Monthly amount", "月額";
    Currency => "Currency", "通貨";
    MinDays => "Forecast alerts from day", "予測アラートの開始日";
    SaveBudget => "Save budget", "予算を保存";
    Thresholds => "Thresholds", "しきい値";
    Percent => "Percent", "割合 (%)";
    Groups => "Recipient groups (comma-separated)", "宛先グループ（カンマ区切り）";
    Action => "Action", "対応";
    SaveThreshold => "Save threshold", "しきい値を保存";
    Edit => "Edit", "編集";
    ConfirmDeleteThreshold => "Delete this threshold?", "このしきい値を削除しますか？";
    Savings => "Savings measures", "コスト削減施策";
    Measure => "Measure", "施策";
    Owner => "Owner", "担当者";
    EstimatedSaving => "Estimated monthly saving", "月間削減見込み";
    Notes => "Notes", "メモ";
    SavingsTotal => "Total estimated saving", "削減見込みの合計";
    OfBudget => "of the budget", "（予算比）";
    StatusPlanned => "planned", "計画中";
    StatusInProgress => "in progress", "実施中";
    StatusDone => "done", "完了";
    StatusDropped => "dropped", "中止";
    FinanceOnly => "Only finance can change costs; you can read everything here.", "コストを変更できるのは財務担当のみです。ここではすべて閲覧できます。";
    BudgetCardTitle => "Budget this month", "今月の予算";
    BudgetCardAlerts => "alerts this month", "件のアラート（今月）";
    Saved => "Saved.", "保存しました。";
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_costs_message_has_both_languages_r_ui_3() {
        for m in CostsMsg::ALL {
            assert!(!m.text(Lang::En).is_empty(), "{m:?} en");
            // `In` reads naturally without a word in Japanese.
            if *m != CostsMsg::In {
                assert!(!m.text(Lang::Ja).is_empty(), "{m:?} ja");
            }
        }
    }
}
