//! The events areas notify about, each with a Japanese and an English text.
//!
//! An event is stored as tagged JSON in the outbox and rendered when it is
//! sent (in the channel's language) or shown (in the reader's language), so
//! the words can be fixed later without rewriting stored messages.

use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

/// How urgent a message is; PagerDuty and the inbox show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// Something opsdeck tells people about. New areas add variants here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Emergency maintenance mode was switched on (R-MNT-3).
    MaintenanceOn {
        by: String,
        message: String,
        /// Estimated end, already formatted in the configured zone.
        estimated_end: Option<String>,
        /// When this spell of maintenance began: it names the PagerDuty incident.
        started_at: chrono::DateTime<chrono::Utc>,
    },
    /// Emergency maintenance mode was switched off.
    MaintenanceOff {
        by: String,
        /// When the spell that ended began; its incident is resolved.
        started_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// An admin set a new password for the user (in-app only).
    PasswordReset { by: String },
    /// The "Send test" button of a channel.
    ChannelTest { channel: String, by: String },
    /// A budget threshold crossed this month by actual spend or by the
    /// forecast (R-COST-3); once per month, threshold and basis.
    BudgetThreshold {
        /// `2026-11`
        month: String,
        percent: u32,
        /// `actual` or `forecast`
        basis: String,
        spend: opsdeck::costs::Cents,
        budget: opsdeck::costs::Cents,
        currency: String,
        /// What to do (may be empty).
        action: String,
    },
    /// A planned maintenance window announced a week ahead, moved, or cancelled (R-MNT-2).
    MaintenanceWindow {
        window_id: i64,
        /// `announced`, `changed` or `cancelled`.
        what: String,
        /// Start and end, formatted in the configured zone.
        starts: String,
        ends: String,
        reason: String,
        quarterly: bool,
    },
    /// A release was published (R-REL-5).
    ReleasePublished {
        release_id: i64,
        version: String,
        by: String,
    },
    /// A scheduled backup did not run within its grace (R-BAK-1); once per slot.
    BackupMissed {
        target_id: i64,
        target: String,
        target_ja: String,
        /// `full`, `differential`, `incremental` or `log`.
        kind: String,
        /// When it was due, formatted in the configured zone.
        expected: String,
        grace_minutes: i64,
    },
    /// The newest restorable point of a target is older than the RPO (R-BAK-3); once per breach.
    BackupRpoBreached {
        target_id: i64,
        target: String,
        target_ja: String,
        /// `None`: nothing restorable at all.
        age_minutes: Option<i64>,
        rpo_minutes: i64,
        /// The newest restorable point, formatted in the configured zone.
        newest: Option<String>,
    },
    /// A target is back within its RPO; once per breach.
    BackupRpoRecovered {
        target_id: i64,
        target: String,
        target_ja: String,
        age_minutes: Option<i64>,
        rpo_minutes: i64,
        newest: Option<String>,
    },
    /// A disaster-recovery incident was declared: the runbook is open (R-BAK-4).
    IncidentDeclared {
        incident_id: i64,
        title: String,
        /// `critical`, `major` or `minor`.
        severity: String,
        by: String,
        /// When, formatted in the configured zone.
        declared: String,
        rto_minutes: i64,
    },
    /// A disaster-recovery incident was resolved (R-BAK-4).
    IncidentResolved {
        incident_id: i64,
        title: String,
        by: String,
        /// When, formatted in the configured zone.
        resolved: String,
        /// From declaration to service resumed, if it was recorded.
        recovery_minutes: Option<i64>,
        rto_minutes: i64,
    },
    /// A deploy needs approvers' votes before it may start (R-DEP-5); once per deploy.
    DeployAwaitingApproval {
        deploy_id: i64,
        /// The environment's key (`production`).
        environment: String,
        version: String,
        requested_by: String,
    },
    /// A deploy failed (R-DEP-7): a step's driver failed, the health check did
    /// not pass, a rollback failed, or a restart found it mid-switch; once per deploy and cause.
    DeployFailed {
        deploy_id: i64,
        /// The environment's key (`production`).
        environment: String,
        version: String,
        /// The step it failed in (`provision`, `health_check`, `switch`, `observe`, `rollback`).
        step: String,
        reason: String,
    },
    /// opsdeck sends traffic back by itself (R-DEP-7): the switch failed or the
    /// new colour was unhealthy while observed; once per deploy.
    DeployAutoRollback {
        deploy_id: i64,
        environment: String,
        version: String,
        reason: String,
    },
    /// An alert rule fired in an environment (R-MON-4); once per firing.
    AlertFiring {
        rule_id: i64,
        rule: String,
        /// The environment's key (`production`).
        environment: String,
        /// `critical`, `warning` or `info`.
        severity: String,
        condition: String,
        /// The sample that made it fire, with its unit (`7.2%`).
        value: String,
        /// When the condition started to hold, formatted in the configured zone.
        since: String,
        /// The same instant: it names this firing's PagerDuty incident.
        started_at: chrono::DateTime<chrono::Utc>,
    },
    /// A firing alert resolved (R-MON-4); once per firing.
    AlertResolved {
        rule_id: i64,
        rule: String,
        environment: String,
        severity: String,
        condition: String,
        /// When the firing that resolved started to hold (its PagerDuty incident).
        started_at: chrono::DateTime<chrono::Utc>,
        /// The last sample, with its unit; `None` when the data stopped.
        value: Option<String>,
        /// When, formatted in the configured zone.
        resolved: String,
    },
}

/// An event in one language, ready for a channel or the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub title: String,
    pub body: String,
    /// Path inside opsdeck the message is about (`/maintenance`).
    pub link: String,
}

impl Event {
    /// The stable name of the event kind (the filter on the deliveries page).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::MaintenanceOn { .. } => "maintenance.on",
            Event::MaintenanceOff { .. } => "maintenance.off",
            Event::PasswordReset { .. } => "account.password_reset",
            Event::ChannelTest { .. } => "channel.test",
            Event::BudgetThreshold { .. } => "costs.budget_threshold",
            Event::MaintenanceWindow { .. } => "maintenance.window",
            Event::ReleasePublished { .. } => "releases.published",
            Event::BackupMissed { .. } => "backups.missed",
            Event::BackupRpoBreached { .. } => "backups.rpo_breached",
            Event::BackupRpoRecovered { .. } => "backups.rpo_recovered",
            Event::IncidentDeclared { .. } => "incidents.declared",
            Event::IncidentResolved { .. } => "incidents.resolved",
            Event::DeployAwaitingApproval { .. } => "deploys.awaiting_approval",
            Event::DeployFailed { .. } => "deploys.failed",
            Event::DeployAutoRollback { .. } => "deploys.auto_rollback",
            Event::AlertFiring { .. } => "alerts.firing",
            Event::AlertResolved { .. } => "alerts.resolved",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Event::MaintenanceOn { .. } => Severity::Warning,
            Event::BudgetThreshold { percent, basis, .. } => {
                if *percent >= 100 && basis == "actual" {
                    Severity::Critical
                } else {
                    Severity::Warning
                }
            }
            Event::MaintenanceOff { .. }
            | Event::MaintenanceWindow { .. }
            | Event::ReleasePublished { .. }
            | Event::PasswordReset { .. }
            | Event::ChannelTest { .. } => Severity::Info,
            Event::BackupMissed { .. } => Severity::Warning,
            Event::BackupRpoBreached { .. } => Severity::Critical,
            Event::BackupRpoRecovered { .. } => Severity::Info,
            Event::IncidentDeclared { severity, .. } => {
                if severity == "minor" {
                    Severity::Warning
                } else {
                    Severity::Critical
                }
            }
            Event::IncidentResolved { .. } => Severity::Info,
            Event::DeployAwaitingApproval { .. } => Severity::Info,
            Event::AlertFiring { severity, .. } => {
                Severity::parse(severity).unwrap_or(Severity::Critical)
            }
            Event::AlertResolved { .. } => Severity::Info,
            // Production's users are affected; elsewhere it is a team's problem.
            Event::DeployFailed { environment, .. }
            | Event::DeployAutoRollback { environment, .. } => {
                if environment == "production" {
                    Severity::Critical
                } else {
                    Severity::Warning
                }
            }
        }
    }

    /// The words in `lang`.
    pub fn render(&self, lang: Lang) -> Rendered {
        let ja = lang == Lang::Ja;
        let (title, body, link) = match self {
            Event::MaintenanceOn {
                by,
                message,
                estimated_end,
                ..
            } => {
                let end = estimated_end.clone().unwrap_or_else(|| "—".into());
                if ja {
                    (
                        "緊急メンテナンスモードを開始しました".to_string(),
                        format!("{by} さんが開始しました。メッセージ: {message} / 終了予定: {end}"),
                        "/maintenance",
                    )
                } else {
                    (
                        "Maintenance mode switched on".to_string(),
                        format!("Switched on by {by}. Message: {message} · Estimated end: {end}"),
                        "/maintenance",
                    )
                }
            }
            Event::MaintenanceOff { by, .. } => {
                if ja {
                    (
                        "緊急メンテナンスモードを終了しました".to_string(),
                        format!("{by} さんが終了しました。サービスは通常どおり応答します。"),
                        "/maintenance",
                    )
                } else {
                    (
                        "Maintenance mode switched off".to_string(),
                        format!("Switched off by {by}. The service answers normally again."),
                        "/maintenance",
                    )
                }
            }
            Event::PasswordReset { by } => {
                if ja {
                    (
                        "パスワードが再設定されました".to_string(),
                        format!("管理者 {by} さんがあなたのパスワードを再設定しました。心当たりがない場合は管理者に連絡してください。"),
                        "/account",
                    )
                } else {
                    (
                        "Your password was reset".to_string(),
                        format!("The admin {by} set a new password for you. If you did not expect this, tell an admin."),
                        "/account",
                    )
                }
            }
            Event::ChannelTest { channel, by } => {
                if ja {
                    (
                        format!("opsdeck テスト通知 ({channel})"),
                        format!("{by} さんが送信したテストです。このメッセージが届いていれば設定は正しく動作しています。"),
                        "/admin/channels",
                    )
                } else {
                    (
                        format!("opsdeck test message ({channel})"),
                        format!("A test sent by {by}. If you can read this, the channel works."),
                        "/admin/channels",
                    )
                }
            }
            Event::MaintenanceWindow {
                what,
                starts,
                ends,
                reason,
                quarterly,
                ..
            } => {
                let (what_ja, what_en) = match what.as_str() {
                    "cancelled" => ("中止", "cancelled"),
                    "changed" => ("日時変更", "moved"),
                    _ => ("予定", "planned"),
                };
                let reason_ja = if reason.is_empty() {
                    "定期メンテナンス".to_string()
                } else {
                    reason.clone()
                };
                let reason_en = if reason.is_empty() {
                    "monthly maintenance".to_string()
                } else {
                    reason.clone()
                };
                let q_ja = if *quarterly {
                    "（四半期作業を含む）"
                } else {
                    ""
                };
                let q_en = if *quarterly {
                    " (with the quarterly tasks)"
                } else {
                    ""
                };
                if ja {
                    (
                        format!("計画メンテナンスのお知らせ（{what_ja}）: {starts} – {ends}"),
                        format!("{starts} から {ends} まで計画メンテナンスを行います{q_ja}。内容: {reason_ja}。この間サービスは停止します。"),
                        "/maintenance",
                    )
                } else {
                    (
                        format!("Planned maintenance {what_en}: {starts} – {ends}"),
                        format!("Planned maintenance from {starts} to {ends}{q_en}: {reason_en}. The service is unavailable meanwhile."),
                        "/maintenance",
                    )
                }
            }
            Event::BudgetThreshold {
                month,
                percent,
                basis,
                spend,
                budget,
                currency,
                action,
            } => {
                use crate::api::costs::view::money;
                let spend = money(*spend, currency);
                let budget = money(*budget, currency);
                let forecast = basis == "forecast";
                if ja {
                    let what = if forecast { "予測" } else { "実績" };
                    let action = if action.is_empty() {
                        String::new()
                    } else {
                        format!(" 対応: {action}")
                    };
                    (
                        format!("{month} の予算の {percent}% に達しました（{what}）"),
                        format!("{month} の{what}は {spend} で、予算 {budget} の {percent}% 以上です。{action}"),
                        "/costs",
                    )
                } else {
                    let what = if forecast {
                        "The month-end forecast"
                    } else {
                        "Spend this month"
                    };
                    let action = if action.is_empty() {
                        String::new()
                    } else {
                        format!(" Action: {action}.")
                    };
                    (
                        format!(
                            "Budget {percent}% reached for {month} ({})",
                            if forecast { "forecast" } else { "actual" }
                        ),
                        format!("{what} is {spend}, at least {percent}% of the budget of {budget}.{action}"),
                        "/costs",
                    )
                }
            }
            Event::ReleasePublished { version, by, .. } => {
                if ja {
                    (
                        format!("v{version} をリリースしました"),
                        format!("{by} さんが v{version} を公開しました。リリースノートは opsdeck で読めます。"),
                        "/releases",
                    )
                } else {
                    (
                        format!("v{version} released"),
                        format!("{by} published v{version}. Its release notes are in opsdeck."),
                        "/releases",
                    )
                }
            }
            Event::BackupMissed {
                target,
                target_ja,
                kind,
                expected,
                grace_minutes,
                ..
            } => {
                if ja {
                    let kind_ja = match kind.as_str() {
                        "full" => "フルバックアップ",
                        "differential" => "差分バックアップ",
                        "incremental" => "増分バックアップ",
                        _ => "トランザクションログ",
                    };
                    (
                        format!("バックアップ未実行: {target_ja} の{kind_ja}（{expected}）"),
                        format!("{expected} に予定されていた{target_ja}の{kind_ja}が {grace_minutes} 分以内に実行されませんでした。バックアップエージェントを確認してください。"),
                        "/backups",
                    )
                } else {
                    (
                        format!("Backup missed: {target} {kind} due {expected}"),
                        format!("The {kind} backup of {target} due at {expected} did not run within {grace_minutes} minutes. Check the backup agent."),
                        "/backups",
                    )
                }
            }
            Event::BackupRpoBreached {
                target,
                target_ja,
                age_minutes,
                rpo_minutes,
                newest,
                ..
            } => {
                let newest = newest.clone().unwrap_or_else(|| "—".into());
                if ja {
                    let age = age_minutes
                        .map(|a| format!("{a} 分前"))
                        .unwrap_or_else(|| "復元できる時点がありません".into());
                    (
                        format!("RPO 超過: {target_ja}"),
                        format!("{target_ja}の最新の復元可能時点（{newest}）は {age} で、RPO {rpo_minutes} 分を超えています。"),
                        "/backups",
                    )
                } else {
                    let age = age_minutes
                        .map(|a| format!("{a} minutes old"))
                        .unwrap_or_else(|| "missing: nothing can be restored".into());
                    (
                        format!("RPO exceeded: {target}"),
                        format!("The newest restorable point of {target} ({newest}) is {age}, over the RPO of {rpo_minutes} minutes."),
                        "/backups",
                    )
                }
            }
            Event::BackupRpoRecovered {
                target,
                target_ja,
                age_minutes,
                rpo_minutes,
                newest,
                ..
            } => {
                let newest = newest.clone().unwrap_or_else(|| "—".into());
                let age = age_minutes.unwrap_or(0);
                if ja {
                    (
                        format!("RPO 回復: {target_ja}"),
                        format!("{target_ja}の最新の復元可能時点（{newest}）は {age} 分前で、RPO {rpo_minutes} 分以内に戻りました。"),
                        "/backups",
                    )
                } else {
                    (
                        format!("RPO met again: {target}"),
                        format!("The newest restorable point of {target} ({newest}) is {age} minutes old, within the RPO of {rpo_minutes} minutes again."),
                        "/backups",
                    )
                }
            }
            Event::IncidentDeclared {
                incident_id,
                title,
                severity,
                by,
                declared,
                rto_minutes,
            } => {
                if ja {
                    let severity_ja = match severity.as_str() {
                        "minor" => "低",
                        "major" => "高",
                        _ => "重大",
                    };
                    (
                        format!("インシデント宣言 #{incident_id}: {title}"),
                        format!("{by} さんが {declared} に障害（重大度: {severity_ja}）を宣言しました。災害復旧ランブックを開き、担当を決めて手順を進めてください。RTO は {rto_minutes} 分です。"),
                        "/incidents",
                    )
                } else {
                    (
                        format!("Incident #{incident_id} declared: {title}"),
                        format!("{by} declared a {severity} incident at {declared}. Open the DR runbook, take an owner's role and work through the steps. The RTO is {rto_minutes} minutes."),
                        "/incidents",
                    )
                }
            }
            Event::IncidentResolved {
                incident_id,
                title,
                by,
                resolved,
                recovery_minutes,
                rto_minutes,
            } => {
                if ja {
                    let took = recovery_minutes
                        .map(|m| format!("復旧までの時間は {m} 分（RTO {rto_minutes} 分）でした。"))
                        .unwrap_or_default();
                    (
                        format!("インシデント解決 #{incident_id}: {title}"),
                        format!("{by} さんが {resolved} にインシデントを解決しました。{took}事後レポートは opsdeck から出力できます。"),
                        "/incidents",
                    )
                } else {
                    let took = recovery_minutes
                        .map(|m| {
                            format!(" Time to recovery: {m} minutes (RTO {rto_minutes} minutes).")
                        })
                        .unwrap_or_default();
                    (
                        format!("Incident #{incident_id} resolved: {title}"),
                        format!("{by} resolved the incident at {resolved}.{took} The post-incident report can be exported from opsdeck."),
                        "/incidents",
                    )
                }
            }
            Event::DeployAwaitingApproval {
                deploy_id,
                environment,
                version,
                requested_by,
            } => {
                let env = environment
                    .parse::<opsdeck::deploy_gate::Environment>()
                    .ok();
                if ja {
                    let env = env.map_or(environment.as_str(), |e| e.label_ja());
                    (
                        format!("承認待ちのデプロイ #{deploy_id}: {env} へ {version}"),
                        format!("{requested_by} さんが {env} への {version} のデプロイを依頼しました。依頼者以外の承認者の承認が必要です。"),
                        "/deploys",
                    )
                } else {
                    let env = env.map_or(environment.as_str(), |e| e.label_en());
                    (
                        format!("Deploy #{deploy_id} awaits approval: {version} to {env}"),
                        format!("{requested_by} asked to deploy {version} to {env}. It needs the approval of an approver other than the requester."),
                        "/deploys",
                    )
                }
            }
            Event::DeployFailed {
                deploy_id,
                environment,
                version,
                step,
                reason,
            } => {
                let env = environment
                    .parse::<opsdeck::deploy_gate::Environment>()
                    .ok();
                if ja {
                    let env = env.map_or(environment.as_str(), |e| e.label_ja());
                    let step_ja = match step.as_str() {
                        "provision" => "新バージョンの配置",
                        "health_check" => "ヘルスチェック",
                        "switch" => "トラフィック切り替え",
                        "observe" => "切り替え後の監視",
                        "rollback" => "ロールバック",
                        _ => "実行",
                    };
                    (
                        format!("デプロイ失敗 #{deploy_id}: {env} へ {version}"),
                        format!("{env} への {version} のデプロイが「{step_ja}」で失敗しました。理由: {reason}"),
                        "/deploys",
                    )
                } else {
                    let env = env.map_or(environment.as_str(), |e| e.label_en());
                    let step = if step.is_empty() {
                        "a step"
                    } else {
                        step.as_str()
                    };
                    (
                        format!("Deploy #{deploy_id} failed: {version} to {env}"),
                        format!(
                            "The deploy of {version} to {env} failed at {step}. Reason: {reason}"
                        ),
                        "/deploys",
                    )
                }
            }
            Event::DeployAutoRollback {
                deploy_id,
                environment,
                version,
                reason,
            } => {
                let env = environment
                    .parse::<opsdeck::deploy_gate::Environment>()
                    .ok();
                if ja {
                    let env = env.map_or(environment.as_str(), |e| e.label_ja());
                    (
                        format!("自動ロールバック #{deploy_id}: {env} の {version}"),
                        format!("{env} の {version} で問題が見つかったため、トラフィックを以前の系統へ自動で戻しています。理由: {reason}"),
                        "/deploys",
                    )
                } else {
                    let env = env.map_or(environment.as_str(), |e| e.label_en());
                    (
                        format!("Automatic rollback #{deploy_id}: {version} on {env}"),
                        format!("{version} on {env} went wrong, so opsdeck is sending traffic back to the previous colour. Reason: {reason}"),
                        "/deploys",
                    )
                }
            }
            Event::AlertFiring {
                rule,
                environment,
                severity,
                condition,
                value,
                since,
                ..
            } => {
                let env = environment
                    .parse::<opsdeck::deploy_gate::Environment>()
                    .ok();
                if ja {
                    let env = env.map_or(environment.as_str(), |e| e.label_ja());
                    let sev = match severity.as_str() {
                        "critical" => "重大",
                        "warning" => "警告",
                        _ => "情報",
                    };
                    (
                        format!("アラート発生 [{sev}] {rule}: {env}"),
                        format!("{env} で {rule} が発生しました。条件「{condition}」が {since} から成立しています（現在値 {value}）。"),
                        "/alerts",
                    )
                } else {
                    let env = env.map_or(environment.as_str(), |e| e.label_en());
                    (
                        format!("Alert firing [{severity}] {rule}: {env}"),
                        format!("{rule} is firing on {env}: “{condition}” has held since {since} (value now {value})."),
                        "/alerts",
                    )
                }
            }
            Event::AlertResolved {
                rule,
                environment,
                condition,
                value,
                resolved,
                ..
            } => {
                let env = environment
                    .parse::<opsdeck::deploy_gate::Environment>()
                    .ok();
                if ja {
                    let env = env.map_or(environment.as_str(), |e| e.label_ja());
                    let value = value
                        .as_ref()
                        .map(|v| format!("現在値 {v}"))
                        .unwrap_or_else(|| "データが途絶えました".into());
                    (
                        format!("アラート解消 {rule}: {env}"),
                        format!("{env} の {rule} は {resolved} に解消しました（条件「{condition}」、{value}）。"),
                        "/alerts",
                    )
                } else {
                    let env = env.map_or(environment.as_str(), |e| e.label_en());
                    let value = value
                        .as_ref()
                        .map(|v| format!("value now {v}"))
                        .unwrap_or_else(|| "the data stopped".into());
                    (
                        format!("Alert resolved {rule}: {env}"),
                        format!("{rule} on {env} resolved at {resolved} (“{condition}”, {value})."),
                        "/alerts",
                    )
                }
            }
        };
        // An incident's message opens that incident; a deploy's, that deploy.
        let link = match self {
            Event::IncidentDeclared { incident_id, .. }
            | Event::IncidentResolved { incident_id, .. } => format!("{link}/{incident_id}"),
            Event::DeployAwaitingApproval { deploy_id, .. }
            | Event::DeployFailed { deploy_id, .. }
            | Event::DeployAutoRollback { deploy_id, .. } => format!("{link}/{deploy_id}"),
            _ => link.to_string(),
        };
        Rendered { title, body, link }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Event> {
        vec![
            Event::MaintenanceOn {
                by: "operator".into(),
                message: "DB upgrade".into(),
                estimated_end: Some("2026-12-06 04:00 JST".into()),
                started_at: chrono::Utc::now(),
            },
            Event::MaintenanceOff {
                by: "operator".into(),
                started_at: None,
            },
            Event::PasswordReset { by: "admin".into() },
            Event::MaintenanceWindow {
                window_id: 1,
                what: "announced".into(),
                starts: "2026-12-06 02:00 JST".into(),
                ends: "2026-12-06 04:00 JST".into(),
                reason: String::new(),
                quarterly: false,
            },
            Event::ChannelTest {
                channel: "slack-alerts".into(),
                by: "admin".into(),
            },
            Event::BudgetThreshold {
                month: "2026-11".into(),
                percent: 80,
                basis: "actual".into(),
                spend: opsdeck::costs::Cents(41_200),
                budget: opsdeck::costs::Cents(50_000),
                currency: "USD".into(),
                action: String::new(),
            },
            Event::BudgetThreshold {
                month: "2026-11".into(),
                percent: 100,
                basis: "forecast".into(),
                spend: opsdeck::costs::Cents(53_000),
                budget: opsdeck::costs::Cents(50_000),
                currency: "USD".into(),
                action: "review and optimise".into(),
            },
            Event::BackupMissed {
                target_id: 1,
                target: "Database".into(),
                target_ja: "データベース".into(),
                kind: "full".into(),
                expected: "2026-12-06 02:00 JST".into(),
                grace_minutes: 30,
            },
            Event::BackupRpoBreached {
                target_id: 1,
                target: "Database".into(),
                target_ja: "データベース".into(),
                age_minutes: None,
                rpo_minutes: 60,
                newest: None,
            },
            Event::BackupRpoRecovered {
                target_id: 1,
                target: "Database".into(),
                target_ja: "データベース".into(),
                age_minutes: Some(3),
                rpo_minutes: 60,
                newest: Some("2026-12-06 02:00 JST".into()),
            },
            Event::IncidentDeclared {
                incident_id: 3,
                title: "Primary database lost".into(),
                severity: "critical".into(),
                by: "operator".into(),
                declared: "2026-12-06 02:10 JST".into(),
                rto_minutes: 240,
            },
            Event::IncidentResolved {
                incident_id: 3,
                title: "Primary database lost".into(),
                by: "operator".into(),
                resolved: "2026-12-06 05:40 JST".into(),
                recovery_minutes: Some(192),
                rto_minutes: 240,
            },
            Event::DeployAwaitingApproval {
                deploy_id: 7,
                environment: "production".into(),
                version: "1.4.0".into(),
                requested_by: "alice".into(),
            },
            Event::DeployFailed {
                deploy_id: 8,
                environment: "staging".into(),
                version: "1.4.0".into(),
                step: "health_check".into(),
                reason: "3 consecutive healthy probes not seen within 120 s".into(),
            },
            Event::DeployAutoRollback {
                deploy_id: 9,
                environment: "production".into(),
                version: "1.4.1".into(),
                reason: "green unhealthy while observed".into(),
            },
            Event::AlertFiring {
                rule_id: 1,
                rule: "HighErrorRate".into(),
                environment: "production".into(),
                severity: "critical".into(),
                condition: "error_rate > 5%".into(),
                value: "7.2%".into(),
                since: "2026-12-06 02:00 JST".into(),
                started_at: chrono::Utc::now(),
            },
            Event::AlertResolved {
                rule_id: 1,
                rule: "HighErrorRate".into(),
                environment: "production".into(),
                severity: "critical".into(),
                condition: "error_rate > 5%".into(),
                started_at: chrono::Utc::now(),
                value: None,
                resolved: "2026-12-06 02:20 JST".into(),
            },
        ]
    }

    #[test]
    fn every_event_has_japanese_and_english_text_r_ui_3() {
        for e in samples() {
            let ja = e.render(Lang::Ja);
            let en = e.render(Lang::En);
            assert_ne!(ja.title, en.title, "{e:?}");
            assert!(!ja.body.is_empty() && !en.body.is_empty());
            assert!(ja.link.starts_with('/'));
            assert_eq!(ja.link, en.link);
        }
    }

    #[test]
    fn events_round_trip_through_their_stored_json() {
        for e in samples() {
            let json = serde_json::to_value(&e).unwrap();
            assert!(json["type"].is_string());
            let back: Event = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }
}
