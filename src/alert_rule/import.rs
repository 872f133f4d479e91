//! Importing alert rules from the YAML people write (R-MON-3, decision 0018).
//!
//! The policy's `alerts:` list, read with a maintained YAML parser
//! (`yaml-rust2`) instead of the strict subset reader in [`super::yaml`], so
//! whatever YAML allows is accepted: comments, single- or double-quoted
//! strings, block or flow lists (`notify: [a, b]`), flow mappings, any
//! indentation. The *shape* is strict: a mapping with exactly one key,
//! `alerts`, holding a list of rules, each a mapping of the five keys
//! `name`, `condition`, `duration`, `severity`, `notify` (a list of channel
//! names, or one name) — nothing else. Every problem is reported, each
//! naming the rule (position and name) and the field, so one round of fixes
//! is enough; an import with any problem imports nothing.
//!
//! Export is not here: it keeps the policy's own layout ([`super::yaml`]).

use super::yaml::Field;
use super::{valid_channel, valid_name, AlertCondition, AlertDuration, AlertRule, Severity};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use yaml_rust2::{Yaml, YamlLoader};

/// Largest document accepted (the policy's is 400 bytes; a thousand rules fit).
pub const MAX_IMPORT_BYTES: usize = 256 * 1024;
/// At most this many problems are listed.
pub const MAX_PROBLEMS: usize = 50;

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportProblemKind {
    /// Not YAML at all (the parser's message, with its line and column).
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// The parser's words.
        message: String,
    },
    /// Longer than [`MAX_IMPORT_BYTES`].
    TooLarge,
    /// More than one YAML document (`---`).
    SeveralDocuments,
    /// The document is not a mapping with an `alerts` key.
    NoAlertsList,
    /// A top-level key other than `alerts`.
    UnknownTopKey(String),
    /// `alerts` is not a list.
    AlertsNotAList,
    /// A rule is not a mapping.
    RuleNotAMapping,
    /// A key other than the five.
    UnknownKey(String),
    /// One of the five is missing.
    MissingKey,
    /// A value of the wrong type (a list where text belongs, …).
    WrongType,
    /// `name` is not `[A-Za-z0-9_.-]+`.
    BadName,
    /// Another rule has the same name.
    DuplicateName,
    /// The condition does not parse (the parser's message).
    BadCondition(String),
    /// The duration does not parse.
    BadDuration,
    /// Not critical, warning or info.
    BadSeverity,
    /// A channel name is not `[A-Za-z0-9_.@-]+`.
    BadChannel(String),
}

/// One problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    /// 0-based position of the rule in the list, if the problem is in one.
    pub rule: Option<usize>,
    /// That rule's name, when it has a readable one.
    pub name: Option<String>,
    /// The key the problem is in.
    pub field: Option<Field>,
    /// What is wrong.
    pub kind: ImportProblemKind,
}

impl ImportProblem {
    /// Where the problem is: `alerts[2] (SlowResponse).condition`, `alerts`,
    /// or `line 3` for a syntax error.
    pub fn location(&self) -> String {
        if let ImportProblemKind::Syntax { line, .. } = self.kind {
            return format!("line {line}");
        }
        let mut s = String::from("alerts");
        if let Some(i) = self.rule {
            s.push_str(&format!("[{i}]"));
            if let Some(n) = &self.name {
                s.push_str(&format!(" ({n})"));
            }
        }
        if let Some(f) = self.field {
            s.push('.');
            s.push_str(field_key(f));
        }
        s
    }
}

fn field_key(f: Field) -> &'static str {
    match f {
        Field::Name => "name",
        Field::Condition => "condition",
        Field::Duration => "duration",
        Field::Severity => "severity",
        Field::Notify => "notify",
    }
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImportProblemKind as K;
        let what = match &self.kind {
            K::Syntax { col, message, .. } => format!("column {col}: {message}"),
            K::TooLarge => format!("the document is over {MAX_IMPORT_BYTES} bytes"),
            K::SeveralDocuments => "only one YAML document is expected".into(),
            K::NoAlertsList => "expected a mapping with the key `alerts:`".into(),
            K::UnknownTopKey(k) => format!("unknown key `{k}` (only `alerts` is expected)"),
            K::AlertsNotAList => "`alerts` must be a list of rules".into(),
            K::RuleNotAMapping => {
                "a rule must be a mapping of name, condition, duration, severity, notify".into()
            }
            K::UnknownKey(k) => {
                format!("unknown key `{k}` (expected name, condition, duration, severity, notify)")
            }
            K::MissingKey => "is missing".into(),
            K::WrongType => "must be text (notify: a list of channel names)".into(),
            K::BadName => "names use only letters, digits, '_', '-' and '.'".into(),
            K::DuplicateName => "another rule has the same name".into(),
            K::BadCondition(m) => m.clone(),
            K::BadDuration => "expected a duration like 30s, 5m, 1h or 1d".into(),
            K::BadSeverity => "expected critical, warning or info".into(),
            K::BadChannel(c) => {
                format!("channel “{c}” may use only letters, digits, '_', '-', '.' and '@'")
            }
        };
        write!(f, "{}: {what}", self.location())
    }
}

struct Problems(Vec<ImportProblem>);

impl Problems {
    fn add(
        &mut self,
        rule: Option<usize>,
        name: Option<&str>,
        field: Option<Field>,
        kind: ImportProblemKind,
    ) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(ImportProblem {
                rule,
                name: name.map(str::to_string),
                field,
                kind,
            });
        }
    }
}

/// A scalar as text: strings as they are, numbers as written (a bare `5`
/// where a duration belongs then fails the duration's own check, which says
/// more than "wrong type").
fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn field_of(key: &str) -> Option<Field> {
    [
        Field::Name,
        Field::Condition,
        Field::Duration,
        Field::Severity,
        Field::Notify,
    ]
    .into_iter()
    .find(|f| field_key(*f) == key)
}

/// Parses YAML in the policy's shape into rules (see module docs). Either
/// every rule, or every problem found (at most [`MAX_PROBLEMS`]).
pub fn import_alert_rules(input: &str) -> Result<Vec<AlertRule>, Vec<ImportProblem>> {
    let mut p = Problems(Vec::new());
    if input.len() > MAX_IMPORT_BYTES {
        p.add(None, None, None, ImportProblemKind::TooLarge);
        return Err(p.0);
    }
    let docs = match YamlLoader::load_from_str(input) {
        Ok(d) => d,
        Err(e) => {
            p.add(
                None,
                None,
                None,
                ImportProblemKind::Syntax {
                    line: e.marker().line(),
                    col: e.marker().col() + 1,
                    message: e.info().to_string(),
                },
            );
            return Err(p.0);
        }
    };
    let doc = match docs.as_slice() {
        [one] => one,
        [] => {
            p.add(None, None, None, ImportProblemKind::NoAlertsList);
            return Err(p.0);
        }
        _ => {
            p.add(None, None, None, ImportProblemKind::SeveralDocuments);
            return Err(p.0);
        }
    };
    let Yaml::Hash(top) = doc else {
        p.add(None, None, None, ImportProblemKind::NoAlertsList);
        return Err(p.0);
    };
    let mut list = None;
    for (k, v) in top {
        match k.as_str() {
            Some("alerts") => list = Some(v),
            _ => p.add(
                None,
                None,
                None,
                ImportProblemKind::UnknownTopKey(text(k).unwrap_or_else(|| format!("{k:?}"))),
            ),
        }
    }
    let items: &[Yaml] = match list {
        None => {
            p.add(None, None, None, ImportProblemKind::NoAlertsList);
            &[]
        }
        // `alerts:` with nothing after it is an empty list.
        Some(Yaml::Null) => &[],
        Some(Yaml::Array(a)) => a,
        Some(_) => {
            p.add(None, None, None, ImportProblemKind::AlertsNotAList);
            &[]
        }
    };
    let mut rules = Vec::new();
    let mut names = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(rule) = read_rule(i, item, &mut p) {
            if !names.insert(rule.name.clone()) {
                p.add(
                    Some(i),
                    Some(&rule.name),
                    Some(Field::Name),
                    ImportProblemKind::DuplicateName,
                );
            }
            rules.push(rule);
        }
    }
    if p.0.is_empty() {
        Ok(rules)
    } else {
        Err(p.0)
    }
}

fn read_rule(i: usize, item: &Yaml, p: &mut Problems) -> Option<AlertRule> {
    let Yaml::Hash(map) = item else {
        p.add(Some(i), None, None, ImportProblemKind::RuleNotAMapping);
        return None;
    };
    // The name first, so every other problem of this rule can name it.
    let name_node = map.iter().find(|(k, _)| k.as_str() == Some("name"));
    let name_text = name_node.and_then(|(_, v)| text(v));
    let name_ok = name_text.as_deref().filter(|n| valid_name(n));
    let here = name_ok.map(str::to_string);
    let add = |p: &mut Problems, f: Option<Field>, k: ImportProblemKind| {
        p.add(Some(i), here.as_deref(), f, k);
    };
    for (k, _) in map {
        if k.as_str().and_then(field_of).is_none() {
            add(
                p,
                None,
                ImportProblemKind::UnknownKey(text(k).unwrap_or_else(|| format!("{k:?}"))),
            );
        }
    }
    let get = |f: Field| {
        map.iter()
            .find(|(k, _)| k.as_str() == Some(field_key(f)))
            .map(|(_, v)| v)
    };
    let before = p.0.len();
    // A scalar field: missing, wrong type, or its text.
    let scalar = |p: &mut Problems, f: Field| -> Option<String> {
        match get(f) {
            None | Some(Yaml::Null) => {
                add(p, Some(f), ImportProblemKind::MissingKey);
                None
            }
            Some(v) => {
                let t = text(v);
                if t.is_none() {
                    add(p, Some(f), ImportProblemKind::WrongType);
                }
                t
            }
        }
    };
    let name = scalar(p, Field::Name);
    if name.is_some() && name_ok.is_none() {
        add(p, Some(Field::Name), ImportProblemKind::BadName);
    }
    let condition = scalar(p, Field::Condition).and_then(|c| {
        AlertCondition::parse(&c)
            .map_err(|e| {
                add(
                    p,
                    Some(Field::Condition),
                    ImportProblemKind::BadCondition(e.to_string()),
                )
            })
            .ok()
    });
    let duration = scalar(p, Field::Duration).and_then(|d| {
        AlertDuration::parse(&d)
            .map_err(|_| add(p, Some(Field::Duration), ImportProblemKind::BadDuration))
            .ok()
    });
    let severity = scalar(p, Field::Severity).and_then(|s| {
        s.parse::<Severity>()
            .map_err(|_| add(p, Some(Field::Severity), ImportProblemKind::BadSeverity))
            .ok()
    });
    let notify = match get(Field::Notify) {
        None => {
            add(p, Some(Field::Notify), ImportProblemKind::MissingKey);
            None
        }
        // `notify:` with nothing, or `notify: []`: nobody beyond the rule's group.
        Some(Yaml::Null) => Some(Vec::new()),
        Some(Yaml::Array(a)) => {
            let mut out = Vec::new();
            for c in a {
                match text(c) {
                    Some(c) if valid_channel(&c) => out.push(c),
                    Some(c) => add(p, Some(Field::Notify), ImportProblemKind::BadChannel(c)),
                    None => add(p, Some(Field::Notify), ImportProblemKind::WrongType),
                }
            }
            Some(out)
        }
        Some(v) => match text(v) {
            Some(c) if valid_channel(&c) => Some(vec![c]),
            Some(c) => {
                add(p, Some(Field::Notify), ImportProblemKind::BadChannel(c));
                None
            }
            None => {
                add(p, Some(Field::Notify), ImportProblemKind::WrongType);
                None
            }
        },
    };
    if p.0.len() != before {
        return None;
    }
    Some(AlertRule {
        name: name_ok?.to_string(),
        condition: condition?,
        duration: duration?,
        severity: severity?,
        notify: notify?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert_rule::{default_rules, write_alert_rules};
    use proptest::prelude::*;

    const POLICY: &str = "alerts:
  - name: HighErrorRate
    condition: error_rate > 5%
    duration: 5m
    severity: critical
    notify: 
      - pagerduty
      - slack-critical

  - name: SlowResponse
    condition: response_time_p95 > 500ms
    duration: 10m
    severity: warning
    notify:
      - slack-alerts

  - name: DiskSpaceLow
    condition: disk_usage > 90%
    duration: 5m
    severity: critical
    notify:
      - pagerduty
      - email-oncall
";

    #[test]
    fn r_mon_3_import_reads_the_policy_and_its_own_export() {
        assert_eq!(import_alert_rules(POLICY).unwrap(), default_rules());
        let exported = write_alert_rules(&default_rules());
        assert_eq!(import_alert_rules(&exported).unwrap(), default_rules());
    }

    #[test]
    fn r_mon_3_import_accepts_what_people_write_in_yaml() {
        let text = r#"# Alert rules for production
alerts:   # the list
  - name: "HighErrorRate"      # quoted
    condition: 'error_rate > 5%'
    duration: "5m"
    severity: critical
    notify: [pagerduty, "slack-critical"]   # flow list
  -   severity: warning
      name: SlowResponse
      notify: slack-alerts
      duration: 10m
      condition: response_time_p95 > 500ms
  - {name: DiskSpaceLow, condition: "disk_usage > 90%", duration: 5m, severity: critical, notify: [pagerduty, email-oncall]}
"#;
        assert_eq!(import_alert_rules(text).unwrap(), default_rules());
        assert_eq!(import_alert_rules("alerts:\n").unwrap(), vec![]);
        assert_eq!(import_alert_rules("alerts: []").unwrap(), vec![]);
        let one = import_alert_rules(
            "alerts:\n- name: Quiet\n  condition: connections >= 1000\n  duration: 0s\n  severity: info\n  notify: []\n",
        )
        .unwrap();
        assert!(one[0].notify.is_empty());
    }

    fn problems(text: &str) -> Vec<ImportProblem> {
        import_alert_rules(text).unwrap_err()
    }

    #[test]
    fn r_mon_3_wrong_shape_names_the_rule_and_field() {
        let p = problems("alerts:\n  - name: A\n    condition: error_rate >> 5%\n    duration: 5m\n    severity: critical\n    notify: [x]\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].location(), "alerts[0] (A).condition");
        assert!(matches!(p[0].kind, ImportProblemKind::BadCondition(_)));

        let p = problems("alerts:\n  - name: A\n    condition: error_rate > 5%\n    severity: loud\n    notify: {a: b}\n    extra: 1\n");
        let locs: Vec<String> = p.iter().map(ImportProblem::location).collect();
        assert_eq!(
            locs,
            vec![
                "alerts[0] (A)",
                "alerts[0] (A).duration",
                "alerts[0] (A).severity",
                "alerts[0] (A).notify"
            ]
        );
        assert_eq!(p[0].kind, ImportProblemKind::UnknownKey("extra".into()));
        assert_eq!(p[1].kind, ImportProblemKind::MissingKey);
        assert_eq!(p[3].kind, ImportProblemKind::WrongType);

        let dup = format!("{POLICY}  - name: SlowResponse\n    condition: x > 1\n    duration: 1m\n    severity: info\n    notify: []\n");
        let p = problems(&dup);
        assert_eq!(p[0].kind, ImportProblemKind::DuplicateName);
        assert_eq!(p[0].location(), "alerts[3] (SlowResponse).name");

        assert_eq!(
            problems("rules: []")
                .iter()
                .map(|p| p.kind.clone())
                .collect::<Vec<_>>(),
            vec![
                ImportProblemKind::UnknownTopKey("rules".into()),
                ImportProblemKind::NoAlertsList
            ]
        );
        assert_eq!(
            problems("alerts: 3")[0].kind,
            ImportProblemKind::AlertsNotAList
        );
        assert_eq!(
            problems("- a\n- b")[0].kind,
            ImportProblemKind::NoAlertsList
        );
        assert_eq!(problems("")[0].kind, ImportProblemKind::NoAlertsList);
        assert_eq!(
            problems("alerts: []\n---\nalerts: []")[0].kind,
            ImportProblemKind::SeveralDocuments
        );
        assert_eq!(
            problems("alerts:\n  - 3\n")[0].kind,
            ImportProblemKind::RuleNotAMapping
        );
        let p = problems("alerts:\n  - name: bad name\n    condition: a > 1\n    duration: 5\n    severity: info\n    notify: ['#chan']\n");
        let kinds: Vec<_> = p.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                ImportProblemKind::BadName,
                ImportProblemKind::BadDuration,
                ImportProblemKind::BadChannel("#chan".into())
            ]
        );
        // Without a valid name the rule is named by its position only.
        assert_eq!(p[1].location(), "alerts[0].duration");
    }

    #[test]
    fn r_mon_3_unparsable_yaml_says_where() {
        let p = problems("alerts:\n  - name: [unclosed\n");
        assert_eq!(p.len(), 1);
        assert!(matches!(p[0].kind, ImportProblemKind::Syntax { .. }));
        assert!(p[0].location().starts_with("line "));
        assert!(p[0].to_string().contains("column"));
        let big = "#".repeat(MAX_IMPORT_BYTES + 1);
        assert_eq!(problems(&big)[0].kind, ImportProblemKind::TooLarge);
    }

    proptest! {
        #[test]
        fn r_mon_3_import_never_panics(s in ".{0,400}") {
            let _ = import_alert_rules(&s);
        }

        #[test]
        fn r_mon_3_import_never_panics_on_mutated_policy(pos in 0usize..400, ch in "[ -~\\t\\n]{0,3}") {
            let mut text = POLICY.to_string();
            let at = pos.min(text.len());
            if text.is_char_boundary(at) {
                text.insert_str(at, &ch);
            }
            let _ = import_alert_rules(&text);
        }
    }
}
