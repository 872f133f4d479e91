//! Structured JSON logs (R-MON-6): one line per event with level, ISO 8601
//! time, pid, hostname, version and the request id of the enclosing request.
//!
//! Redaction happens here, at the one place every log line passes through:
//! fields named like credentials or personal data are replaced, and e-mail
//! addresses, bearer tokens and opsdeck API tokens are masked inside any text.

use serde_json::{Map, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

const REDACTED: &str = "[REDACTED]";

/// Field names whose values never reach the log.
fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "password",
        "passwd",
        "token",
        "secret",
        "email",
        "e_mail",
        "mail",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// Masks e-mail addresses, `Bearer …` credentials and `odk_…` tokens in free text.
pub fn redact_text(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut after_bearer = false;
    for word in text.split(' ') {
        let masked = if after_bearer || word.contains("odk_") {
            REDACTED.to_string()
        } else if looks_like_email(word) {
            "[REDACTED_EMAIL]".to_string()
        } else {
            word.to_string()
        };
        after_bearer = word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic");
        words.push(masked);
    }
    words.join(" ")
}

fn looks_like_email(word: &str) -> bool {
    let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
    match trimmed.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        let value = if is_secret_field(name) {
            Value::String(REDACTED.into())
        } else {
            match value {
                Value::String(s) => Value::String(redact_text(&s)),
                v => v,
            }
        };
        self.0.insert(name.to_string(), value);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}

/// Fields recorded on a span, kept in its extensions.
struct SpanFields(Map<String, Value>);

/// Where lines go: stdout in production, a buffer in tests.
pub type Sink = Arc<Mutex<dyn Write + Send>>;

/// The JSON line layer.
pub struct JsonLayer {
    sink: Sink,
    pid: u32,
    hostname: String,
    version: &'static str,
}

impl JsonLayer {
    pub fn new(sink: Sink) -> Self {
        JsonLayer {
            sink,
            pid: std::process::id(),
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl<S> Layer<S> for JsonLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(SpanFields(fields)) = ext.get_mut::<SpanFields>() {
                values.record(&mut JsonVisitor(fields));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "level".into(),
            Value::String(meta.level().as_str().to_ascii_lowercase()),
        );
        line.insert(
            "time".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        line.insert("pid".into(), Value::from(self.pid));
        line.insert("hostname".into(), Value::String(self.hostname.clone()));
        line.insert("version".into(), Value::String(self.version.into()));
        line.insert("target".into(), Value::String(meta.target().into()));
        // Span fields (request_id, method, path) from the outermost span inwards.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    for (k, v) in fields {
                        line.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        for (k, v) in fields {
            let key = if k == "message" { "msg".to_string() } else { k };
            line.insert(key, v);
        }
        if let Ok(mut out) = self.sink.lock() {
            let _ = serde_json::to_writer(&mut *out, &Value::Object(line));
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
    }
}

/// Installs the JSON layer on stdout with `LOG_LEVEL` (e.g. `info`, `debug`, `warn,sqlx=error`).
pub fn init(level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let sink: Sink = Arc::new(Mutex::new(std::io::stdout()));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(JsonLayer::new(sink))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` with the JSON layer writing into a buffer; returns the lines.
    fn capture(f: impl FnOnce()) -> Vec<Value> {
        let buf = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink: Sink = buf.clone();
        let subscriber = tracing_subscriber::registry().with(JsonLayer::new(sink));
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn lines_carry_level_time_pid_hostname_version_and_request_id_r_mon_6() {
        let lines = capture(|| {
            let span = tracing::info_span!("request", request_id = "req-42");
            let _g = span.enter();
            tracing::warn!(status = 503, "hello");
        });
        let l = &lines[0];
        assert_eq!(l["level"], "warn");
        assert_eq!(l["msg"], "hello");
        assert_eq!(l["status"], 503);
        assert_eq!(l["request_id"], "req-42");
        assert_eq!(l["pid"], std::process::id());
        assert!(l["hostname"].as_str().is_some_and(|h| !h.is_empty()));
        assert_eq!(l["version"], env!("CARGO_PKG_VERSION"));
        let time = l["time"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    }

    #[test]
    fn authorization_header_is_redacted() {
        let lines = capture(|| tracing::info!(authorization = "Bearer odk_abc123", "call"));
        assert_eq!(lines[0]["authorization"], REDACTED);
        assert!(!lines[0].to_string().contains("odk_abc123"));
    }

    #[test]
    fn cookie_header_is_redacted() {
        let lines = capture(|| tracing::info!(cookie = "id=s3ss10n", "call"));
        assert_eq!(lines[0]["cookie"], REDACTED);
        assert!(!lines[0].to_string().contains("s3ss10n"));
    }

    #[test]
    fn passwords_are_redacted() {
        let lines =
            capture(|| tracing::info!(password = "hunter2hunter2", new_password = "x", "login"));
        assert_eq!(lines[0]["password"], REDACTED);
        assert_eq!(lines[0]["new_password"], REDACTED);
        assert!(!lines[0].to_string().contains("hunter2"));
    }

    #[test]
    fn tokens_are_redacted_in_fields_and_text() {
        let lines = capture(|| {
            tracing::info!(api_token = "odk_zzz", "using odk_secretvalue now");
            tracing::info!(header = "Bearer abc.def.ghi", "forwarded");
        });
        assert_eq!(lines[0]["api_token"], REDACTED);
        assert!(!lines[0].to_string().contains("odk_secretvalue"));
        assert!(!lines[1].to_string().contains("abc.def.ghi"));
    }

    #[test]
    fn email_addresses_are_redacted() {
        let lines = capture(|| {
            tracing::info!(email = "alice@example.com", "mail");
            tracing::info!(user = "bob@example.org", "sent to carol@example.net, ok");
        });
        let all = format!("{}{}", lines[0], lines[1]);
        for addr in ["alice@example.com", "bob@example.org", "carol@example.net"] {
            assert!(!all.contains(addr), "{addr} leaked: {all}");
        }
    }

    #[test]
    fn plain_text_survives() {
        assert_eq!(
            redact_text("deploy v1.2.0 to staging"),
            "deploy v1.2.0 to staging"
        );
        assert_eq!(redact_text("@here look"), "@here look");
    }
}
