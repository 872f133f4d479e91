//! Texts of the release calendar, in English and Japanese (R-UI-3).

crate::messages! { pub enum CalMsg {
    Title => "Release calendar", "リリースカレンダー";
    BackToReleases => "← All releases", "← リリース一覧";
    MonthNav => "Month", "月の切り替え";
    Today => "Today", "今日";
    TodayLink => "This month", "今月";
    Month => "Month", "表示する月";
    Show => "Show", "表示";
    ShowThisMonth => "Show this month", "今月を表示";
    TimesIn => "Days and times in", "日付と時刻のタイムゾーン:";
    Summary => "Release days: {r} · other milestones: {m} · maintenance windows: {w}", "リリース日 {r} 件 · その他のマイルストーン {m} 件 · メンテナンス {w} 件";
    FrozenToday => "Code freeze in effect today:", "本日はコードフリーズ期間中です:";
    MonthEmpty => "Nothing is planned this month: no milestones, code freezes or maintenance windows. Releases are planned on the releases page; maintenance windows on the maintenance page.", "この月の予定はありません（マイルストーン、コードフリーズ、メンテナンスなし）。リリースはリリース一覧で、メンテナンスはメンテナンスのページで計画できます。";
    Mon => "Mon", "月";
    Tue => "Tue", "火";
    Wed => "Wed", "水";
    Thu => "Thu", "木";
    Fri => "Fri", "金";
    Sat => "Sat", "土";
    Sun => "Sun", "日";
    Monday => "Monday", "月曜日";
    Tuesday => "Tuesday", "火曜日";
    Wednesday => "Wednesday", "水曜日";
    Thursday => "Thursday", "木曜日";
    Friday => "Friday", "金曜日";
    Saturday => "Saturday", "土曜日";
    Sunday => "Sunday", "日曜日";
    January => "January", "1月";
    February => "February", "2月";
    March => "March", "3月";
    April => "April", "4月";
    May => "May", "5月";
    June => "June", "6月";
    July => "July", "7月";
    August => "August", "8月";
    September => "September", "9月";
    October => "October", "10月";
    November => "November", "11月";
    December => "December", "12月";
    Freeze => "freeze", "フリーズ";
    FreezeOf => "Code freeze of v{v}", "v{v} のコードフリーズ期間";
    Released => "released", "リリース済み";
    Maintenance => "Maintenance", "メンテナンス";
    MaintenanceDefault => "planned maintenance", "計画メンテナンス";
    Legend => "Legend", "凡例";
    LegendMilestones => "Milestones: open the release", "マイルストーン（クリックでリリースを表示）";
    LegendFreeze => "Code freeze period (from code freeze up to release day)", "コードフリーズ期間（コードフリーズ日からリリース前日まで）";
    LegendMaintenance => "Planned maintenance window, local time", "計画メンテナンス枠（現地時刻）";
    LegendToday => "Today", "今日";
    LegendOutside => "Day of the previous or next month", "前後の月の日";
    Agenda => "Agenda", "予定一覧";
    FeedTitle => "Subscribe in your calendar app", "カレンダーアプリで購読";
    FeedExplain => "Google Calendar, Outlook and Apple Calendar can subscribe to a secret URL (iCalendar, .ics) with every release milestone and planned maintenance window; the apps refresh it on their own. Anyone who has the URL can read the calendar, so keep it to yourself.", "Google カレンダー、Outlook、Apple カレンダーは、すべてのリリースのマイルストーンと計画メンテナンスを載せた秘密の URL（iCalendar 形式、.ics）を購読できます。更新はアプリが自動で行います。URL を知っている人は誰でもカレンダーを読めるため、他人と共有しないでください。";
    FeedHowTo => "Google Calendar: Other calendars → From URL. Outlook: Add calendar → Subscribe from web. Apple Calendar: File → New Calendar Subscription.", "Google カレンダー: 他のカレンダー → URL で追加。Outlook: カレンダーを追加 → Web から購読。Apple カレンダー: ファイル → 新規カレンダー照会。";
    FeedCreatedAt => "Your current subscription URL was created", "現在の購読 URL の作成日時:";
    FeedNone => "You have no subscription URL yet.", "購読 URL はまだありません。";
    FeedCreate => "Create subscription URL", "購読 URL を作成";
    FeedRegenerate => "Regenerate URL", "URL を再発行";
    FeedWorking => "Creating…", "作成中…";
    FeedRegenerateNote => "Regenerating makes a new URL; the old one stops working at once.", "再発行すると新しい URL が作られ、古い URL はすぐに使えなくなります。";
    FeedConfirm => "Regenerate your calendar subscription URL? The current URL stops working at once: calendar apps that use it must subscribe again with the new URL.", "カレンダーの購読 URL を再発行しますか？現在の URL はすぐに使えなくなり、購読中のカレンダーアプリでは新しい URL で購読し直す必要があります。";
    FeedUrl => "Your subscription URL", "あなたの購読 URL";
    FeedShownOnce => "Copy it now: it is shown only once. If you lose it, regenerate it.", "今すぐコピーしてください。この URL は一度しか表示されません。紛失した場合は再発行してください。";
    FeedNeedsScript => "Creating a subscription URL needs JavaScript.", "購読 URL の作成には JavaScript が必要です。";
} }

#[cfg(test)]
mod tests {
    use super::CalMsg;
    use crate::i18n::Lang;

    #[test]
    fn every_calendar_text_has_both_languages_r_ui_3() {
        for m in CalMsg::ALL {
            assert!(
                !m.text(Lang::En).is_empty() && !m.text(Lang::Ja).is_empty(),
                "{m:?}"
            );
        }
    }
}
