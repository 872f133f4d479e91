//! The deploys pages' texts, in English and Japanese (R-UI-3). `{name}`
//! marks a value filled in by `crate::i18n::fill`.

crate::messages! { pub enum DepMsg {
    Title => "Deploys", "デプロイ";
    DeployTitle => "Deploy", "デプロイ";
    Board => "Environments", "環境";
    ReadOnly => "Approvers deploy and roll back, approvers and operators tick the checklist; you can read everything here.", "デプロイとロールバックは承認者、チェックリストは承認者とオペレーターが行います。ここではすべて閲覧できます。";
    Live => "Live", "稼働中";
    Idle => "Idle", "待機";
    InTransition => "Traffic in transition: {from} → {to}", "トラフィック切替中: {from} → {to}";
    TrafficMoving => "Traffic is between colours: a switch did not finish", "トラフィックが色の間にあります: 切替が完了していません";
    NoVersion => "—", "—";
    Running => "Running", "実行中";
    Queued => "Queued", "待機列";
    LastDeploy => "Last deploy", "前回のデプロイ";
    NoDeployYet => "No deploy yet", "デプロイはまだありません";
    RequestedBy => "requested by {by}", "依頼者 {by}";
    ApprovedBy => "approved by {by}", "承認者 {by}";
    History => "History", "履歴";
    HistoryOf => "History: {env}", "履歴: {env}";
    Driver => "Driver", "ドライバー";
    NeedsChecklist => "checklist required", "チェックリスト必須";
    NeedsApprovals => "{n} approval(s) required", "承認 {n} 件必須";
    FrozenBy => "Code freeze for {release}", "{release} のコードフリーズ中";
    WaitingForYou => "Waiting for your approval", "あなたの承認待ち";
    NothingWaiting => "Nothing is waiting for your approval.", "承認待ちのデプロイはありません。";
    RequestDeploy => "Request a deploy", "デプロイを依頼";
    Environment => "Environment", "環境";
    Version => "Version", "バージョン";
    Commit => "Commit", "コミット";
    Request => "Request", "依頼";
    Requested => "Deploy #{id} requested.", "デプロイ #{id} を依頼しました。";
    NoDeploys => "No deploys in this environment yet.", "この環境のデプロイはまだありません。";
    NoMatchingDeploys => "No deploy matches these filters.", "条件に合うデプロイはありません。";
    AnyStatus => "Any status", "すべての状態";
    Requester => "Requester", "依頼者";
    Filter => "Filter", "絞り込む";
    Newest => "Newest", "最新";
    Newer => "Newer", "新しい方";
    Older => "Older", "古い方";
    Timeline => "Timeline", "タイムライン";
    NoTimeline => "Nothing recorded yet.", "記録はまだありません。";
    ColWhen => "When", "日時";
    ColWho => "Who", "実行者";
    ColWhat => "What", "内容";
    ByOpsdeck => "opsdeck", "opsdeck";
    ColId => "#", "#";
    ColVersion => "Version", "バージョン";
    ColStatus => "Status", "状態";
    ColRequested => "Requested", "依頼";
    ColApprovers => "Approvers", "承認者";
    ColFinished => "Finished", "完了";
    ColSource => "Source", "起点";
    // Statuses.
    StRequested => "Requested", "依頼済み";
    StReady => "Ready", "準備完了";
    StDeployingIdle => "Deploying to the idle colour", "待機側にデプロイ中";
    StHealthChecking => "Health check", "ヘルスチェック中";
    StSwitching => "Switching traffic", "トラフィック切替中";
    StObserving => "Observing", "切替後の監視中";
    StDone => "Done", "完了";
    StFailed => "Failed", "失敗";
    StRollingBack => "Rolling back", "ロールバック中";
    StRolledBack => "Rolled back", "ロールバック済み";
    StInterrupted => "Interrupted", "中断";
    // Deploy page.
    BackToBoard => "All environments", "すべての環境";
    Stages => "Pipeline stages", "パイプラインの段階";
    StageCheckout => "Checkout", "チェックアウト";
    StageInstall => "Install dependencies", "依存関係のインストール";
    StageTest => "Run tests", "テスト実行";
    StageBuild => "Build", "ビルド";
    StageDeploy => "Deploy", "デプロイ";
    StagePending => "pending", "未実行";
    StageRunning => "running", "実行中";
    StageSuccess => "success", "成功";
    StageFailed => "failed", "失敗";
    StageSkipped => "skipped", "スキップ";
    Log => "log", "ログ";
    Checklist => "Checklist", "チェックリスト";
    ChecklistNotNeeded => "This environment needs no checklist.", "この環境ではチェックリストは不要です。";
    Tick => "Tick", "チェック";
    Untick => "Untick", "チェックを外す";
    Evidence => "Evidence link (optional)", "根拠のリンク（任意）";
    EvidenceShort => "evidence", "根拠";
    TickedBy => "{by}, {at}", "{by}、{at}";
    Approvals => "Approvals", "承認";
    ApprovalsCount => "{n} of {m} approvals", "承認 {n} / {m}";
    ApprovalsNotNeeded => "This environment needs no approval.", "この環境では承認は不要です。";
    Approve => "Approve", "承認する";
    Comment => "Comment (optional)", "コメント（任意）";
    NotCounted => "not counted", "数えません";
    NoVotes => "No approvals yet.", "承認はまだありません。";
    Freeze => "Code freeze", "コードフリーズ";
    FreezeBanner => "Production is frozen for release {release} until {end}: this deploy is blocked unless an admin overrides the freeze.", "リリース {release} のコードフリーズ中です（{end} まで）。管理者が解除しない限り、このデプロイは実行できません。";
    OverrideBy => "Freeze overridden by {by} at {at}: {reason}", "{by} が {at} にフリーズを解除: {reason}";
    OverrideReason => "Reason for the override", "解除の理由";
    Override => "Override the freeze", "フリーズを解除";
    Gate => "Can it start?", "開始できますか？";
    GateOk => "The gate holds: checklist, approvals and freeze allow this deploy.", "チェックリスト・承認・フリーズの条件をすべて満たしています。";
    BlockChecklist => "Checklist: {n} item(s) open", "チェックリスト: 未完了 {n} 件";
    BlockApprovals => "Approvals: {n} more needed", "承認: あと {n} 件必要";
    BlockFreeze => "Code freeze until {end}", "{end} までコードフリーズ";
    DeployButton => "Deploy", "デプロイ";
    ConfirmDeploy => "Deploy {version} to {env}?", "{version} を {env} にデプロイしますか？";
    InQueue => "Waiting in the queue: position {n}", "待機列の {n} 番目";
    Rollback => "Roll back", "ロールバック";
    RollbackReason => "Reason for the rollback", "ロールバックの理由";
    ConfirmRollback => "Roll back {env} from {version} to the previous colour?", "{env} を {version} から前の色に戻しますか？";
    RolledBackBy => "Rollback by {by} at {at}: {reason}", "{by} が {at} にロールバック: {reason}";
    Steps => "Blue-green steps", "ブルーグリーンの手順";
    NoSteps => "No step has run yet.", "まだ手順は実行されていません。";
    StepProvision => "Provision the idle colour", "待機側の準備";
    StepHealth => "Health check", "ヘルスチェック";
    StepSwitch => "Switch traffic", "トラフィック切替";
    StepObserve => "Observe", "切替後の監視";
    StepRollback => "Roll back", "ロールバック";
    Output => "Output", "出力";
    MoreOutput => "More output", "続きを表示";
    ExitCode => "exit {code}", "終了コード {code}";
    Failure => "Failure", "失敗の理由";
    LiveUpdate => "Updates every 2 s while the deploy runs · as of {t}", "実行中は 2 秒ごとに更新 · {t} 時点";
    Cancel => "Cancel", "キャンセル";
    Colour => "Colour", "色";
    Blue => "blue", "ブルー";
    Green => "green", "グリーン";
    Health => "Health", "ヘルス";
    SettingsTitle => "Deploy settings", "デプロイ設定";
    Settings => "Settings", "設定";
    Saved => "Saved.", "保存しました。";
    Save => "Save", "保存";
    NeedsChecklistField => "The six-item checklist is required", "6 項目のチェックリストを必須にする";
    ApprovalsField => "Approvals required", "必要な承認数";
    DriverConfig => "Driver configuration (JSON)", "ドライバー設定 (JSON)";
    DriverConfigHint => "command: {\"provision\", \"switch\", \"rollback\", \"health_url\"} · webhook: {\"url\", \"health_url\"} · demo: {} — commands get OPSDECK_ENV, OPSDECK_VERSION and OPSDECK_COLOR; a health URL may contain {color}.", "command: {\"provision\", \"switch\", \"rollback\", \"health_url\"} · webhook: {\"url\", \"health_url\"} · demo: {} — コマンドには OPSDECK_ENV、OPSDECK_VERSION、OPSDECK_COLOR が渡されます。ヘルス URL には {color} を含められます。";
    StepTimeout => "Step timeout (seconds)", "手順のタイムアウト（秒）";
    HealthConsecutive => "Health check: consecutive healthy answers", "ヘルスチェック: 連続成功回数";
    HealthTimeout => "Health check timeout (seconds)", "ヘルスチェックのタイムアウト（秒）";
    HealthInterval => "Health check interval (ms)", "ヘルスチェックの間隔（ミリ秒）";
    ObserveSeconds => "Observation after the switch (seconds)", "切替後の監視時間（秒）";
    DemoNextUnhealthy => "Demo: the next version answers unhealthy (to show a rollback)", "デモ: 次のバージョンを異常にする（ロールバックの確認用）";
    TriggerTitle => "GitHub trigger", "GitHub トリガー";
    TriggerHint => "Payload URL (content type application/json):", "ペイロード URL (content type は application/json):";
    SecretSet => "A webhook secret is set; it is never shown again.", "Webhook シークレットは設定済みです（再表示されません）。";
    SecretNotSet => "No webhook secret is set: every delivery is refused.", "Webhook シークレットが未設定のため、すべての配信を拒否します。";
    SecretField => "New secret (leave empty to keep the current one)", "新しいシークレット（空欄なら現在のまま）";
    RulesField => "Rules, one a line: push <branch> <environment> · release <environment>", "ルール（1 行に 1 つ）: push <ブランチ> <環境> · release <環境>";
    LiveIs => "The live deploy here is #{id}.", "この環境で稼働中のデプロイは #{id} です。";
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_deploys_message_has_both_languages_r_ui_3() {
        for m in DepMsg::ALL {
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
        for m in DepMsg::ALL {
            assert_eq!(names(m.text(Lang::En)), names(m.text(Lang::Ja)), "{m:?}");
        }
    }
}
