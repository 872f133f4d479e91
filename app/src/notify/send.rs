//! Sending one message to one channel, once: HTTP for Slack, PagerDuty and
//! webhooks (no redirects followed, a timeout per attempt), SMTP with lettre.
//! Errors are recorded without URLs, since a Slack URL is a credential.

use super::channel::{self, ChannelKind, ChannelSecret, ChannelSettings};
use super::event::Event;
use crate::i18n::Lang;
use std::time::{Duration, Instant};

/// A channel as the sender needs it, secret included (server side only).
#[derive(Debug, Clone)]
pub struct ChannelTarget {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub lang: Lang,
    pub settings: ChannelSettings,
    pub secret: ChannelSecret,
    /// Sends to this channel at once, at most.
    pub max_in_flight: usize,
}

/// One message as the sender needs it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: i64,
    pub idempotency_key: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub event: Event,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: i32,
}

/// The shared HTTP client and what every message needs.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    timeout: Duration,
    /// Links in messages point here (`OPSDECK_PUBLIC_URL`).
    pub public_url: String,
}

impl Sender {
    /// `timeout` bounds each attempt, connect to last byte.
    pub fn new(public_url: String, timeout: Duration) -> Sender {
        let http = reqwest::Client::builder()
            // A redirect is a failed attempt: following one could leak the
            // payload (and a signature) to a host nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Sender {
            http,
            timeout,
            public_url,
        }
    }

    /// Sends `msg` to `target` once and says how it went.
    pub async fn send(&self, target: &ChannelTarget, msg: &Outgoing) -> Outcome {
        let started = Instant::now();
        let result = match target.kind {
            ChannelKind::Email => self.send_email(target, msg).await,
            _ => self.send_http(target, msg).await,
        };
        let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        match result {
            Ok(code) => Outcome {
                ok: true,
                status_code: code,
                error: None,
                latency_ms,
            },
            Err((code, error)) => Outcome {
                ok: false,
                status_code: code,
                error: Some(error),
                latency_ms,
            },
        }
    }

    async fn send_http(
        &self,
        target: &ChannelTarget,
        msg: &Outgoing,
    ) -> Result<Option<u16>, (Option<u16>, String)> {
        let r = msg.event.render(target.lang);
        let severity = msg.event.severity();
        let (url, body) = match target.kind {
            ChannelKind::Slack => (
                target.secret.value.clone(),
                channel::slack_payload(&r, severity, target.lang, &self.public_url),
            ),
            ChannelKind::Pagerduty => {
                let (action, dedup) = channel::incident(&msg.event, &msg.idempotency_key);
                (
                    target.settings.url.clone(),
                    channel::pagerduty_payload(
                        &target.secret.value,
                        action,
                        &dedup,
                        &r,
                        severity,
                        &self.public_url,
                    ),
                )
            }
            ChannelKind::Webhook => (
                target.settings.url.clone(),
                channel::webhook_payload(
                    msg.message_id,
                    &msg.idempotency_key,
                    &msg.event,
                    &r,
                    msg.created_at,
                    &self.public_url,
                ),
            ),
            ChannelKind::Email => return Err((None, "not an HTTP channel".into())),
        };
        let body = serde_json::to_vec(&body).map_err(|e| (None, e.to_string()))?;
        let mut request = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(channel::DELIVERY_HEADER, &msg.idempotency_key);
        if target.kind == ChannelKind::Webhook && !target.secret.value.is_empty() {
            request = request.header(
                channel::SIGNATURE_HEADER,
                channel::sign(&target.secret.value, &body),
            );
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| (None, describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(Some(status.as_u16()));
        }
        let detail = if status.is_redirection() {
            "redirect not followed".to_string()
        } else {
            // A little of the receiver's answer helps; all of it could be huge.
            let text = tokio::time::timeout(Duration::from_secs(1), response.text())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            text.chars().take(200).collect()
        };
        Err((Some(status.as_u16()), format!("HTTP {status}: {detail}")))
    }

    async fn send_email(
        &self,
        target: &ChannelTarget,
        msg: &Outgoing,
    ) -> Result<Option<u16>, (Option<u16>, String)> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        let s = &target.settings;
        let r = msg.event.render(target.lang);
        let fail = |e: String| (None, e);
        let mut builder = Message::builder()
            .from(
                channel::check_mailbox(&s.email_from)
                    .map_err(|_| fail("bad from address".into()))?,
            )
            .subject(format!("[opsdeck] {}", r.title))
            .message_id(Some(format!("<{}@opsdeck>", msg.idempotency_key)));
        for to in &s.email_to {
            builder = builder
                .to(channel::check_mailbox(to).map_err(|_| fail(format!("bad address {to}")))?);
        }
        let link = format!("{}{}", self.public_url.trim_end_matches('/'), r.link);
        let email = builder
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(format!("{}\n\n{}\n", r.body, link))
            .map_err(|e| fail(e.to_string()))?;
        let port = s.smtp_port.unwrap_or(25);
        let transport = match s.smtp_security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.smtp_host),
            "none" => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &s.smtp_host,
            )),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.smtp_host),
        }
        .map_err(|e| fail(e.to_string()))?;
        let mut transport = transport.port(port).timeout(Some(self.timeout));
        if !s.smtp_username.is_empty() {
            transport = transport.credentials(Credentials::new(
                s.smtp_username.clone(),
                target.secret.value.clone(),
            ));
        }
        let mailer = transport.build();
        match tokio::time::timeout(self.timeout, mailer.send(email)).await {
            Err(_) => Err(fail("timed out".into())),
            Ok(Err(e)) => Err((e.status().map(u16::from), format!("SMTP: {e}"))),
            Ok(Ok(response)) => Ok(Some(u16::from(response.code()))),
        }
    }
}

/// A transport error without its URL (a Slack URL is a credential).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect not followed"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}
