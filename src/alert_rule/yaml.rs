//! The policy's alert-rule YAML (`alerts:` list), read and written by hand
//! (R-MON-3, decision 0105).
//!
//! Why hand-written: the policy's own block must survive parse → write byte
//! for byte, and it has irregular trivia (a trailing space after the first
//! `notify:`), which no serde YAML round trip keeps. The parser accepts a
//! strict subset of YAML and records the layout (blank lines, spaces after
//! `:`, trailing whitespace, key order, indentation, block/flow/scalar
//! `notify`, the exact text of scalar values) in a [`DocumentLayout`]; the
//! writer replays it for rules that still exist and uses the canonical form
//! (the policy's) for new or changed ones.
//!
//! Accepted subset:
//! ```yaml
//! alerts:
//!   - name: HighErrorRate           # any of the five keys may come first
//!     condition: error_rate > 5%
//!     duration: 5m
//!     severity: critical
//!     notify:                       # block list, `[a, b]`, or one plain channel
//!       - pagerduty
//! ```
//! Refused with a line number: comments, tabs in indentation, quoted or
//! other special scalars (`"…"`, `'…'`, `&`, `*`, `!`, `|`, `>`, `{`),
//! unknown, duplicate or missing keys, inconsistent indentation, invalid
//! values (through the condition/duration/severity parsers), duplicate rule
//! names. `alerts: []` (or a bare `alerts:`) is an empty list.
//!
//! Importing what people write (comments, quotes, flow lists) is
//! [`super::import`]'s job (decision 0018); this module is the exact
//! writer used for export, and the exact reader behind its round trips.

use super::{valid_channel, valid_name, AlertCondition, AlertDuration, AlertRule, Severity};
use serde::{Deserialize, Serialize};

/// A key of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `name`
    Name,
    /// `condition`
    Condition,
    /// `duration`
    Duration,
    /// `severity`
    Severity,
    /// `notify`
    Notify,
}

const CANONICAL_ORDER: [Field; 5] = [
    Field::Name,
    Field::Condition,
    Field::Duration,
    Field::Severity,
    Field::Notify,
];

impl Field {
    fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Condition => "condition",
            Self::Duration => "duration",
            Self::Severity => "severity",
            Self::Notify => "notify",
        }
    }
    fn from_key(k: &str) -> Option<Self> {
        CANONICAL_ORDER.into_iter().find(|f| f.key() == k)
    }
}

/// Trivia of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTrivia {
    /// Blank (whitespace-only) lines just before this line, verbatim.
    pub before: Vec<String>,
    /// Whitespace between `:` and the value.
    pub sep: String,
    /// Whitespace after the value (or after `:` when there is none).
    pub trailing: String,
    /// The value exactly as written, reused while it still means the same.
    pub raw: Option<String>,
}

impl Default for LineTrivia {
    fn default() -> Self {
        Self {
            before: Vec::new(),
            sep: " ".into(),
            trailing: String::new(),
            raw: None,
        }
    }
}

/// How `notify` was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyStyle {
    /// `notify:` then `- channel` lines.
    Block,
    /// `notify: [a, b]`.
    Flow,
    /// `notify: channel`.
    Scalar,
}

/// Layout of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleLayout {
    /// Key order as written.
    pub order: Vec<Field>,
    /// `name` line.
    pub name: LineTrivia,
    /// `condition` line.
    pub condition: LineTrivia,
    /// `duration` line.
    pub duration: LineTrivia,
    /// `severity` line.
    pub severity: LineTrivia,
    /// `notify` line.
    pub notify: LineTrivia,
    /// Style of the notify list.
    pub notify_style: NotifyStyle,
    /// Trivia of each block-list item.
    pub items: Vec<LineTrivia>,
}

impl RuleLayout {
    fn canonical(index: usize) -> Self {
        let mut name = LineTrivia::default();
        if index > 0 {
            name.before.push(String::new());
        }
        Self {
            order: CANONICAL_ORDER.to_vec(),
            name,
            condition: LineTrivia::default(),
            duration: LineTrivia::default(),
            severity: LineTrivia::default(),
            notify: LineTrivia::default(),
            notify_style: NotifyStyle::Block,
            items: Vec::new(),
        }
    }
    fn trivia(&self, f: Field) -> &LineTrivia {
        match f {
            Field::Name => &self.name,
            Field::Condition => &self.condition,
            Field::Duration => &self.duration,
            Field::Severity => &self.severity,
            Field::Notify => &self.notify,
        }
    }
    fn trivia_mut(&mut self, f: Field) -> &mut LineTrivia {
        match f {
            Field::Name => &mut self.name,
            Field::Condition => &mut self.condition,
            Field::Duration => &mut self.duration,
            Field::Severity => &mut self.severity,
            Field::Notify => &mut self.notify,
        }
    }
}

/// Layout of a whole document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLayout {
    /// Blank lines before `alerts:`.
    pub leading: Vec<String>,
    /// Whitespace after `alerts:` (or after `[]`).
    pub header_trailing: String,
    /// The list was written `alerts: []`.
    pub header_flow_empty: bool,
    /// Indentation of `- ` rule markers (2).
    pub indent: usize,
    /// Indentation of `- ` notify items (6).
    pub notify_indent: usize,
    /// Per rule, by position.
    pub rules: Vec<RuleLayout>,
    /// Blank lines at the end.
    pub trailing: Vec<String>,
    /// Whether the text ended with a newline.
    pub final_newline: bool,
}

impl Default for DocumentLayout {
    fn default() -> Self {
        Self {
            leading: Vec::new(),
            header_trailing: String::new(),
            header_flow_empty: true,
            indent: 2,
            notify_indent: 6,
            rules: Vec::new(),
            trailing: Vec::new(),
            final_newline: true,
        }
    }
}

/// Parsed rules plus the layout needed to write them back exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRulesDocument {
    /// The rules.
    pub rules: Vec<AlertRule>,
    /// How they were written.
    pub layout: DocumentLayout,
}

/// What went wrong where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("line {line}: {kind}")]
pub struct YamlError {
    /// 1-based line number.
    pub line: usize,
    /// The problem.
    pub kind: YamlErrorKind,
}

/// The kinds of YAML error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum YamlErrorKind {
    /// The document must start with `alerts:`.
    #[error("expected `alerts:` at the top")]
    MissingHeader,
    /// Comments are not part of the subset.
    #[error("comments are not supported in alert rule files")]
    Comment,
    /// Tabs in indentation.
    #[error("indent with spaces, not tabs")]
    Tab,
    /// Line at an unexpected indentation.
    #[error("unexpected indentation")]
    UnexpectedIndent,
    /// Not a `key: value` line.
    #[error("expected `key: value`")]
    NotKeyValue,
    /// Unknown key.
    #[error("unknown key `{0}` (expected name, condition, duration, severity, notify)")]
    UnknownKey(String),
    /// Key given twice in a rule.
    #[error("duplicate key `{0}`")]
    DuplicateKey(String),
    /// Required key absent.
    #[error("rule is missing `{0}`")]
    MissingKey(String),
    /// YAML outside the supported subset.
    #[error("unsupported YAML: {0}")]
    Unsupported(String),
    /// A value did not parse.
    #[error("invalid {key}: {message}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The value parser's message.
        message: String,
    },
    /// Two rules share a name.
    #[error("duplicate rule name `{0}`")]
    DuplicateName(String),
    /// Content after `alerts: []`.
    #[error("content after an empty `alerts: []`")]
    AfterEmptyList,
}

fn err(line: usize, kind: YamlErrorKind) -> YamlError {
    YamlError { line, kind }
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r'
}

fn is_blank(line: &str) -> bool {
    line.chars().all(is_ws)
}

fn split_trailing(s: &str) -> (&str, &str) {
    let body = s.trim_end_matches(is_ws);
    (body, &s[body.len()..])
}

struct KeyLine<'a> {
    field: Field,
    sep: &'a str,
    value: &'a str,
    trailing: &'a str,
}

fn parse_key_line(text: &str, line: usize) -> Result<KeyLine<'_>, YamlError> {
    let pos = text
        .find(':')
        .ok_or_else(|| err(line, YamlErrorKind::NotKeyValue))?;
    let key = &text[..pos];
    let field = Field::from_key(key)
        .ok_or_else(|| err(line, YamlErrorKind::UnknownKey(key.to_string())))?;
    let rest = &text[pos + 1..];
    if is_blank(rest) {
        return Ok(KeyLine {
            field,
            sep: "",
            value: "",
            trailing: rest,
        });
    }
    if !rest.starts_with(' ') {
        return Err(err(line, YamlErrorKind::NotKeyValue));
    }
    let after_sep = rest.trim_start_matches(' ');
    let sep = &rest[..rest.len() - after_sep.len()];
    let (value, trailing) = split_trailing(after_sep);
    check_plain(value, field == Field::Notify, line)?;
    Ok(KeyLine {
        field,
        sep,
        value,
        trailing,
    })
}

fn check_plain(value: &str, allow_flow: bool, line: usize) -> Result<(), YamlError> {
    if value.contains(" #") || value.starts_with('#') {
        return Err(err(line, YamlErrorKind::Comment));
    }
    let first = value.chars().next();
    let special = first.is_some_and(|c| {
        "\"'&*!|>{%@`,]?".contains(c)
            || (c == '[' && !allow_flow)
            || (c == '-' && value.starts_with("- "))
    });
    if special || value.contains('\t') {
        return Err(err(
            line,
            YamlErrorKind::Unsupported(format!(
                "value `{value}` needs quoting or uses special syntax"
            )),
        ));
    }
    Ok(())
}

/// Items of a flow list body after `[` (`None` without the closing `]`).
fn parse_flow(after_bracket: &str) -> Option<Vec<String>> {
    let inner = after_bracket.strip_suffix(']')?;
    Some(if inner.trim().is_empty() {
        Vec::new()
    } else {
        inner.split(',').map(|s| s.trim().to_string()).collect()
    })
}

fn invalid(line: usize, key: &str, message: impl ToString) -> YamlError {
    err(
        line,
        YamlErrorKind::InvalidValue {
            key: key.to_string(),
            message: message.to_string(),
        },
    )
}

#[derive(Default)]
struct Partial {
    line: usize,
    name: Option<String>,
    condition: Option<AlertCondition>,
    duration: Option<AlertDuration>,
    severity: Option<Severity>,
    notify: Option<Vec<String>>,
    layout: Option<RuleLayout>,
    expecting_items: bool,
}

impl Partial {
    fn finish(self) -> Result<(AlertRule, RuleLayout), YamlError> {
        let missing = |k: &str| err(self.line, YamlErrorKind::MissingKey(k.to_string()));
        let rule = AlertRule {
            name: self.name.ok_or_else(|| missing("name"))?,
            condition: self.condition.ok_or_else(|| missing("condition"))?,
            duration: self.duration.ok_or_else(|| missing("duration"))?,
            severity: self.severity.ok_or_else(|| missing("severity"))?,
            notify: self.notify.ok_or_else(|| missing("notify"))?,
        };
        Ok((
            rule,
            self.layout.unwrap_or_else(|| RuleLayout::canonical(0)),
        ))
    }

    fn set(&mut self, kl: &KeyLine<'_>, before: Vec<String>, line: usize) -> Result<(), YamlError> {
        let key = kl.field.key();
        let dup = match kl.field {
            Field::Name => self.name.is_some(),
            Field::Condition => self.condition.is_some(),
            Field::Duration => self.duration.is_some(),
            Field::Severity => self.severity.is_some(),
            Field::Notify => self.notify.is_some(),
        };
        if dup {
            return Err(err(line, YamlErrorKind::DuplicateKey(key.to_string())));
        }
        let v = kl.value;
        if v.is_empty() && kl.field != Field::Notify {
            return Err(invalid(line, key, "a value is required"));
        }
        let mut style = None;
        match kl.field {
            Field::Name => {
                if !valid_name(v) {
                    return Err(invalid(line, key, "use letters, digits, '_', '-' and '.'"));
                }
                self.name = Some(v.to_string());
            }
            Field::Condition => {
                self.condition = Some(AlertCondition::parse(v).map_err(|e| invalid(line, key, e))?)
            }
            Field::Duration => {
                self.duration = Some(AlertDuration::parse(v).map_err(|e| invalid(line, key, e))?)
            }
            Field::Severity => {
                self.severity = Some(v.parse::<Severity>().map_err(|e| invalid(line, key, e))?)
            }
            Field::Notify => {
                let items: Vec<String> = if v.is_empty() {
                    self.expecting_items = true;
                    style = Some(NotifyStyle::Block);
                    Vec::new()
                } else if let Some(inner) = v.strip_prefix('[') {
                    style = Some(NotifyStyle::Flow);
                    parse_flow(inner).ok_or_else(|| invalid(line, key, "unterminated `[`"))?
                } else {
                    style = Some(NotifyStyle::Scalar);
                    vec![v.to_string()]
                };
                if let Some(bad) = items.iter().find(|c| !valid_channel(c)) {
                    return Err(invalid(line, key, format!("bad channel name `{bad}`")));
                }
                self.notify = Some(items);
            }
        }
        let layout = self.layout.get_or_insert_with(|| RuleLayout {
            order: Vec::new(),
            ..RuleLayout::canonical(0)
        });
        layout.order.push(kl.field);
        if let Some(s) = style {
            layout.notify_style = s;
        }
        let t = layout.trivia_mut(kl.field);
        *t = LineTrivia {
            before,
            sep: kl.sep.to_string(),
            trailing: kl.trailing.to_string(),
            raw: (kl.field != Field::Notify || style == Some(NotifyStyle::Flow))
                .then(|| v.to_string()),
        };
        Ok(())
    }
}

fn indent_of(line: &str, n: usize) -> Result<usize, YamlError> {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    if line[spaces..].starts_with('\t') {
        return Err(err(n, YamlErrorKind::Tab));
    }
    Ok(spaces)
}

/// Parses the policy's alert YAML (see module docs for the subset).
pub fn parse_alert_rules(input: &str) -> Result<AlertRulesDocument, YamlError> {
    let (body, final_newline) = match input.strip_suffix('\n') {
        Some(b) => (b, true),
        None => (input, false),
    };
    let lines: Vec<&str> = body.split('\n').collect();
    let mut layout = DocumentLayout {
        final_newline,
        header_flow_empty: false,
        ..DocumentLayout::default()
    };
    let mut i = 0;
    while i < lines.len() && is_blank(lines[i]) {
        layout.leading.push(lines[i].to_string());
        i += 1;
    }
    let header_line = (i + 1).min(lines.len());
    let header = lines.get(i).copied().unwrap_or("");
    if header.trim_start().starts_with('#') {
        return Err(err(header_line, YamlErrorKind::Comment));
    }
    let rest = header
        .strip_prefix("alerts:")
        .ok_or_else(|| err(header_line, YamlErrorKind::MissingHeader))?;
    if is_blank(rest) {
        layout.header_trailing = rest.to_string();
    } else if let Some(after) = rest.strip_prefix(" []").filter(|a| is_blank(a)) {
        layout.header_flow_empty = true;
        layout.header_trailing = after.to_string();
    } else {
        return Err(err(
            header_line,
            YamlErrorKind::Unsupported("`alerts:` must be followed by a list".into()),
        ));
    }
    i += 1;

    let mut rules: Vec<AlertRule> = Vec::new();
    let mut rule_layouts: Vec<RuleLayout> = Vec::new();
    let mut current: Option<Partial> = None;
    let mut pending_blank: Vec<String> = Vec::new();
    let mut indent: Option<usize> = None;
    let mut notify_indent: Option<usize> = None;

    let close = |p: Partial,
                 rules: &mut Vec<AlertRule>,
                 layouts: &mut Vec<RuleLayout>|
     -> Result<(), YamlError> {
        let line = p.line;
        let (rule, rl) = p.finish()?;
        if rules.iter().any(|r| r.name == rule.name) {
            return Err(err(line, YamlErrorKind::DuplicateName(rule.name)));
        }
        rules.push(rule);
        layouts.push(rl);
        Ok(())
    };

    while i < lines.len() {
        let n = i + 1;
        let line = lines[i];
        i += 1;
        if is_blank(line) {
            pending_blank.push(line.to_string());
            continue;
        }
        if line.trim_start().starts_with('#') {
            return Err(err(n, YamlErrorKind::Comment));
        }
        if layout.header_flow_empty {
            return Err(err(n, YamlErrorKind::AfterEmptyList));
        }
        let ind = indent_of(line, n)?;
        let content = &line[ind..];
        let rule_indent = *indent.get_or_insert(ind);
        if ind == rule_indent {
            let Some(after) = content.strip_prefix("- ") else {
                return Err(err(n, YamlErrorKind::UnexpectedIndent));
            };
            if after.starts_with(' ') {
                return Err(err(n, YamlErrorKind::UnexpectedIndent));
            }
            if let Some(p) = current.take() {
                close(p, &mut rules, &mut rule_layouts)?;
            }
            let mut p = Partial {
                line: n,
                ..Partial::default()
            };
            let kl = parse_key_line(after, n)?;
            p.set(&kl, std::mem::take(&mut pending_blank), n)?;
            current = Some(p);
            continue;
        }
        let Some(p) = current.as_mut() else {
            return Err(err(n, YamlErrorKind::UnexpectedIndent));
        };
        if ind == rule_indent + 2 && !content.starts_with("- ") {
            p.expecting_items = false;
            let kl = parse_key_line(content, n)?;
            p.set(&kl, std::mem::take(&mut pending_blank), n)?;
            continue;
        }
        if p.expecting_items && ind > rule_indent {
            let ni = *notify_indent.get_or_insert(ind);
            if ind != ni {
                return Err(err(n, YamlErrorKind::UnexpectedIndent));
            }
            let Some(item) = content.strip_prefix("- ") else {
                return Err(err(n, YamlErrorKind::UnexpectedIndent));
            };
            let (value, trailing) = split_trailing(item);
            check_plain(value, false, n)?;
            if !valid_channel(value) {
                return Err(invalid(n, "notify", format!("bad channel name `{value}`")));
            }
            if let Some(list) = p.notify.as_mut() {
                list.push(value.to_string());
            }
            if let Some(rl) = p.layout.as_mut() {
                rl.items.push(LineTrivia {
                    before: std::mem::take(&mut pending_blank),
                    sep: " ".into(),
                    trailing: trailing.to_string(),
                    raw: None,
                });
            }
            continue;
        }
        return Err(err(n, YamlErrorKind::UnexpectedIndent));
    }
    if let Some(p) = current.take() {
        close(p, &mut rules, &mut rule_layouts)?;
    }
    layout.trailing = pending_blank;
    layout.indent = indent.unwrap_or(2);
    layout.notify_indent = notify_indent.unwrap_or(layout.indent + 4);
    layout.rules = rule_layouts;
    Ok(AlertRulesDocument { rules, layout })
}

fn scalar_text(rule: &AlertRule, f: Field, raw: Option<&str>) -> String {
    let canonical = match f {
        Field::Name => rule.name.clone(),
        Field::Condition => rule.condition.to_string(),
        Field::Duration => rule.duration.to_string(),
        Field::Severity => rule.severity.to_string(),
        Field::Notify => String::new(),
    };
    let same = |r: &str| match f {
        Field::Name => r == rule.name,
        Field::Condition => AlertCondition::parse(r).is_ok_and(|c| c == rule.condition),
        Field::Duration => AlertDuration::parse(r).is_ok_and(|d| d == rule.duration),
        Field::Severity => r.parse::<Severity>().is_ok_and(|s| s == rule.severity),
        Field::Notify => false,
    };
    match raw {
        Some(r) if same(r) => r.to_string(),
        _ => canonical,
    }
}

/// Writes rules with a layout (exact replay of parsed trivia where it still applies).
pub fn write_document(doc: &AlertRulesDocument) -> String {
    let lay = &doc.layout;
    let mut out = String::new();
    let mut push_line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    for l in &lay.leading {
        push_line(l);
    }
    if doc.rules.is_empty() && lay.header_flow_empty {
        push_line(&format!("alerts: []{}", lay.header_trailing));
    } else {
        push_line(&format!("alerts:{}", lay.header_trailing));
    }
    let pad = " ".repeat(lay.indent);
    let key_pad = " ".repeat(lay.indent + 2);
    let item_pad = " ".repeat(lay.notify_indent.max(lay.indent + 1));
    for (i, rule) in doc.rules.iter().enumerate() {
        let rl = lay
            .rules
            .get(i)
            .cloned()
            .unwrap_or_else(|| RuleLayout::canonical(i));
        let order = if rl.order.len() == 5 && CANONICAL_ORDER.iter().all(|f| rl.order.contains(f)) {
            rl.order.clone()
        } else {
            CANONICAL_ORDER.to_vec()
        };
        for (k, f) in order.into_iter().enumerate() {
            let t = rl.trivia(f);
            for b in &t.before {
                push_line(b);
            }
            let prefix = if k == 0 {
                format!("{pad}- ")
            } else {
                key_pad.clone()
            };
            let sep = if t.sep.is_empty() {
                " "
            } else {
                t.sep.as_str()
            };
            if f != Field::Notify {
                let v = scalar_text(rule, f, t.raw.as_deref());
                push_line(&format!("{prefix}{}:{sep}{v}{}", f.key(), t.trailing));
                continue;
            }
            let style = match rl.notify_style {
                NotifyStyle::Scalar if rule.notify.len() != 1 => NotifyStyle::Block,
                NotifyStyle::Block if rule.notify.is_empty() && lay.rules.get(i).is_none() => {
                    NotifyStyle::Flow
                }
                s => s,
            };
            match style {
                NotifyStyle::Block => {
                    push_line(&format!("{prefix}notify:{}", t.trailing));
                    for (j, item) in rule.notify.iter().enumerate() {
                        let it = rl.items.get(j).cloned().unwrap_or_default();
                        for b in &it.before {
                            push_line(b);
                        }
                        push_line(&format!("{item_pad}- {item}{}", it.trailing));
                    }
                }
                NotifyStyle::Flow => {
                    let same = t
                        .raw
                        .as_deref()
                        .and_then(|r| r.strip_prefix('['))
                        .and_then(parse_flow)
                        .is_some_and(|v| v == rule.notify);
                    let list = match (&t.raw, same) {
                        (Some(r), true) => r.clone(),
                        _ => format!("[{}]", rule.notify.join(", ")),
                    };
                    push_line(&format!("{prefix}notify:{sep}{list}{}", t.trailing));
                }
                NotifyStyle::Scalar => {
                    let item = rule.notify.first().map(String::as_str).unwrap_or("");
                    push_line(&format!("{prefix}notify:{sep}{item}{}", t.trailing));
                }
            }
        }
    }
    for l in &lay.trailing {
        push_line(l);
    }
    if !lay.final_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Writes rules in the canonical (policy) layout.
pub fn write_alert_rules(rules: &[AlertRule]) -> String {
    write_document(&AlertRulesDocument {
        rules: rules.to_vec(),
        layout: DocumentLayout::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::default_rules;
    use super::*;
    use proptest::prelude::*;

    /// The policy's block, copied byte for byte (note the space after the first `notify:`).
    const POLICY_YAML: &str = include_str!("fixtures/policy_alerts.yaml");

    #[test]
    fn r_mon_3_policy_yaml_round_trips_byte_for_byte() {
        assert!(
            POLICY_YAML.contains("    notify: \n"),
            "fixture must keep the policy's trailing space"
        );
        let doc = parse_alert_rules(POLICY_YAML).unwrap();
        assert_eq!(doc.rules, default_rules());
        assert_eq!(write_document(&doc), POLICY_YAML);
    }

    #[test]
    fn r_mon_3_canonical_writer_is_the_policy_format() {
        let canonical = write_alert_rules(&default_rules());
        assert_eq!(canonical, POLICY_YAML.replace("notify: \n", "notify:\n"));
        assert_eq!(
            parse_alert_rules(&canonical).unwrap().rules,
            default_rules()
        );
        assert_eq!(write_alert_rules(&[]), "alerts: []\n");
        assert!(parse_alert_rules("alerts: []\n").unwrap().rules.is_empty());
        assert!(parse_alert_rules("alerts:\n").unwrap().rules.is_empty());
    }

    #[test]
    fn r_mon_3_edits_take_effect_and_keep_other_trivia() {
        let mut doc = parse_alert_rules(POLICY_YAML).unwrap();
        doc.rules[1].duration = AlertDuration::parse("15m").unwrap();
        doc.rules[0].notify.push("email-oncall".into());
        doc.rules.push(AlertRule {
            name: "New".into(),
            ..default_rules()[2].clone()
        });
        let out = write_document(&doc);
        assert!(out.contains(
            "    notify: \n      - pagerduty\n      - slack-critical\n      - email-oncall\n"
        ));
        assert!(out.contains("    duration: 15m\n"));
        assert!(out.ends_with("      - email-oncall\n\n  - name: New\n    condition: disk_usage > 90%\n    duration: 5m\n    severity: critical\n    notify:\n      - pagerduty\n      - email-oncall\n"));
        assert_eq!(parse_alert_rules(&out).unwrap().rules, doc.rules);
    }

    #[test]
    fn r_mon_3_other_layouts_round_trip_exactly() {
        for text in [
            "alerts:\n- severity: info\n  name: a.b\n  condition: x>=1\n  duration: 30s\n  notify: [one, two@x]\n",
            "alerts:\n- severity: info\n  name: a.b\n  condition: x>=1\n  duration: 30s\n  notify: [ one ,two ]\n",
            "alerts:\n- severity: info\n  name: a.b\n  condition: x>=1\n  duration: 30s\n  notify: [ ]\n",
            "\nalerts:  \n  - name: A\n    condition: cpu_usage > 70%\n    duration: 1h\n    severity: Warning\n    notify: slack\n\n\n",
            "alerts:\r\n  - name: A\r\n    condition: a > 1\r\n    duration: 1m\r\n    severity: info\r\n    notify:\r\n    - x\r\n",
            "alerts:\n  - name: A\n    condition: a > 1\n    duration: 1m\n    severity: info\n    notify:\n\n      - x\n      - y   \n  - name: B\n    condition: a > 1\n    duration: 1m\n    severity: info\n    notify: []",
        ] {
            let doc = parse_alert_rules(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(write_document(&doc), text);
        }
    }

    #[test]
    fn r_mon_3_malformed_yaml_is_an_error_with_line() {
        let cases: &[(&str, usize)] = &[
            ("", 1),
            ("rules:\n", 1),
            ("# c\nalerts:\n", 1),
            ("alerts:\n  # c\n", 2),
            ("alerts:\n  - name: A # c\n", 2),
            ("alerts:\n\t- name: A\n", 2),
            ("alerts:\n  - name: \"A\"\n", 2),
            ("alerts:\n  - nam: A\n", 2),
            ("alerts:\n  - name: A\n    name: B\n", 3),
            ("alerts:\n  - name: A\n    condition: a > 1\n", 2),
            ("alerts:\n  - name: A\n    condition: a >> 1\n", 3),
            ("alerts:\n  - name: A\n     condition: a > 1\n", 3),
            ("alerts:\n  - name: A\n    condition: a > 1\n    duration: 5\n", 4),
            ("alerts:\n  - name: A\n    condition: a > 1\n    duration: 5m\n    severity: high\n", 5),
            ("alerts:\n  - name: A\n    notify: [a, b\n", 3),
            ("alerts:\n  - name: A\n    notify:\n      - a b\n", 4),
            ("alerts:\n  -name: A\n", 2),
            ("alerts:\n  - name:A\n", 2),
            ("alerts: []\n  - name: A\n", 2),
            ("alerts: x\n", 1),
            ("alerts:\n    - x\n", 2),
        ];
        for (text, line) in cases {
            let e = parse_alert_rules(text).unwrap_err();
            assert_eq!(e.line, *line, "{text:?}: {e}");
        }
        let dup = POLICY_YAML.replace("SlowResponse", "HighErrorRate");
        assert!(matches!(
            parse_alert_rules(&dup).unwrap_err().kind,
            YamlErrorKind::DuplicateName(_)
        ));
    }

    proptest! {
        #[test]
        fn r_mon_3_yaml_parse_never_panics(s in ".*") {
            let _ = parse_alert_rules(&s);
        }

        /// Generated documents with random trivia: they parse to the generated rules and write back exactly.
        #[test]
        fn r_mon_3_generated_yaml_round_trips(
            rules in proptest::collection::vec((
                "[A-Za-z][A-Za-z0-9_]{0,8}", 0usize..3, 0usize..4, proptest::collection::vec("[a-z][a-z-]{0,6}", 0..3),
                0usize..3, " {1,2}", "[ \t]{0,2}", 0usize..3, Just(vec![0usize, 1, 2, 3]).prop_shuffle()
            ), 0..4),
            crlf in any::<bool>(), final_nl in any::<bool>(), indent in 0usize..3,
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let conds = ["error_rate > 5%", "latency>=0.5s", "disk_usage  !=  90.0%"];
            let durs = ["5m", "10m", "30s", "1h"];
            let sevs = ["critical", "warning", "Info"];
            let pad = " ".repeat(indent);
            let mut text = format!("alerts:{nl}");
            let mut names = std::collections::HashSet::new();
            let mut expected = Vec::new();
            for (i, (name, c, d, notify, sev, sep, trail, style, order)) in rules.into_iter().enumerate() {
                let name = format!("{name}{i}");
                if !names.insert(name.clone()) { continue; }
                if i > 0 { text.push_str(nl); }
                let notify_text = match (style, notify.len()) {
                    (1, _) => format!("notify:{sep}[{}]{trail}{nl}", notify.join(",")),
                    (2, 1) => format!("notify:{sep}{}{trail}{nl}", notify[0]),
                    (_, 0) => format!("notify:{sep}[]{trail}{nl}"),
                    _ => format!("notify:{trail}{nl}{}", notify.iter().map(|n| format!("{pad}    - {n}{trail}{nl}")).collect::<String>()),
                };
                let mut lines = vec![
                    format!("name:{sep}{name}{trail}{nl}"),
                    format!("condition:{sep}{}{trail}{nl}", conds[c]),
                    format!("duration:{sep}{}{trail}{nl}", durs[d]),
                    format!("severity:{sep}{}{trail}{nl}", sevs[sev]),
                ];
                let mut ordered: Vec<String> = order.iter().map(|&k| lines[k].clone()).collect();
                ordered.push(notify_text);
                lines.clear();
                for (k, l) in ordered.into_iter().enumerate() {
                    text.push_str(&if k == 0 { format!("{pad}- {l}") } else { format!("{pad}  {l}") });
                }
                expected.push(AlertRule {
                    name,
                    condition: AlertCondition::parse(conds[c]).unwrap(),
                    duration: AlertDuration::parse(durs[d]).unwrap(),
                    severity: sevs[sev].parse().unwrap(),
                    notify,
                });
            }
            if !final_nl { text.truncate(text.len() - nl.len()); }
            let doc = parse_alert_rules(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}")))?;
            prop_assert_eq!(&doc.rules, &expected);
            prop_assert_eq!(write_document(&doc), text);
        }

        #[test]
        fn r_mon_3_yaml_mutations_never_panic(pos in 0usize..700, ch in "[ -~\\t\\n\\r]{0,3}", del in 0usize..5) {
            let mut s = POLICY_YAML.to_string();
            let mut p = pos.min(s.len());
            while !s.is_char_boundary(p) { p -= 1; }
            let mut end = (p + del).min(s.len());
            while !s.is_char_boundary(end) { end -= 1; }
            s.replace_range(p..end, &ch);
            if let Ok(doc) = parse_alert_rules(&s) {
                // Whatever parses, writes back exactly.
                prop_assert_eq!(write_document(&doc), s);
            }
        }
    }
}
