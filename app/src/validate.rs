//! Form rules shared by the browser (validate as you type) and the server (always).

use crate::error::{AppError, FieldError};
use crate::i18n::Msg;
use crate::model::Scope;
use crate::role::Role;

/// Shortest password accepted for new and changed passwords.
pub const MIN_PASSWORD_LEN: usize = 12;

pub fn username(s: &str) -> Option<Msg> {
    let ok_len = (3..=32).contains(&s.chars().count());
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if s.is_empty() {
        Some(Msg::ErrRequired)
    } else if !ok_len || !ok_chars {
        Some(Msg::ErrUsernameFormat)
    } else {
        None
    }
}

pub fn new_password(s: &str) -> Option<Msg> {
    if s.is_empty() {
        Some(Msg::ErrRequired)
    } else if s.chars().count() < MIN_PASSWORD_LEN {
        Some(Msg::ErrPasswordTooShort)
    } else if s.len() > 1024 {
        Some(Msg::ErrTooLong)
    } else {
        None
    }
}

pub fn required_text(s: &str, max: usize) -> Option<Msg> {
    if s.trim().is_empty() {
        Some(Msg::ErrRequired)
    } else if s.chars().count() > max {
        Some(Msg::ErrTooLong)
    } else {
        None
    }
}

/// Parses a comma-separated role list, e.g. `viewer,operator`.
pub fn roles(s: &str) -> Result<Vec<Role>, Msg> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let role: Role = part.parse().map_err(|_| Msg::ErrRoleUnknown)?;
        if !out.contains(&role) {
            out.push(role);
        }
    }
    if out.is_empty() {
        return Err(Msg::ErrNoRole);
    }
    out.sort();
    Ok(out)
}

/// Parses a comma-separated scope list, e.g. `ingest,backup`.
pub fn scopes(s: &str) -> Result<Vec<Scope>, Msg> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let scope = Scope::parse(part).ok_or(Msg::ErrScopeUnknown)?;
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    if out.is_empty() {
        return Err(Msg::ErrNoScope);
    }
    Ok(out)
}

/// Collects field errors; `finish` turns them into one `Validation` error.
#[derive(Default)]
pub struct Check(Vec<FieldError>);

impl Check {
    pub fn field(&mut self, name: &str, problem: Option<Msg>) -> &mut Self {
        if let Some(msg) = problem {
            self.0.push(FieldError::new(name, msg));
        }
        self
    }

    pub fn finish(&mut self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(std::mem::take(&mut self.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("ops.alice"), None);
        assert_eq!(username(""), Some(Msg::ErrRequired));
        assert_eq!(username("Al"), Some(Msg::ErrUsernameFormat));
        assert_eq!(username("bob smith"), Some(Msg::ErrUsernameFormat));
    }

    #[test]
    fn role_and_scope_lists() {
        assert_eq!(
            roles("operator, viewer,viewer"),
            Ok(vec![Role::Viewer, Role::Operator])
        );
        assert_eq!(roles(""), Err(Msg::ErrNoRole));
        assert_eq!(roles("root"), Err(Msg::ErrRoleUnknown));
        assert_eq!(
            scopes("ingest,backup"),
            Ok(vec![Scope::Ingest, Scope::Backup])
        );
        assert_eq!(scopes("x"), Err(Msg::ErrScopeUnknown));
    }

    #[test]
    fn passwords() {
        assert_eq!(new_password("short"), Some(Msg::ErrPasswordTooShort));
        assert_eq!(new_password("long enough pass"), None);
    }
}
