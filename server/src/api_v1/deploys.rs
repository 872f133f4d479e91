//! Deploys through the machine API (R-DEP-2, R-DEP-3), scope `deploy`:
//!
//! - `POST /api/v1/deploys` requests a deploy from any CI. An
//!   `Idempotency-Key` header makes a retry safe: the same key answers the
//!   same deploy (200; 201 when it was created; 409 when the key comes back
//!   with other details).
//! - `PUT /api/v1/deploys/{id}/stages/{stage}` reports a CI stage. An
//!   unknown stage name is a 422 naming the field `stage` (not a 404): the
//!   route exists, the value is wrong, and a 404 would read as "no such
//!   deploy" to a CI script.
//! - `GET /api/v1/deploys/{id}` answers the deploy and its stages, for CI to poll.
//!
//! Bad fields are 422 with the shape of `ApiError::Invalid` (`error`,
//! `message`, `field` = the first bad field, `errors` = all of them).

use super::authorize;
use crate::api_error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use opsdeck::deploy_gate::Environment;
use opsdeck_app::model::deploys::{DeploySource, StageStatus, STAGES};
use opsdeck_app::model::Scope;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::deploy_triggers::{
    self as triggers, CiDeployView, StageError, StageReport,
};
use opsdeck_app::store::deploys::{self, NewDeploy};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;

/// Largest request body: a handful of short fields.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// `deploys.version` holds at most 100 characters.
const VERSION_MAX_CHARS: usize = 100;
/// Longest git ref name kept.
const REF_MAX_CHARS: usize = 255;
/// Longest `Idempotency-Key` (a UUID is 36).
const KEY_MAX_CHARS: usize = 200;

/// Why a field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    NotAnObject,
    TooLong,
    Missing,
    NotAString,
    Empty,
    NotAVersion,
    UnknownEnvironment,
    NotHex,
    NotAKey,
    UnknownStage,
    UnknownStatus,
    NotATime,
    EndsBeforeStart,
    NotHttpUrl,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::NotAnObject => "must be a JSON object",
            Problem::TooLong => "is too long",
            Problem::Missing => "is required",
            Problem::NotAString => "must be a string",
            Problem::Empty => "must not be empty",
            Problem::NotAVersion => "must be at most 100 characters without spaces",
            Problem::UnknownEnvironment => "must be local, development, staging or production",
            Problem::NotHex => "must be 7 to 64 hexadecimal characters (a git commit)",
            Problem::NotAKey => "must be 1 to 200 visible ASCII characters",
            Problem::UnknownStage => "must be checkout, install, test, build or deploy",
            Problem::UnknownStatus => "must be pending, running, success, failed or skipped",
            Problem::NotATime => "must be an RFC 3339 time such as 2026-11-30T02:00:00Z",
            Problem::EndsBeforeStart => "is before started_at",
            Problem::NotHttpUrl => "must be an http:// or https:// link",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub problem: Problem,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.problem)
    }
}

fn problem(field: &str, problem: Problem) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        problem,
    }
}

/// The errors of the deploy routes and the GitHub webhook: the machine API's
/// own, plus field problems of their own vocabulary, a missing deploy, a bad
/// webhook body and a bad webhook signature.
#[derive(Debug)]
pub enum DeployApiError {
    Api(ApiError),
    /// 422, each bad field named.
    Invalid(Vec<FieldProblem>),
    /// 404: no deploy with this id (as given in the path).
    NoDeploy(String),
    /// 400: a signed webhook whose body is not what its event needs.
    BadRequest(String),
    /// 401: the webhook's signature is missing or wrong, or no secret is set.
    BadSignature,
    /// 413: the webhook body exceeds the limit (its signature cannot be checked).
    TooLarge,
}

impl From<ApiError> for DeployApiError {
    fn from(e: ApiError) -> Self {
        DeployApiError::Api(e)
    }
}

impl From<sqlx::Error> for DeployApiError {
    fn from(e: sqlx::Error) -> Self {
        DeployApiError::Api(e.into())
    }
}

impl IntoResponse for DeployApiError {
    fn into_response(self) -> Response {
        let plain = |status: StatusCode, code: &str, message: String| {
            (status, Json(json!({"error": code, "message": message}))).into_response()
        };
        match self {
            DeployApiError::Api(e) => e.into_response(),
            DeployApiError::Invalid(problems) => {
                let errors: Vec<_> = problems
                    .iter()
                    .map(|p| json!({"field": p.field, "problem": p.problem, "message": p.to_string()}))
                    .collect();
                let message = format!(
                    "invalid: {}",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "error": "INVALID",
                        "message": message,
                        "field": problems.first().map(|p| p.field.clone()),
                        "errors": errors,
                    })),
                )
                    .into_response()
            }
            DeployApiError::NoDeploy(id) => plain(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("no deploy {id}"),
            ),
            DeployApiError::BadRequest(m) => plain(StatusCode::BAD_REQUEST, "BAD_REQUEST", m),
            DeployApiError::BadSignature => plain(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "the X-Hub-Signature-256 signature is missing or wrong".into(),
            ),
            DeployApiError::TooLarge => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "the body is too large".into(),
            ),
        }
    }
}

/// A git commit: 7 (abbreviated) to 64 (SHA-256) hexadecimal characters.
pub(super) fn is_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `Idempotency-Key` header, if sent (visible ASCII, 1 to 200 characters).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, FieldProblem> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || problem("Idempotency-Key", Problem::NotAKey);
    let s = v.to_str().map_err(|_| bad())?.trim();
    if s.is_empty() || s.len() > KEY_MAX_CHARS || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(s.to_string()))
}

/// An optional string field: absent and `null` are `None`.
fn opt_str<'v>(body: &'v Value, field: &str, problems: &mut Vec<FieldProblem>) -> Option<&'v str> {
    match body.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            problems.push(problem(field, Problem::NotAString));
            None
        }
    }
}

fn req_str<'v>(body: &'v Value, field: &str, problems: &mut Vec<FieldProblem>) -> Option<&'v str> {
    if matches!(body.get(field), None | Some(Value::Null)) {
        problems.push(problem(field, Problem::Missing));
        return None;
    }
    opt_str(body, field, problems)
}

/// A deploy request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeployRequest {
    environment: Environment,
    version: String,
    commit_sha: String,
    ref_name: Option<String>,
}

fn check_request(body: &Value) -> Result<DeployRequest, Vec<FieldProblem>> {
    if !body.is_object() {
        return Err(vec![problem("body", Problem::NotAnObject)]);
    }
    let mut problems = Vec::new();
    let environment = req_str(body, "environment", &mut problems).and_then(|s| {
        let parsed = s.parse::<Environment>().ok();
        if parsed.is_none() {
            problems.push(problem("environment", Problem::UnknownEnvironment));
        }
        parsed
    });
    let version = req_str(body, "version", &mut problems).and_then(|s| {
        let s = s.trim();
        let p = if s.is_empty() {
            Some(Problem::Empty)
        } else if s.chars().count() > VERSION_MAX_CHARS {
            Some(Problem::TooLong)
        } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some(Problem::NotAVersion)
        } else {
            None
        };
        match p {
            Some(p) => {
                problems.push(problem("version", p));
                None
            }
            None => Some(s.to_string()),
        }
    });
    let commit_sha = match opt_str(body, "commit_sha", &mut problems) {
        None => String::new(),
        Some(s) if is_commit(s.trim()) => s.trim().to_ascii_lowercase(),
        Some(_) => {
            problems.push(problem("commit_sha", Problem::NotHex));
            String::new()
        }
    };
    let ref_name = opt_str(body, "ref", &mut problems).and_then(|s| {
        let s = s.trim();
        let p = if s.is_empty() {
            Some(Problem::Empty)
        } else if s.chars().count() > REF_MAX_CHARS {
            Some(Problem::TooLong)
        } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some(Problem::NotAString)
        } else {
            None
        };
        match p {
            Some(p) => {
                problems.push(problem("ref", p));
                None
            }
            None => Some(s.to_string()),
        }
    });
    match (environment, version) {
        (Some(environment), Some(version)) if problems.is_empty() => Ok(DeployRequest {
            environment,
            version,
            commit_sha,
            ref_name,
        }),
        _ => Err(problems),
    }
}

/// Reads a JSON body no larger than `MAX_BODY_BYTES`; anything unreadable is
/// a problem of the field `body`.
async fn json_body(body: axum::body::Body) -> Result<Value, DeployApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| DeployApiError::Invalid(vec![problem("body", Problem::TooLong)]))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| DeployApiError::Invalid(vec![problem("body", Problem::NotAnObject)]))
}

fn token_actor(identity: &opsdeck_app::store::tokens::TokenIdentity) -> Actor {
    Actor {
        id: None,
        name: format!("token:{}", identity.name),
    }
}

/// A deploy id from the path; anything else names no deploy.
fn deploy_id(raw: &str) -> Result<i64, DeployApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| DeployApiError::NoDeploy(raw.chars().take(40).collect()))
}

/// `POST /api/v1/deploys` (scope `deploy`). The token is checked before the
/// body is read: a caller without the scope learns nothing about the body.
pub async fn create(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, DeployApiError> {
    let (parts, body) = req.into_parts();
    let identity = authorize(&state, &parts, Scope::Deploy).await?;
    let key = idempotency_key(&parts.headers);
    let value = json_body(body).await?;
    let checked = check_request(&value);
    let (checked, key) = match (checked, key) {
        (Ok(c), Ok(k)) => (c, k),
        (c, k) => {
            let mut problems = k.err().into_iter().collect::<Vec<_>>();
            problems.extend(c.err().unwrap_or_default());
            return Err(DeployApiError::Invalid(problems));
        }
    };
    let new = NewDeploy {
        environment: checked.environment,
        version: checked.version.clone(),
        commit_sha: checked.commit_sha.clone(),
        ref_name: checked.ref_name.clone(),
        source: DeploySource::Api,
        requested_by: token_actor(&identity).name,
        idempotency_key: key.clone(),
        release_id: None,
    };
    let mut tx = state.pool.begin().await?;
    let (id, created) = deploys::create(&mut tx, &new, Utc::now()).await?;
    let view = triggers::ci_view(&mut tx, id)
        .await?
        .ok_or(ApiError::Internal)?;
    if !created && !same_request(&view, &checked) {
        // The key names another deploy: answering it would tell the caller
        // its new request was taken when it was not.
        return Err(ApiError::Conflict(format!(
            "Idempotency-Key was already used for deploy {id} with other details"
        ))
        .into());
    }
    tx.commit().await?;
    let status = if created {
        tracing::info!(deploy = id, environment = %checked.environment, token_id = identity.id, "deploy requested through the API");
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)).into_response())
}

fn same_request(view: &CiDeployView, r: &DeployRequest) -> bool {
    view.environment == r.environment
        && view.version == r.version
        && view.commit_sha == r.commit_sha
        && view.ref_name == r.ref_name
}

/// `GET /api/v1/deploys/{id}` (scope `deploy`): the deploy, its state and stages.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, DeployApiError> {
    let (parts, _) = req.into_parts();
    authorize(&state, &parts, Scope::Deploy).await?;
    let id = deploy_id(&id)?;
    let mut conn = state.pool.acquire().await?;
    match triggers::ci_view(&mut conn, id).await? {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(DeployApiError::NoDeploy(id.to_string())),
    }
}

fn time_field(
    body: &Value,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<DateTime<Utc>> {
    let s = opt_str(body, field, problems)?;
    match DateTime::parse_from_rfc3339(s.trim()) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            problems.push(problem(field, Problem::NotATime));
            None
        }
    }
}

fn check_stage(stage: &str, body: &Value) -> Result<StageReport, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    if !STAGES.contains(&stage) {
        problems.push(problem("stage", Problem::UnknownStage));
    }
    if !body.is_object() {
        problems.push(problem("body", Problem::NotAnObject));
        return Err(problems);
    }
    let status = req_str(body, "status", &mut problems).and_then(|s| {
        let parsed = StageStatus::parse(s.trim());
        if parsed.is_none() {
            problems.push(problem("status", Problem::UnknownStatus));
        }
        parsed
    });
    let started_at = time_field(body, "started_at", &mut problems);
    let finished_at = time_field(body, "finished_at", &mut problems);
    if let (Some(s), Some(f)) = (started_at, finished_at) {
        if f < s {
            problems.push(problem("finished_at", Problem::EndsBeforeStart));
        }
    }
    let log_url = opt_str(body, "log_url", &mut problems).and_then(|s| {
        let s = s.trim();
        if triggers::is_log_url(s) {
            Some(s.to_string())
        } else {
            problems.push(problem("log_url", Problem::NotHttpUrl));
            None
        }
    });
    match status {
        Some(status) if problems.is_empty() => Ok(StageReport {
            status,
            started_at,
            finished_at,
            log_url,
        }),
        _ => Err(problems),
    }
}

/// `PUT /api/v1/deploys/{id}/stages/{stage}` (scope `deploy`): upserts the
/// stage (fields left out keep their stored value or are filled in, see
/// `deploy_triggers::merge_stage`), audited as `deploy.stage`; answers the
/// deploy with all its stages.
pub async fn put_stage(
    State(state): State<AppState>,
    Path((id, stage)): Path<(String, String)>,
    req: Request,
) -> Result<Response, DeployApiError> {
    let (parts, body) = req.into_parts();
    let identity = authorize(&state, &parts, Scope::Deploy).await?;
    let id = deploy_id(&id)?;
    let value = json_body(body).await?;
    let report = check_stage(&stage, &value).map_err(DeployApiError::Invalid)?;
    let mut tx = state.pool.begin().await?;
    match triggers::report_stage(
        &mut tx,
        &token_actor(&identity),
        id,
        &stage,
        &report,
        Utc::now(),
    )
    .await
    {
        Ok(_) => {}
        Err(StageError::UnknownDeploy(_)) => return Err(DeployApiError::NoDeploy(id.to_string())),
        Err(StageError::UnknownStage(_)) => {
            return Err(DeployApiError::Invalid(vec![problem(
                "stage",
                Problem::UnknownStage,
            )]))
        }
        Err(StageError::EndsBeforeStart) => {
            return Err(DeployApiError::Invalid(vec![problem(
                "finished_at",
                Problem::EndsBeforeStart,
            )]))
        }
        Err(StageError::Db(e)) => return Err(e.into()),
    }
    let view = triggers::ci_view(&mut tx, id)
        .await?
        .ok_or(ApiError::Internal)?;
    tx.commit().await?;
    Ok(Json(view).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<DeployRequest, Vec<FieldProblem>>) -> Vec<(String, Problem)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.field, p.problem))
            .collect()
    }

    #[test]
    fn r_dep_2_deploy_requests_name_each_bad_field() {
        let ok = check_request(
            &json!({"environment": "staging", "version": "1.4.0", "commit_sha": "ABCDEF1"}),
        );
        assert_eq!(
            ok,
            Ok(DeployRequest {
                environment: Environment::Staging,
                version: "1.4.0".into(),
                commit_sha: "abcdef1".into(),
                ref_name: None,
            })
        );
        assert_eq!(
            fields(check_request(
                &json!({"environment": "qa", "version": " ", "commit_sha": "xyz"})
            )),
            vec![
                ("environment".into(), Problem::UnknownEnvironment),
                ("version".into(), Problem::Empty),
                ("commit_sha".into(), Problem::NotHex)
            ]
        );
        assert_eq!(
            fields(check_request(&json!([1]))),
            vec![("body".into(), Problem::NotAnObject)]
        );
        assert_eq!(
            fields(check_request(
                &json!({"version": "x".repeat(101), "environment": 3})
            )),
            vec![
                ("environment".into(), Problem::NotAString),
                ("version".into(), Problem::TooLong)
            ]
        );
    }
}
