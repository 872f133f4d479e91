//! `POST /api/v1/webhooks/github` (R-DEP-2): GitHub's push and release
//! events become deploys through the configured `TriggerPolicy`.
//!
//! This route takes no bearer token: GitHub authenticates with
//! `X-Hub-Signature-256`, the HMAC-SHA256 of the raw body under the secret in
//! `deploy_trigger_settings`. No secret configured, no signature or a wrong
//! one is 401, recorded in `webhook_deliveries` (`bad_signature`) and audited
//! (`webhook.github.refused`); nothing else happens. The body and the secret
//! are never logged.
//!
//! Each matched environment gets one deploy with the idempotency key
//! `{X-GitHub-Delivery}:{environment}`, so a redelivery answers the same
//! deploys and creates none.

use super::deploys::{is_commit, DeployApiError};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use hmac::{Hmac, Mac};
use opsdeck::deploy_gate::TriggerEvent;
use opsdeck_app::model::deploys::DeploySource;
use opsdeck_app::store::deploy_triggers::{self as triggers, DeliveryOutcome};
use opsdeck_app::store::deploys::{self, NewDeploy};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

/// GitHub caps payloads at 25 MB, but the API takes at most 1 MB (the
/// router's body limit); pushes and releases are far smaller.
const MAX_BODY_BYTES: usize = crate::web::BODY_LIMIT_BYTES;
/// `deploys.version` holds at most 100 characters.
const VERSION_MAX_CHARS: usize = 100;

/// A header as text, if present and readable.
fn header<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The delivery id as GitHub sends it (a GUID). Anything else is treated as
/// absent: it is stored, logged and used in idempotency keys, so an
/// unauthenticated caller must not choose arbitrary text.
fn delivery_id(parts: &Parts) -> Option<&str> {
    header(parts, "x-github-delivery")
        .map(str::trim)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The event name (`push`, `release`, `ping`, …), or `unknown` when absent or odd.
fn event_name(parts: &Parts) -> &str {
    header(parts, "x-github-event")
        .map(str::trim)
        .filter(|s| {
            !s.is_empty() && s.len() <= 50 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .unwrap_or("unknown")
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under
/// `secret`. `verify_slice` compares in constant time.
pub fn signature_ok(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[derive(Debug, Deserialize)]
struct Account {
    login: String,
}

#[derive(Debug, Deserialize)]
struct Pusher {
    name: String,
}

/// The parts of a `push` payload used; the rest is ignored.
#[derive(Debug, Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    git_ref: String,
    after: String,
    #[serde(default)]
    deleted: bool,
    sender: Option<Account>,
    pusher: Option<Pusher>,
}

#[derive(Debug, Deserialize)]
struct Release {
    tag_name: String,
    target_commitish: Option<String>,
}

/// The parts of a `release` payload used.
#[derive(Debug, Deserialize)]
struct ReleasePayload {
    action: String,
    release: Release,
    sender: Option<Account>,
}

/// What a signed delivery asks for.
struct Trigger {
    event: TriggerEvent,
    version: String,
    commit_sha: String,
    ref_name: Option<String>,
    requested_by: String,
    release_id: Option<i64>,
}

fn requested_by(sender: Option<&Account>, pusher: Option<&Pusher>) -> String {
    let who = sender
        .map(|a| a.login.as_str())
        .or(pusher.map(|p| p.name.as_str()))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown");
    format!("github:{}", who.chars().take(100).collect::<String>())
}

/// The version a release tag deploys: the tag as given, less one leading
/// `v` before a digit (`v1.4.0` → `1.4.0`), because opsdeck's releases are
/// bare semantic versions and the deploy should name the same release
/// (`release_id` is linked when one matches). Other tags are kept whole.
fn release_version(tag: &str) -> &str {
    let tag = tag.trim();
    match tag.strip_prefix('v') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => tag,
    }
}

fn malformed(what: &str) -> DeployApiError {
    DeployApiError::BadRequest(format!(
        "the {what} payload is not what GitHub sends (is the webhook's content type application/json?)"
    ))
}

/// The trigger a signed `push` asks for, `None` when nothing is to be
/// considered (a tag, a deleted branch).
fn push_trigger(payload: Value) -> Result<Option<Trigger>, DeployApiError> {
    let p: PushPayload = serde_json::from_value(payload).map_err(|_| malformed("push"))?;
    let Some(event) = TriggerEvent::push_ref(&p.git_ref) else {
        return Ok(None);
    };
    if p.deleted || p.after.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    if !is_commit(&p.after) {
        return Err(malformed("push"));
    }
    let commit = p.after.to_ascii_lowercase();
    let branch = match &event {
        TriggerEvent::Push { branch } => Some(branch.clone()),
        TriggerEvent::ReleasePublished => None,
    };
    Ok(Some(Trigger {
        event,
        // A push names no version; the short commit is what people compare.
        version: commit.chars().take(7).collect(),
        commit_sha: commit,
        ref_name: branch,
        requested_by: requested_by(p.sender.as_ref(), p.pusher.as_ref()),
        release_id: None,
    }))
}

/// The trigger a signed `release` asks for: only `published` counts.
fn release_trigger(payload: Value) -> Result<Option<Trigger>, DeployApiError> {
    let p: ReleasePayload = serde_json::from_value(payload).map_err(|_| malformed("release"))?;
    if p.action != "published" {
        return Ok(None);
    }
    let version = release_version(&p.release.tag_name);
    if version.is_empty()
        || version.chars().count() > VERSION_MAX_CHARS
        || version.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(malformed("release"));
    }
    // target_commitish is a branch name unless the release was cut from a commit.
    let commit_sha = p
        .release
        .target_commitish
        .filter(|c| is_commit(c))
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    Ok(Some(Trigger {
        event: TriggerEvent::ReleasePublished,
        version: version.to_string(),
        commit_sha,
        ref_name: Some(p.release.tag_name.trim().chars().take(255).collect()),
        requested_by: requested_by(p.sender.as_ref(), None),
        release_id: None,
    }))
}

/// The webhook. 200 `{"deploys": [ids]}` for every signed delivery it
/// understands (empty when nothing matched or the event is not a trigger),
/// 400 for a signed body it cannot read, 401 for a bad signature.
pub async fn webhook(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, DeployApiError> {
    let (parts, body) = req.into_parts();
    let event = event_name(&parts).to_string();
    let delivery = delivery_id(&parts).map(str::to_string);
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        tracing::warn!(delivery = ?delivery, event, "GitHub webhook refused: body too large");
        triggers::refuse_delivery(
            &state.pool,
            delivery.as_deref(),
            &event,
            DeliveryOutcome::TooLarge,
            "too_large",
        )
        .await?;
        return Err(DeployApiError::TooLarge);
    };
    let config = triggers::load(&state.pool).await?;
    let refusal = match (&config.secret, header(&parts, "x-hub-signature-256")) {
        (None, _) => Some("no_secret"),
        (Some(_), None) => Some("missing_signature"),
        (Some(secret), Some(sig)) => {
            (!signature_ok(secret, sig, &bytes)).then_some("wrong_signature")
        }
    };
    if let Some(reason) = refusal {
        tracing::warn!(delivery = ?delivery, event, reason, "GitHub webhook refused");
        triggers::refuse_delivery(
            &state.pool,
            delivery.as_deref(),
            &event,
            DeliveryOutcome::BadSignature,
            reason,
        )
        .await?;
        return Err(DeployApiError::BadSignature);
    }

    // Signed by GitHub from here on.
    let read = match &delivery {
        None => Err(DeployApiError::BadRequest(
            "the X-GitHub-Delivery header is required".into(),
        )),
        Some(d) => serde_json::from_slice::<Value>(&bytes)
            .map_err(|_| malformed(&event))
            .and_then(|payload| match event.as_str() {
                "push" => push_trigger(payload),
                "release" => release_trigger(payload),
                // ping (sent when the webhook is set up) and every other event: nothing to do.
                _ => Ok(None),
            })
            .map(|t| (d.clone(), t)),
    };
    let (delivery_key, trigger) = match read {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(delivery = ?delivery, event, "signed GitHub webhook with an unreadable body");
            let mut conn = state.pool.acquire().await?;
            triggers::record_delivery(
                &mut conn,
                delivery.as_deref(),
                &event,
                DeliveryOutcome::Malformed,
                &[],
            )
            .await?;
            return Err(e);
        }
    };

    let mut tx = state.pool.begin().await?;
    let Some(mut trigger) = trigger else {
        triggers::record_delivery(
            &mut tx,
            Some(&delivery_key),
            &event,
            DeliveryOutcome::Ignored,
            &[],
        )
        .await?;
        tx.commit().await?;
        return Ok(Json(json!({ "deploys": Vec::<i64>::new() })).into_response());
    };
    if trigger.event == TriggerEvent::ReleasePublished {
        trigger.release_id = triggers::release_id_for_version(&mut tx, &trigger.version).await?;
    }
    // Read on every delivery: a changed mapping applies to the next push.
    let now = Utc::now();
    let mut ids = Vec::new();
    for environment in config.policy.targets(&trigger.event) {
        let new = NewDeploy {
            environment,
            version: trigger.version.clone(),
            commit_sha: trigger.commit_sha.clone(),
            ref_name: trigger.ref_name.clone(),
            source: DeploySource::Github,
            requested_by: trigger.requested_by.clone(),
            idempotency_key: Some(format!("{delivery_key}:{}", environment.key())),
            release_id: trigger.release_id,
        };
        let (id, _created) = deploys::create(&mut tx, &new, now).await?;
        ids.push(id);
    }
    let outcome = triggers::record_delivery(
        &mut tx,
        Some(&delivery_key),
        &event,
        DeliveryOutcome::Accepted,
        &ids,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        delivery = delivery_key,
        event,
        deploys = ?ids,
        outcome = outcome.as_str(),
        "GitHub webhook"
    );
    Ok(Json(json!({ "deploys": ids })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn r_dep_2_signatures_are_checked() {
        let body = br#"{"zen":"x"}"#;
        let good = sign("s3cret", body);
        assert!(signature_ok("s3cret", &good, body));
        assert!(!signature_ok("other", &good, body));
        assert!(!signature_ok("s3cret", &good, b"{}"));
        assert!(!signature_ok(
            "s3cret",
            good.trim_start_matches("sha256="),
            body
        ));
        assert!(!signature_ok("s3cret", "sha256=zz", body));
        assert!(!signature_ok("s3cret", "sha256=", body));
        assert!(!signature_ok("s3cret", &good[..good.len() - 2], body));
    }

    #[test]
    fn r_dep_2_release_tags_lose_one_leading_v() {
        assert_eq!(release_version("v1.4.0"), "1.4.0");
        assert_eq!(release_version("1.4.0"), "1.4.0");
        assert_eq!(release_version("vnext"), "vnext");
        assert_eq!(release_version("vv1"), "vv1");
    }
}
