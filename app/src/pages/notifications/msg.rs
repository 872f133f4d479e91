//! The notification pages' texts, in English and Japanese (R-UI-3).

crate::messages! { pub enum NotifyMsg {
    AdminNotifications => "Notifications", "通知";
    ChannelsTitle => "Channels", "通知チャンネル";
    ChannelsAnswer => "Where opsdeck sends messages: Slack, PagerDuty, e-mail and webhooks. Secrets are write-only.", "opsdeck がメッセージを送る先（Slack・PagerDuty・メール・Webhook）。シークレットは書き込み専用です。";
    ChannelsEmpty => "No channels yet. Add one below.", "チャンネルはまだありません。下のフォームから追加してください。";
    GroupsTitle => "Recipient groups", "宛先グループ";
    GroupsAnswer => "Areas address groups; a group reaches its users' inboxes and its channels.", "各機能はグループ宛てに通知します。グループのユーザーの受信箱とチャンネルに届きます。";
    DeliveriesTitle => "Deliveries", "配信履歴";
    DeliveriesAnswer => "Every message to every channel, with each attempt.", "各チャンネルへの全メッセージと、その試行の記録です。";
    DeliveriesEmpty => "No deliveries match. Messages appear here once an area notifies a group with channels.", "該当する配信はありません。チャンネルのあるグループへ通知されるとここに表示されます。";
    InboxTitle => "Inbox", "受信箱";
    InboxAnswer => "Messages for your groups and roles.", "あなたのグループとロール宛てのメッセージです。";
    InboxEmpty => "Nothing here. Messages for your groups and roles will appear here.", "メッセージはありません。あなたのグループやロール宛ての通知がここに表示されます。";
    InboxUnreadOnly => "Unread only", "未読のみ";
    InboxAll => "All", "すべて";
    MarkRead => "Mark read", "既読にする";
    MarkAllRead => "Mark all read", "すべて既読にする";
    Unread => "unread", "未読";
    Open => "Open", "開く";
    Name => "Name", "名前";
    Kind => "Kind", "種類";
    Status => "Status", "状態";
    Target => "Target", "送信先";
    Pending => "Pending", "待機中";
    Failed24h => "Failed (24 h)", "失敗（24 時間）";
    Actions => "Actions", "操作";
    Edit => "Edit", "編集";
    Delete => "Delete", "削除";
    SendTest => "Send test", "テスト送信";
    Sending => "Sending…", "送信中…";
    TestOk => "Delivered", "送信成功";
    TestFailed => "Failed", "送信失敗";
    Configured => "configured", "設定済み";
    NotConfigured => "not configured", "未設定";
    SwitchedOff => "off", "停止中";
    NewChannel => "Add a channel", "チャンネルを追加";
    EditChannel => "Edit channel", "チャンネルを編集";
    Save => "Save", "保存";
    Cancel => "Cancel", "キャンセル";
    Saved => "Saved.", "保存しました。";
    Enabled => "Send to this channel", "このチャンネルに送信する";
    Language => "Message language", "メッセージの言語";
    MinInterval => "At most one message per (ms, 0 = no limit)", "最小送信間隔（ミリ秒、0 = 制限なし）";
    Url => "URL", "URL";
    PagerdutyUrl => "Events API URL", "Events API の URL";
    SmtpHost => "SMTP host", "SMTP ホスト";
    SmtpPort => "SMTP port", "SMTP ポート";
    SmtpSecurity => "Connection security", "接続の暗号化";
    SmtpUsername => "SMTP user (empty: no login)", "SMTP ユーザー（空欄: 認証なし）";
    EmailFrom => "From", "差出人";
    EmailTo => "To (comma-separated)", "宛先（カンマ区切り）";
    SecretSlack => "Incoming webhook URL (secret)", "Incoming Webhook の URL（シークレット）";
    SecretPagerduty => "Routing key (secret)", "ルーティングキー（シークレット）";
    SecretEmail => "SMTP password (secret)", "SMTP パスワード（シークレット）";
    SecretWebhook => "Signing secret for X-Opsdeck-Signature-256 (optional)", "X-Opsdeck-Signature-256 の署名シークレット（任意）";
    SecretKept => "A secret is set. Leave empty to keep it.", "シークレットは設定済みです。変更しない場合は空欄のままにしてください。";
    ClearSecret => "Remove the stored secret", "保存されたシークレットを削除する";
    ConfirmDeleteChannel => "Delete the channel", "チャンネルを削除しますか:";
    ConfirmDeleteGroup => "Delete the group", "グループを削除しますか:";
    Description => "Description", "説明";
    Users => "Users", "ユーザー";
    Roles => "Roles", "ロール";
    Channels => "Channels", "チャンネル";
    Reserved => "used by opsdeck", "opsdeck が使用";
    NewGroup => "Add a group", "グループを追加";
    EditGroup => "Edit group", "グループを編集";
    NoMembers => "nobody", "なし";
    When => "Queued", "登録日時";
    Message => "Message", "メッセージ";
    Group => "Group", "グループ";
    Channel => "Channel", "チャンネル";
    Attempts => "Attempts", "試行";
    NextAttempt => "Next attempt", "次回試行";
    LastError => "Last error", "最後のエラー";
    Retry => "Retry now", "今すぐ再試行";
    AnyStatus => "any status", "すべての状態";
    StatusPending => "pending", "待機中";
    StatusDelivered => "delivered", "配信済み";
    StatusFailed => "failed", "失敗";
    StatusSkipped => "skipped", "スキップ";
    EventKind => "Event", "イベント";
    History => "Attempt history", "試行履歴";
}}

#[cfg(test)]
mod tests {
    use super::NotifyMsg;
    use crate::i18n::Lang;

    #[test]
    fn every_notification_text_has_both_languages_r_ui_3() {
        for m in NotifyMsg::ALL {
            assert!(!m.text(Lang::En).is_empty(), "{m:?} en");
            assert!(!m.text(Lang::Ja).is_empty(), "{m:?} ja");
        }
    }
}
