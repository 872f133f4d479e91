//! The backups page's texts, in English and Japanese (R-UI-3). `{name}`
//! marks a value filled in by `crate::i18n::fill`.

crate::messages! { pub enum BakMsg {
    Title => "Backups", "バックアップ";
    Sections => "Sections", "セクション";
    ReadOnly => "Only operators run backups and drills or change the schedule, retention and settings; you can read everything here.", "バックアップや訓練の実行、スケジュール・保持・設定の変更はオペレーターのみが行えます。ここではすべて閲覧できます。";
    // The answer.
    RpoInside => "Newest restorable backup {age} — inside the RPO of {rpo}", "最新の復元可能なバックアップは {age} — RPO {rpo}以内";
    RpoOver => "Newest restorable backup {age} — RPO of {rpo} exceeded", "最新の復元可能なバックアップは {age} — RPO {rpo}を超過";
    RpoNone => "No restorable backup — RPO of {rpo} exceeded", "復元可能なバックアップがありません — RPO {rpo}を超過";
    NoWatchedTarget => "No backup target is watched against the RPO.", "RPO を監視しているバックアップ対象はありません。";
    Ago => "{d} ago", "{d}前";
    RtoInside => "{d} — inside the RTO of {rto}", "{d} — RTO {rto}以内";
    RtoOver => "{d} — over the RTO of {rto}", "{d} — RTO {rto}を超過";
    RpoTitle => "Recovery point objective (RPO)", "目標復旧時点 (RPO)";
    RtoTitle => "Recovery time objective (RTO)", "目標復旧時間 (RTO)";
    RpoShort => "RPO", "RPO";
    Objective => "Objective", "目標";
    NoneYet => "none yet", "まだありません";
    NoDrillYet => "No restore drill recorded yet", "リストア訓練の記録はまだありません";
    BreachNotified => "RPO exceeded: oncall was notified", "RPO 超過: oncall に通知済み";
    Since => "since", "開始:";
    LastDrill => "Last drill", "前回の訓練";
    CardIncident => "Incident open: {title}, declared {ago}", "インシデント対応中: {title} ({ago}に宣言)";
    CardNewest => "Newest restorable backup", "最新の復元可能なバックアップ";
    // Targets.
    TargetsTitle => "Targets and schedule", "対象とスケジュール";
    LastBackup => "Last backup", "前回のバックアップ";
    NoRunner => "No built-in runner: this target's backups are reported by their agent (POST /api/v1/backups).", "組み込みランナーはありません。この対象のバックアップはエージェントが報告します (POST /api/v1/backups)。";
    BuiltInRunner => "Built-in runner", "組み込みランナー";
    DefaultDirectory => "<data directory>/backups", "<データディレクトリ>/backups";
    RunnerOff => "switched off", "無効";
    RunNow => "Run backup now", "今すぐバックアップ";
    Running => "running…", "実行中…";
    RunningHint => "Under way: you can leave this page and come back.", "実行中です。このページを離れて後で戻ってきても構いません。";
    StartedAt => "started", "開始";
    BackupRun => "Backup", "バックアップ";
    ScheduleTitle => "Schedule", "スケジュール";
    NoSchedule => "No schedule entries.", "スケジュールはありません。";
    Kind => "Kind", "種類";
    KindFull => "full", "フル";
    KindDifferential => "differential", "差分";
    KindIncremental => "incremental", "増分";
    KindLog => "transaction log", "トランザクションログ";
    Cadence => "Cadence", "頻度";
    CadenceDaily => "daily", "毎日";
    CadenceEvery => "every … from a time", "指定時刻から一定間隔";
    CadenceContinuous => "continuous", "リアルタイム";
    CadenceGit => "kept in Git", "Git 管理";
    CadenceDailyAt => "daily at {t}", "毎日 {t}";
    CadenceEveryFrom => "every {n} from {t}", "{t} から {n} ごと";
    CadenceContinuousEvery => "continuous, at least every {n}", "リアルタイム（少なくとも {n} ごと）";
    CadenceGitText => "kept in Git: nothing expected", "Git 管理: 実行は想定しない";
    Enabled => "Enabled", "有効";
    On => "on", "有効";
    Off => "off", "無効";
    Note => "Note", "メモ";
    Edit => "Edit", "編集";
    Delete => "Delete", "削除";
    ConfirmDeleteSchedule => "Delete the schedule entry \"{entry}\"?", "スケジュール「{entry}」を削除しますか？";
    ScheduleDeleted => "Schedule entry deleted.", "スケジュールを削除しました。";
    ScheduleSaved => "Schedule saved.", "スケジュールを保存しました。";
    AddEntry => "Add a schedule entry", "スケジュールを追加";
    EditEntry => "Change the schedule entry", "スケジュールを変更";
    SaveEntry => "Save entry", "保存";
    AtLocal => "Time (HH:MM, local)", "時刻（HH:MM、設定タイムゾーン）";
    EveryMinutes => "Interval (minutes)", "間隔（分）";
    TimelineTitle => "Expected vs actual runs", "予定と実績";
    TimelineHelp => "The last two days and the next one, in the configured time zone. A slot is kept by a run of its kind (or a fuller one) within the grace; one without is missed and notifies oncall.", "直近 2 日間と翌日（設定タイムゾーン）。猶予時間内に同じ種類（またはより完全な種類）の実行があれば予定どおりとみなし、なければ「未実行」として oncall に通知します。";
    SlotOk => "ok", "完了";
    SlotFailed => "failed", "失敗";
    SlotRunning => "running", "実行中";
    SlotMissed => "missed", "未実行";
    SlotPending => "due", "待機中";
    SlotUpcoming => "upcoming", "予定";
    MissedCount => "{n} missed", "未実行 {n} 件";
    ContinuousSummary => "{ok} slots on time, {upcoming} to come; only the others are shown", "予定どおり {ok} 区間・今後 {upcoming} 区間（それ以外のみ表示）";
    GitNothingExpected => "Kept in Git: no runs are expected.", "Git 管理のため実行は想定していません。";
    Run => "run", "実行";
    // Runs.
    RunsTitle => "Runs", "実行履歴";
    RunsHelp => "Reported by backup agents (POST /api/v1/backups, scope backup) or made by the built-in runner", "バックアップエージェントの報告 (POST /api/v1/backups、スコープ backup) または組み込みランナーの実行";
    RunsCount => "runs", "件";
    RunsEmpty => "No backups reported yet. Agents report their runs with POST /api/v1/backups; operators can run the built-in runner above.", "バックアップの報告はまだありません。エージェントは POST /api/v1/backups で報告します。オペレーターは上の組み込みランナーを実行できます。";
    RunsEmptyFiltered => "No runs match these filters.", "条件に一致する実行はありません。";
    Any => "any", "すべて";
    Target => "Target", "対象";
    Started => "Started", "開始";
    Finished => "Finished", "終了";
    Duration => "Duration", "所要時間";
    Size => "Size", "サイズ";
    Checksum => "Checksum", "チェックサム";
    Location => "Location", "保存先";
    Outcome => "Outcome", "結果";
    OutcomeOk => "ok", "成功";
    OutcomeFailed => "failed", "失敗";
    OutcomeRunning => "running", "実行中";
    ReportedBy => "Reported by", "報告者";
    BuiltIn => "built-in", "組み込み";
    ByHand => "by hand", "手動";
    Output => "Output", "出力";
    WholeOutput => "Show the whole output", "出力をすべて表示";
    DependsOn => "depends on", "依存先";
    Pruned => "pruned", "削除済み";
    // Retention.
    RetentionTitle => "Retention", "保持";
    RetentionHelp => "Grandfather-father-son: the newest backup of each day, week, month and year is kept for its span (policy: 7 days, 4 weeks, 12 months, 5 years). A backup that a kept one depends on is kept too, and so are the logs needed to roll the oldest kept full forward.", "世代管理 (GFS): 日・週・月・年ごとの最新のバックアップをそれぞれの期間保持します（ポリシー: 日次 7日間、週次 4週間、月次 12ヶ月、年次 5年間）。保持するバックアップが依存するバックアップと、最も古い保持中のフルバックアップから復旧するためのログも保持します。";
    Mode => "Reading", "方式";
    ModeWithin => "kept for a span (the policy's reading)", "期間で保持（ポリシーどおり）";
    ModeCount => "counting periods (restic --keep-*)", "期間数で保持 (restic --keep-*)";
    InUse => "in use", "使用中";
    Rule => "Rule", "ルール";
    RuleDaily => "daily", "日次";
    RuleWeekly => "weekly", "週次";
    RuleMonthly => "monthly", "月次";
    RuleYearly => "yearly", "年次";
    KeptFor => "kept for", "保持期間";
    PeriodsKept => "periods kept", "保持する期間数";
    ChangeRetention => "Change the retention", "保持ルールを変更";
    SpanHelp => "Spans like 7d, 4w, 12m, 5y (0 turns a rule off); counts are whole numbers.", "期間は 7d、4w、12m、5y のように入力します（0 でルールを無効化）。期間数は整数です。";
    SaveRetention => "Save retention", "保持ルールを保存";
    RetentionSaved => "Retention saved.", "保持ルールを保存しました。";
    RetentionSummary => "{kept} kept · {due} due for deletion", "保持 {kept} 件・削除対象 {due} 件";
    NewestRestorable => "newest restorable", "最新の復元可能";
    OldestKeptFull => "oldest kept full", "最も古い保持中のフル";
    ChainProblems => "Problems in the dependency data:", "依存関係データの問題:";
    ProblemMissing => "#{id} depends on {dep}, which is missing: it cannot be restored", "#{id} の依存先 {dep} が見つからないため復元できません";
    ProblemDuplicate => "several backups share the id {id}", "ID {id} のバックアップが複数あります";
    ProblemCycle => "the dependencies of #{id} form a cycle", "#{id} の依存関係が循環しています";
    RetentionEmpty => "No backups to keep or delete yet.", "保持・削除の対象となるバックアップはまだありません。";
    DecisionsSummary => "Every backup and why it is kept ({n})", "各バックアップの保持理由 ({n} 件)";
    Backup => "Backup", "バックアップ";
    Decision => "Decision", "判定";
    KeptBy => "Kept by", "保持理由";
    Until => "Due for deletion", "削除予定";
    Kept => "kept", "保持";
    DueForDeletion => "due for deletion", "削除対象";
    DueNow => "due now", "削除可能";
    DueFrom => "from", "予定:";
    UntilDisplaced => "until newer backups replace it", "新しいバックアップに置き換わるまで";
    NotRestorable => "not restorable: its chain is incomplete", "依存関係が欠けているため復元できません";
    ReasonWithin => "{rule} {period}: kept for {span}, until {until}", "{rule} {period}: {span} 保持（{until} まで）";
    ReasonCount => "{rule} {period}: period {slot} of {of}", "{rule} {period}: {of} 期間中 {slot} 番目";
    ReasonOldest => " (the oldest, while the rule has periods left)", "（ルールに空きがあるため最古のものを保持）";
    ReasonNewestRestorable => "the newest restorable backup", "最新の復元可能なバックアップ";
    ReasonNewestBackup => "the newest backup (its chain is incomplete)", "最新のバックアップ（依存関係が不完全）";
    ReasonDependedOn => "needed by #{id}, kept until {until}", "#{id} が依存（{until} まで保持）";
    ReasonPitr => "log to roll the full #{id} forward (point-in-time recovery), until {until}", "フル #{id} からのポイントインタイムリカバリ用ログ（{until} まで）";
    ReasonNoKeptFull => "log kept: no full backup is kept", "保持中のフルバックアップがないためログを保持";
    ReasonEmptyPolicy => "no rule is set: nothing is deleted", "ルールが設定されていないため削除しません";
    PrunePreview => "Prune: dry run", "削除: ドライラン";
    PruneHelp => "Lists what would be deleted; nothing is deleted until you confirm.", "削除対象を一覧表示します。確認するまで何も削除されません。";
    PruneNothing => "Nothing to prune: no built-in backup is due for deletion.", "削除対象の組み込みバックアップはありません。";
    PruneWould => "Confirming deletes these {n} built-in backups and their files:", "確認すると、次の {n} 件の組み込みバックアップとそのファイルを削除します:";
    PruneConfirm => "Delete {n} backups", "{n} 件のバックアップを削除";
    ConfirmPrune => "Delete {n} backups of {target} ({ids}) and their files?", "{target} のバックアップ {n} 件 ({ids}) とそのファイルを削除しますか？";
    PruneExternal => "{n} due backups were reported by an agent: delete them with the agent.", "削除対象のうち {n} 件はエージェントが報告したものです。エージェント側で削除してください。";
    AndMore => "… and {n} more", "… ほか {n} 件";
    PrunedCount => "Pruned {n} backups.", "{n} 件のバックアップを削除しました。";
    FilesMissing => " {n} files were already gone.", " {n} 件のファイルはすでにありませんでした。";
    FilesFailed => " {n} files could not be deleted (see the server log).", " {n} 件のファイルを削除できませんでした（サーバーログを参照）。";
    // Drills.
    DrillsTitle => "Restore drills", "リストア訓練";
    DrillsAnswer => "Each drill's measured time is judged against the RTO.", "各訓練の所要時間を RTO と比較します。";
    DrillHelp => "\"Run drill\" restores the newest built-in full backup into a scratch database, runs a sanity query, times both against the RTO, then drops the database.", "「訓練を実行」は最新の組み込みフルバックアップを一時データベースに復元し、確認クエリを実行して RTO と比較した後、一時データベースを削除します。";
    RunDrill => "Run drill", "訓練を実行";
    DrillRunning => "drill running…", "訓練を実行中…";
    Drill => "Drill", "訓練";
    Restored => "restored backup", "復元したバックアップ";
    DrillsEmpty => "No restore drills yet. Run one, or record a drill done by hand.", "リストア訓練の記録はまだありません。訓練を実行するか、手動で行った訓練を記録してください。";
    AgainstRto => "Against the RTO", "RTO との比較";
    PerformedBy => "Performed by", "実施者";
    Notes => "Notes", "メモ";
    RecordDrill => "Record a drill done by hand", "手動で行った訓練を記録";
    RecordDrillButton => "Record drill", "訓練を記録";
    RestoredRun => "Backup restored (run number, optional)", "復元したバックアップ（実行番号、任意）";
    TimesIn => "Times in", "タイムゾーン:";
    DrillRecorded => "Drill recorded", "訓練を記録しました";
    // Settings.
    SettingsTitle => "Settings", "設定";
    MissedGrace => "Grace before a run is missed", "未実行と判定するまでの猶予";
    ChangeObjectives => "Change the objectives", "目標を変更";
    RpoMinutes => "RPO (minutes)", "RPO（分）";
    RtoMinutes => "RTO (minutes)", "RTO（分）";
    GraceMinutes => "Grace before a run is missed (minutes)", "未実行と判定するまでの猶予（分）";
    SaveSettings => "Save objectives", "目標を保存";
    SettingsSaved => "Objectives saved.", "目標を保存しました。";
    RunnersTitle => "Built-in runners (admins)", "組み込みランナー（管理者）";
    RunnerHelp => "The command runs without a shell; {file}, {database_url}, {database}, {dir}, {target} and {timestamp} are filled in. The password of the database URL goes to the command in PGPASSWORD, never in its arguments.", "コマンドはシェルを介さずに実行され、{file}、{database_url}、{database}、{dir}、{target}、{timestamp} が置き換えられます。データベース URL のパスワードは引数ではなく PGPASSWORD で渡されます。";
    RunnersAdminOnly => "Only admins change a built-in runner (it runs a program on the server).", "組み込みランナーを変更できるのは管理者のみです（サーバー上でプログラムを実行するため）。";
    RunnerOf => "Runner of {target}", "{target} のランナー";
    AddRunnerTo => "Add a built-in runner to {target}", "{target} に組み込みランナーを追加";
    RunnerEnabled => "Runner enabled", "ランナーを有効にする";
    Command => "Command (must contain {file})", "コマンド（{file} を含めること）";
    DatabaseUrl => "Database URL", "データベース URL";
    DatabaseUrlHelp => "Empty: opsdeck's own database. The password is shown as [REDACTED]; leave it so to keep the stored one.", "空欄の場合は opsdeck 自身のデータベースを使います。パスワードは [REDACTED] と表示されます。そのままにすると保存済みのパスワードを維持します。";
    Directory => "Directory", "保存ディレクトリ";
    DirectoryHelp => "Empty: <OPSDECK_DATA_DIR>/backups; a relative path is taken under the data directory.", "空欄の場合は <OPSDECK_DATA_DIR>/backups。相対パスはデータディレクトリからの相対です。";
    TimeoutSeconds => "Backup timeout (seconds)", "バックアップのタイムアウト（秒）";
    DrillTimeoutSeconds => "Drill timeout (seconds)", "訓練のタイムアウト（秒）";
    SaveRunner => "Save runner", "ランナーを保存";
    RunnerSaved => "Runner saved.", "ランナーを保存しました。";
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_backups_message_has_both_languages_r_ui_3() {
        for m in BakMsg::ALL {
            assert!(!m.text(Lang::En).is_empty(), "{m:?} en");
            assert!(!m.text(Lang::Ja).is_empty(), "{m:?} ja");
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            v.sort();
            v
        };
        for m in BakMsg::ALL {
            assert_eq!(names(m.text(Lang::En)), names(m.text(Lang::Ja)), "{m:?}");
        }
    }
}
