//! Channel kinds, their settings, validation, and the exact payload each
//! receiver gets. Pure: the network is in `send`.

use super::event::{Event, Rendered, Severity};
use crate::i18n::{Lang, Msg};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;

/// The four kinds of R-MON-5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Slack,
    Pagerduty,
    Email,
    Webhook,
}

impl ChannelKind {
    pub fn parse(s: &str) -> Option<ChannelKind> {
        match s {
            "slack" => Some(ChannelKind::Slack),
            "pagerduty" => Some(ChannelKind::Pagerduty),
            "email" => Some(ChannelKind::Email),
            "webhook" => Some(ChannelKind::Webhook),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::Pagerduty => "pagerduty",
            ChannelKind::Email => "email",
            ChannelKind::Webhook => "webhook",
        }
    }
}

pub use super::PAGERDUTY_EVENTS_URL;

/// Settings that may be shown again (stored in `settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSettings {
    /// Webhook: where to POST. PagerDuty: the Events API URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub smtp_host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// `starttls`, `tls` or `none`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub smtp_security: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub smtp_username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email_from: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_to: Vec<String>,
}

/// The one write-only value of each kind (stored in `secrets`, never read back
/// by the UI): Slack's webhook URL (it carries the credential), PagerDuty's
/// routing key, the SMTP password, the webhook's signing secret.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSecret {
    #[serde(default)]
    pub value: String,
}

impl std::fmt::Debug for ChannelSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelSecret(<redacted>)")
    }
}

/// What opsdeck itself answers on, so a channel cannot point back at it.
#[derive(Debug, Clone, Default)]
pub struct SelfAddresses {
    /// (host, port) pairs: the public URL's and the listen address's.
    pub endpoints: Vec<(String, u16)>,
}

impl SelfAddresses {
    /// From the public origin (`https://ops.example.com`) and the listen address.
    pub fn new(public_origin: Option<&str>, listen: std::net::SocketAddr) -> SelfAddresses {
        let mut endpoints = vec![(listen.ip().to_string(), listen.port())];
        if let Some(url) = public_origin.and_then(|o| url::Url::parse(o).ok()) {
            if let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) {
                endpoints.push((host.trim_matches(['[', ']']).to_ascii_lowercase(), port));
            }
        }
        SelfAddresses { endpoints }
    }

    fn is_self(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        let port = url.port_or_known_default().unwrap_or(0);
        let local = |h: &str| {
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
        };
        self.endpoints.iter().any(|(h, p)| {
            *p == port && (h.eq_ignore_ascii_case(&host) || (local(h) && local(&host)))
        })
    }
}

/// An outgoing URL: http(s), a host, not opsdeck itself, no credentials in the userinfo.
pub fn check_url(raw: &str, me: &SelfAddresses) -> Result<url::Url, Msg> {
    let url = url::Url::parse(raw.trim()).map_err(|_| Msg::ErrUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Msg::ErrUrl);
    }
    if me.is_self(&url) {
        return Err(Msg::ErrUrlSelf);
    }
    Ok(url)
}

/// A mailbox `a@b.example` or `Name <a@b.example>`.
pub fn check_mailbox(raw: &str) -> Result<lettre::message::Mailbox, Msg> {
    raw.trim().parse().map_err(|_| Msg::ErrEmail)
}

/// Is a channel with these settings complete enough to send to?
pub fn is_configured(kind: ChannelKind, s: &ChannelSettings, secret_set: bool) -> bool {
    match kind {
        ChannelKind::Slack => secret_set,
        ChannelKind::Pagerduty => secret_set && !s.url.is_empty(),
        ChannelKind::Email => {
            !s.smtp_host.is_empty()
                && s.smtp_port.is_some()
                && !s.email_from.is_empty()
                && !s.email_to.is_empty()
        }
        ChannelKind::Webhook => !s.url.is_empty(),
    }
}

/// PagerDuty's view of an event: trigger or resolve, and the key that ties them.
pub fn incident(event: &Event, message_key: &str) -> (&'static str, String) {
    match event {
        Event::MaintenanceOn { started_at, .. } => (
            "trigger",
            format!("opsdeck-maintenance-{}", started_at.timestamp()),
        ),
        Event::MaintenanceOff {
            started_at: Some(started_at),
            ..
        } => (
            "resolve",
            format!("opsdeck-maintenance-{}", started_at.timestamp()),
        ),
        // One PagerDuty incident per declared incident, resolved with it.
        Event::IncidentDeclared { incident_id, .. } => {
            ("trigger", format!("opsdeck-incident-{incident_id}"))
        }
        Event::IncidentResolved { incident_id, .. } => {
            ("resolve", format!("opsdeck-incident-{incident_id}"))
        }
        // One PagerDuty incident per firing of a rule in an environment.
        Event::AlertFiring {
            rule_id,
            environment,
            started_at,
            ..
        } => (
            "trigger",
            format!(
                "opsdeck-alert-{rule_id}-{environment}-{}",
                started_at.timestamp()
            ),
        ),
        Event::AlertResolved {
            rule_id,
            environment,
            started_at,
            ..
        } => (
            "resolve",
            format!(
                "opsdeck-alert-{rule_id}-{environment}-{}",
                started_at.timestamp()
            ),
        ),
        _ => ("trigger", format!("opsdeck-{message_key}")),
    }
}

fn absolute(public_url: &str, path: &str) -> String {
    format!("{}{}", public_url.trim_end_matches('/'), path)
}

fn severity_word(severity: Severity, lang: Lang) -> &'static str {
    match (severity, lang) {
        (Severity::Critical, Lang::En) => "CRITICAL",
        (Severity::Warning, Lang::En) => "WARNING",
        (Severity::Info, Lang::En) => "INFO",
        (Severity::Critical, Lang::Ja) => "重大",
        (Severity::Warning, Lang::Ja) => "警告",
        (Severity::Info, Lang::Ja) => "情報",
    }
}

/// Slack incoming-webhook body (also what Mattermost and Rocket.Chat accept).
pub fn slack_payload(r: &Rendered, severity: Severity, lang: Lang, public_url: &str) -> Value {
    let open = if lang == Lang::Ja {
        "opsdeck で開く"
    } else {
        "Open in opsdeck"
    };
    json!({
        "text": format!(
            "[{}] *{}*\n{}\n<{}|{}>",
            severity_word(severity, lang),
            r.title,
            r.body,
            absolute(public_url, &r.link),
            open
        ),
    })
}

/// PagerDuty Events API v2 body. A resolve carries only what PagerDuty reads.
pub fn pagerduty_payload(
    routing_key: &str,
    action: &str,
    dedup_key: &str,
    r: &Rendered,
    severity: Severity,
    public_url: &str,
) -> Value {
    if action == "resolve" {
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": dedup_key,
        });
    }
    json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": dedup_key,
        "payload": {
            "summary": format!("{}: {}", r.title, r.body).chars().take(1024).collect::<String>(),
            "source": "opsdeck",
            "severity": severity.as_str(),
        },
        "client": "opsdeck",
        "client_url": absolute(public_url, &r.link),
        "links": [{"href": absolute(public_url, &r.link), "text": r.title}],
    })
}

/// The generic webhook's JSON body.
pub fn webhook_payload(
    message_id: i64,
    idempotency_key: &str,
    event: &Event,
    r: &Rendered,
    created_at: chrono::DateTime<chrono::Utc>,
    public_url: &str,
) -> Value {
    json!({
        "id": message_id,
        "idempotency_key": idempotency_key,
        "kind": event.kind(),
        "severity": event.severity().as_str(),
        "title": r.title,
        "body": r.body,
        "url": absolute(public_url, &r.link),
        "created_at": created_at.to_rfc3339(),
        "event": event,
    })
}

/// Header name of the webhook signature.
pub const SIGNATURE_HEADER: &str = "X-Opsdeck-Signature-256";
/// Header carrying the idempotency key, so receivers can drop a repeat.
pub const DELIVERY_HEADER: &str = "X-Opsdeck-Delivery";

/// `sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub signs its webhooks.
pub fn sign(secret: &str, body: &[u8]) -> String {
    type HmacSha256 = Hmac<Sha256>;
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=<hex>` signature in constant time (for receivers and tests).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    type HmacSha256 = Hmac<Sha256>;
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> SelfAddresses {
        SelfAddresses {
            endpoints: vec![
                ("opsdeck.example.com".into(), 443),
                ("127.0.0.1".into(), 3000),
            ],
        }
    }

    #[test]
    fn channel_urls_must_be_http_and_not_opsdeck_itself() {
        assert!(check_url("https://hooks.slack.com/services/T/B/x", &me()).is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", &me()).is_ok());
        assert_eq!(check_url("ftp://example.com/x", &me()), Err(Msg::ErrUrl));
        assert_eq!(check_url("javascript:alert(1)", &me()), Err(Msg::ErrUrl));
        assert_eq!(check_url("not a url", &me()), Err(Msg::ErrUrl));
        assert_eq!(
            check_url("https://OPSDECK.example.com/api/x", &me()),
            Err(Msg::ErrUrlSelf)
        );
        assert_eq!(
            check_url("http://localhost:3000/rpc", &me()),
            Err(Msg::ErrUrlSelf)
        );
        assert_eq!(
            check_url("http://[::1]:3000/rpc", &me()),
            Err(Msg::ErrUrlSelf)
        );
    }

    #[test]
    fn webhook_signature_verifies_and_rejects_tampering() {
        let body = br#"{"id":1}"#;
        let sig = sign("s3cret", body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify("s3cret", body, &sig));
        assert!(!verify("other", body, &sig));
        assert!(!verify("s3cret", br#"{"id":2}"#, &sig));
        assert!(!verify("s3cret", body, "sha256=zz"));
        assert!(!verify("s3cret", body, "md5=00"));
    }

    #[test]
    fn maintenance_on_and_off_share_one_pagerduty_dedup_key() {
        let started = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let on = Event::MaintenanceOn {
            by: "op".into(),
            message: "m".into(),
            estimated_end: None,
            started_at: started,
        };
        let off = Event::MaintenanceOff {
            by: "op".into(),
            started_at: Some(started),
        };
        let (a1, k1) = incident(&on, "k-1");
        let (a2, k2) = incident(&off, "k-2");
        assert_eq!((a1, a2), ("trigger", "resolve"));
        assert_eq!(k1, k2);
        let r = on.render(Lang::En);
        let resolve = pagerduty_payload("rk", a2, &k2, &r, Severity::Info, "https://o.example");
        assert_eq!(resolve["event_action"], "resolve");
        assert!(resolve.get("payload").is_none());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = ChannelSecret {
            value: "xoxb-very-secret".into(),
        };
        assert!(!format!("{s:?}").contains("xoxb"));
    }
}
