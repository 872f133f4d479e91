//! The GitHub trigger's admin settings (R-DEP-2): the webhook secret
//! (write-only: the page shows only whether one is set) and the mapping of
//! events to environments, written one rule a line:
//! `push <branch> <environment>` or `release <environment>`.

use crate::error::AppError;
use crate::model::deploys::TriggerSettingsView;
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc, i18n::Msg, role::Access, store::audit::Actor, store::deploy_triggers as store,
};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use opsdeck::deploy_gate::{Environment, TriggerEvent, TriggerPolicy, TriggerRule};

/// The rules as the settings form writes them, one a line.
pub fn rules_text(view: &TriggerSettingsView) -> String {
    view.rules
        .iter()
        .map(|(event, env)| {
            let event = event.strip_suffix(" published").unwrap_or(event);
            format!("{event} {}", env.key())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses the form's rules; the error names the first line that does not read.
#[cfg(feature = "ssr")]
pub fn parse_rules(text: &str) -> Result<TriggerPolicy, usize> {
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let rule = match words.as_slice() {
            [] => continue,
            ["push", branch, env] => {
                env.parse::<Environment>()
                    .ok()
                    .map(|environment| TriggerRule {
                        event: TriggerEvent::Push {
                            branch: (*branch).to_string(),
                        },
                        environment,
                    })
            }
            ["release", env] | ["release", "published", env] => env
                .parse::<Environment>()
                .ok()
                .map(|environment| TriggerRule {
                    event: TriggerEvent::ReleasePublished,
                    environment,
                }),
            _ => None,
        };
        rules.push(rule.ok_or(n + 1)?);
    }
    Ok(TriggerPolicy { rules })
}

#[server(prefix = "/rpc", endpoint = "deploys/trigger_settings")]
pub async fn load_trigger_settings() -> Result<TriggerSettingsView, AppError> {
    rpc(Access::ADMIN, |call| async move {
        Ok(store::trigger_settings(&call.ctx.pool).await?)
    })
    .await
}

/// Saves the mapping and, when `secret` is not empty, replaces the secret.
#[server(prefix = "/rpc", endpoint = "deploys/save_trigger_settings")]
pub async fn save_trigger_settings(
    #[server(default)] secret: String,
    #[server(default)] rules: String,
) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let policy =
            parse_rules(&rules).map_err(|_| AppError::field("rules", Msg::ErrTriggerRules))?;
        let secret = (!secret.trim().is_empty()).then_some(secret);
        let actor = Actor::user(call.user()?);
        store::save_trigger_settings(&call.ctx.pool, secret, policy, &actor)
            .await
            .map_err(|e| match e {
                store::TriggerSettingsError::Db(e) => e.into(),
                store::TriggerSettingsError::Invalid(
                    store::TriggerSettingsProblem::SecretEmpty
                    | store::TriggerSettingsProblem::SecretTooLong,
                ) => AppError::field("secret", Msg::ErrTriggerSecret),
                store::TriggerSettingsError::Invalid(_) => {
                    AppError::field("rules", Msg::ErrTriggerRules)
                }
            })
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn rules_read_one_a_line_and_name_the_bad_line() {
        let p = parse_rules("push develop development\n\nrelease production\npush main staging")
            .unwrap();
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[1].event, TriggerEvent::ReleasePublished);
        assert_eq!(p.rules[2].environment, Environment::Staging);
        assert_eq!(parse_rules("push main\nrelease production"), Err(1));
        assert_eq!(parse_rules("push main staging\nrelease moon"), Err(2));
    }

    #[test]
    fn the_form_text_reads_back() {
        let view = TriggerSettingsView {
            secret_set: true,
            rules: vec![
                ("push develop".into(), Environment::Development),
                ("release published".into(), Environment::Production),
            ],
        };
        let text = rules_text(&view);
        assert_eq!(text, "push develop development\nrelease production");
        assert_eq!(parse_rules(&text).map(|p| p.rules.len()), Ok(2));
    }
}
