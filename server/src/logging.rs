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

/// Words that make a field name secret (`api_token`, `session_id`, `set_cookie`, …).
const SECRET_FIELD_WORDS: &[&str] = &[
    "authorization",
    "cookie",
    "password",
    "passwd",
    "token",
    "secret",
    "session",
    "email",
    "e_mail",
    "mail",
];

/// Field names whose values never reach the log.
fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let token_id = is_token_id_field(&n);
    SECRET_FIELD_WORDS
        .iter()
        .any(|w| n.contains(w) && !(token_id && *w == "token"))
}

/// `token_id`, `api_token_id`, `tokenId`: the database id of an API token
/// names which token was used and is no secret, although it says `token`.
fn is_token_id_field(lowercase_name: &str) -> bool {
    ["_ids", "_id", "ids", "id"].iter().any(|suffix| {
        lowercase_name
            .strip_suffix(suffix)
            .is_some_and(|stem| stem.ends_with("token"))
    })
}

/// Masks `Bearer …`/`Basic …` credentials, session cookie values, `odk_…`
/// tokens and e-mail addresses in free text. Whitespace is kept as it was.
pub fn redact_text(text: &str) -> String {
    let text = redact_ranges(text, &secret_value_ranges(text));
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let space = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..space]);
        rest = &rest[space..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        if word.contains("odk_") {
            out.push_str(REDACTED);
        } else if looks_like_email(word) {
            out.push_str("[REDACTED_EMAIL]");
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out
}

/// What comes before a secret value in free text.
#[derive(Clone, Copy)]
enum Lead {
    /// An HTTP auth scheme: `Bearer abc`, `bearer   abc`, `Bearer\tabc`, `Bearer=abc`.
    Scheme,
    /// A session cookie name: `opsdeck_session=abc`, `__Host-opsdeck_session=abc`,
    /// `"opsdeck_session": "abc"`.
    Cookie,
}

const SECRET_LEADS: &[(&str, Lead)] = &[
    ("bearer", Lead::Scheme),
    ("basic", Lead::Scheme),
    ("opsdeck_session", Lead::Cookie),
];

/// Byte ranges of the values that follow a [`SECRET_LEADS`] word, in any
/// ASCII case. Only ASCII is inspected, so every range lies on char boundaries.
fn secret_value_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut ranges = Vec::new();
    for &(word, lead) in SECRET_LEADS {
        for (at, _) in lower.match_indices(word) {
            if at > 0 && is_word_byte(bytes[at - 1]) {
                continue;
            }
            let start = skip_separator(bytes, at + word.len(), lead);
            let end = start
                + bytes[start..]
                    .iter()
                    .take_while(|&&b| !ends_value(b))
                    .count();
            if start > at + word.len() && end > start {
                ranges.push((start, end));
            }
        }
    }
    ranges.sort_unstable();
    ranges
}

/// Index just past the separator after a lead word at `from`, or `from` when
/// there is none (`Bearers`, `opsdeck_session_count`: not a lead).
fn skip_separator(bytes: &[u8], from: usize, lead: Lead) -> usize {
    let mut i = from;
    let mut assigned = false;
    while i < bytes.len() {
        match (lead, bytes[i]) {
            (_, b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            (_, b'=' | b':') => {
                assigned = true;
                i += 1;
            }
            // `\t`, `\n`, `\r` as written by `{:?}`.
            (_, b'\\') if matches!(bytes.get(i + 1), Some(b't' | b'n' | b'r')) => i += 2,
            // `"opsdeck_session": "abc"` and `\"` as written by `{:?}`.
            (Lead::Cookie, b'"' | b'\'' | b'\\') => i += 1,
            _ => break,
        }
    }
    match lead {
        Lead::Scheme => i,
        Lead::Cookie if assigned => i,
        Lead::Cookie => from,
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Bytes that end a credential or cookie value.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'\\' | b',' | b';' | b'&' | b')' | b']' | b'}' | b'>'
        )
}

/// `text` with each (sorted) byte range replaced by [`REDACTED`].
fn redact_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for &(start, end) in ranges {
        if start < done {
            // Overlaps the value just masked: widen that mask.
            done = done.max(end);
            continue;
        }
        out.push_str(&text[done..start]);
        out.push_str(REDACTED);
        done = end;
    }
    out.push_str(&text[done..]);
    out
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

    #[test]
    fn bearer_credentials_are_redacted_in_any_spacing_quoting_and_case() {
        let inputs = [
            "Bearer s3cr3tcred",
            "bearer   s3cr3tcred",
            "Bearer\ts3cr3tcred",
            "BEARER s3cr3tcred",
            "Authorization: \"Bearer s3cr3tcred\"",
            "Bearer=s3cr3tcred",
            r#"{"authorization":"Bearer s3cr3tcred"}"#,
            r#""Bearer s3cr3tcred""#,
            "Bearer\ns3cr3tcred",
        ];
        for input in inputs {
            let text = redact_text(input);
            assert!(!text.contains("s3cr3tcred"), "{input:?} -> {text:?}");
            assert!(text.contains(REDACTED), "{input:?} -> {text:?}");
            let lines = capture(|| {
                tracing::info!(forwarded = input, "got {input}");
                tracing::info!(forwarded = ?input, "debug-formatted");
            });
            for line in &lines {
                assert!(!line.to_string().contains("s3cr3tcred"), "{line}");
            }
        }
        // The scheme and the surrounding text stay readable.
        assert_eq!(
            redact_text("Authorization: \"Bearer abc.def\", next"),
            "Authorization: \"Bearer [REDACTED]\", next"
        );
    }

    #[test]
    fn session_cookies_are_redacted_in_text_and_fields() {
        let text = redact_text("Cookie: theme=dark; opsdeck_session=s3ss10nA; lang=ja");
        assert_eq!(
            text,
            "Cookie: theme=dark; opsdeck_session=[REDACTED]; lang=ja"
        );
        let text = redact_text("set __Host-opsdeck_session=s3ss10nB; Path=/; Secure");
        assert_eq!(
            text,
            "set __Host-opsdeck_session=[REDACTED]; Path=/; Secure"
        );
        assert!(!redact_text(r#"{"opsdeck_session": "s3ss10nC"}"#).contains("s3ss10nC"));

        let lines = capture(|| {
            tracing::info!(session = "s3ss10nD", session_id = "s3ss10nE", "fields");
            tracing::info!(cookie = "opsdeck_session=s3ss10nF", "cookie field");
            tracing::info!(header = "OPSDECK_SESSION=s3ss10nG", "other field");
            tracing::info!("raw header __Host-opsdeck_session=s3ss10nH");
            tracing::info!(headers = ?vec!["opsdeck_session=s3ss10nI"], "debug field");
        });
        assert_eq!(lines[0]["session"], REDACTED);
        assert_eq!(lines[0]["session_id"], REDACTED);
        assert_eq!(lines[1]["cookie"], REDACTED);
        let all: String = lines.iter().map(|l| l.to_string()).collect();
        assert!(!all.contains("s3ss10n"), "{all}");
    }

    #[test]
    fn token_id_stays_visible() {
        let lines = capture(|| {
            tracing::info!(token_id = 42, "token used");
            tracing::info!(token_id = "tok-7", api_token_id = 9, "token used");
            tracing::info!(api_token = "odk_zzz", token = "plain", "token value");
        });
        assert_eq!(lines[0]["token_id"], 42);
        assert_eq!(lines[1]["token_id"], "tok-7");
        assert_eq!(lines[1]["api_token_id"], 9);
        assert_eq!(lines[2]["api_token"], REDACTED);
        assert_eq!(lines[2]["token"], REDACTED);
    }

    #[test]
    fn whitespace_and_lookalike_words_survive() {
        assert_eq!(redact_text("a  b\tc\nd"), "a  b\tc\nd");
        assert_eq!(redact_text("Bearers only"), "Bearers only");
        assert_eq!(
            redact_text("opsdeck_session_count is 3"),
            "opsdeck_session_count is 3"
        );
    }
}
