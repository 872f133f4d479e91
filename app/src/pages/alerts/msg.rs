//! The alerts page's texts, in English and Japanese (R-UI-3). `{name}`
//! marks a value filled in by `crate::i18n::fill`.

crate::messages! { pub enum AlertMsg {
    Title => "Alerts", "アラート";
    Sections => "Sections", "セクション";
    ReadOnly => "Only operators change rules, acknowledge alerts and manage silences; you can read everything here.", "ルールの変更、アラートの確認、サイレンスの管理はオペレーターのみが行えます。ここではすべて閲覧できます。";
    // The answer.
    AllClear => "No alert is firing · {n} rules watching", "発生中のアラートはありません · {n} 件のルールで監視中";
    FiringNow => "{n} firing · {p} pending", "発生中 {n} 件 · 保留中 {p} 件";
    PendingOnly => "Nothing firing · {p} pending", "発生中なし · 保留中 {p} 件";
    // Sections.
    SectionActive => "Firing and pending", "発生中・保留中";
    SectionRules => "Rules", "ルール";
    SectionSilences => "Silences", "サイレンス";
    SectionYaml => "Import and export", "インポート・エクスポート";
    SectionMetrics => "Metrics and units", "メトリクスと単位";
    NoneActive => "Nothing is firing or pending.", "発生中・保留中のアラートはありません。";
    NoRules => "No rules yet. Create one below or import the policy's YAML.", "ルールはまだありません。下のフォームで作成するか、ポリシーの YAML をインポートしてください。";
    // Columns.
    ColRule => "Rule", "ルール";
    ColEnvironment => "Environment", "環境";
    ColState => "State", "状態";
    ColSince => "Since", "開始";
    ColValue => "Last value", "直近の値";
    ColCondition => "Condition", "条件";
    ColDuration => "For", "継続時間";
    ColSeverity => "Severity", "重大度";
    ColNotify => "Notifies", "通知先";
    ColActions => "Actions", "操作";
    ColMetric => "Metric", "メトリクス";
    ColUnit => "Unit", "単位";
    ColMeaning => "What it measures", "内容";
    ColWhen => "When", "日時";
    ColWhat => "What", "内容";
    ColScope => "Applies to", "対象";
    ColComment => "Comment", "コメント";
    ColBy => "By", "実行者";
    // States and severities.
    StateInactive => "OK", "正常";
    StatePending => "Pending", "保留中";
    StateFiring => "Firing", "発生中";
    StateResolved => "Resolved", "解消";
    NoData => "no data yet", "データなし";
    SevCritical => "Critical", "重大";
    SevWarning => "Warning", "警告";
    SevInfo => "Info", "情報";
    Disabled => "switched off", "無効";
    BuiltIn => "built-in burn rate", "組み込み (バジェット消費速度)";
    Silenced => "silenced", "サイレンス中";
    Acked => "acknowledged by {who} {when}: {comment}", "{who} さんが確認済み ({when}): {comment}";
    GroupLabel => "group {g}", "グループ {g}";
    // Rule actions.
    Edit => "Edit", "編集";
    Disable => "Switch off", "無効にする";
    Enable => "Switch on", "有効にする";
    ConfirmDisable => "Switch off the rule “{name}”? It stops being evaluated and its current alerts are forgotten (the history stays).", "ルール「{name}」を無効にしますか？評価が止まり、現在のアラート状態は消去されます (履歴は残ります)。";
    History => "History", "履歴";
    Acknowledge => "Acknowledge", "確認";
    AckComment => "What are you doing about it?", "対応内容";
    AckSubmit => "Acknowledge {rule} on {env}", "{env} の {rule} を確認済みにする";
    // Rule form.
    NewRule => "New rule", "ルールを作成";
    EditRule => "Edit rule {name}", "ルール {name} を編集";
    FieldName => "Name", "名前";
    FieldCondition => "Condition", "条件";
    ConditionHelp => "A metric, a comparison and a threshold: error_rate > 5%, response_time_p95 > 500ms. A threshold without a unit is in the metric's own unit (disk_usage > 90 is 90 %).", "メトリクス・比較演算子・閾値で書きます: error_rate > 5%、response_time_p95 > 500ms。単位のない閾値はメトリクスの単位とみなします (disk_usage > 90 は 90 %)。";
    FieldDuration => "Must hold for", "継続時間";
    DurationHelp => "30s, 5m, 1h or 1d; 0s fires at once.", "30s・5m・1h・1d。0s で即時に発生します。";
    FieldSeverity => "Severity", "重大度";
    FieldChannels => "Channels (separated by commas)", "通知チャネル (カンマ区切り)";
    ChannelsHelp => "Known channels: {list}", "利用できるチャネル: {list}";
    FieldGroup => "Recipient group (inbox and the group's channels)", "通知先グループ (受信箱とグループのチャネル)";
    CreateRule => "Create rule", "ルールを作成";
    SaveRule => "Save rule {name}", "ルール {name} を保存";
    CancelEdit => "Cancel", "キャンセル";
    RuleCreated => "Rule created.", "ルールを作成しました。";
    RuleSaved => "Rule saved.", "ルールを保存しました。";
    // History.
    HistoryOf => "History of {name}", "{name} の履歴";
    NoHistory => "No transitions yet.", "状態の変化はまだありません。";
    CloseHistory => "Close history", "履歴を閉じる";
    KindPending => "Pending", "保留";
    KindFiring => "Firing", "発生";
    KindResolved => "Resolved", "解消";
    KindCleared => "Cleared before firing", "発生前に解消";
    KindAcknowledged => "Acknowledged", "確認";
    Notified => "notified", "通知済み";
    HeldBack => "held back by a silence", "サイレンスにより通知保留";
    // Silences.
    SilenceHelp => "A silence holds back notifications; alerts are still evaluated and kept in the history.", "サイレンス中は通知を止めます。アラートの評価と履歴の記録は続きます。";
    NoSilences => "No silence is set. Add one to hold back notifications during planned work.", "サイレンスはありません。計画作業中の通知を止めるには追加してください。";
    AllRules => "every rule", "すべてのルール";
    AllEnvironments => "every environment", "すべての環境";
    RecOnce => "the whole time", "期間中ずっと";
    RecMonthly => "monthly, {week} {weekday} {start} for {minutes} min", "毎月 第{week}{weekday} {start} から {minutes} 分間";
    RecMaintenance => "while a planned maintenance window is open", "計画メンテナンス中のみ";
    ActiveNow => "holding now", "現在有効";
    FromUntil => "{from} – {until}", "{from} 〜 {until}";
    NewSilence => "New silence", "サイレンスを作成";
    FieldRule => "Rule", "ルール";
    FieldEnvironment => "Environment", "環境";
    FieldStarts => "Starts (empty: now)", "開始 (空欄: 今すぐ)";
    FieldEnds => "Ends", "終了";
    FieldRecurrence => "Holds", "有効な時間";
    FieldWeek => "Week of the month", "第何週";
    FieldWeekday => "Weekday", "曜日";
    FieldStart => "Local start", "開始時刻";
    FieldMinutes => "Minutes", "分";
    FieldComment => "Comment", "コメント";
    CreateSilence => "Create silence", "サイレンスを作成";
    SilenceCreated => "Silence created.", "サイレンスを作成しました。";
    DeleteSilence => "Delete", "削除";
    ConfirmDeleteSilence => "Delete the silence for {scope} ending {until}? Notifications are sent again.", "{scope} のサイレンス ({until} まで) を削除しますか？通知が再開されます。";
    WeekFirst => "first", "1";
    WeekSecond => "second", "2";
    WeekThird => "third", "3";
    WeekFourth => "fourth", "4";
    WeekLast => "last", "最終";
    Mon => "Monday", "月曜日";
    Tue => "Tuesday", "火曜日";
    Wed => "Wednesday", "水曜日";
    Thu => "Thursday", "木曜日";
    Fri => "Friday", "金曜日";
    Sat => "Saturday", "土曜日";
    Sun => "Sunday", "日曜日";
    // YAML.
    ImportTitle => "Import rules (YAML)", "ルールのインポート (YAML)";
    ImportHelp => "The policy's format: `alerts:` with name, condition, duration, severity and notify. Comments, quoted strings and flow lists are fine. Rules with an existing name are updated; if anything is wrong, nothing is stored.", "ポリシーの形式 (`alerts:` の下に name・condition・duration・severity・notify) で書きます。コメント、引用符付き文字列、フロー形式のリストも使えます。同名のルールは更新されます。1 つでも誤りがあれば何も保存されません。";
    ImportFile => "YAML file", "YAML ファイル";
    ImportText => "YAML", "YAML";
    ImportSubmit => "Import rules", "ルールをインポート";
    Imported => "Imported: {c} created, {u} updated.", "インポートしました: 作成 {c} 件、更新 {u} 件。";
    NothingImported => "Nothing was imported:", "何もインポートされませんでした:";
    FileTooLarge => "The file is over 256 KB.", "ファイルが 256 KB を超えています。";
    ExportButton => "Export rules as YAML", "ルールを YAML でエクスポート";
    Download => "Download {name}", "{name} をダウンロード";
} }
