//! The six roles of R-AUTH and what they are called in the UI.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role a user may hold; a user may hold several (R-AUTH table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    ReleaseManager,
    Finance,
    Approver,
    Operator,
    Admin,
}

impl Role {
    /// Every role, in the order the admin page lists them.
    pub const ALL: [Role; 6] = [
        Role::Viewer,
        Role::ReleaseManager,
        Role::Finance,
        Role::Approver,
        Role::Operator,
        Role::Admin,
    ];

    /// The stable name stored in the database and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::ReleaseManager => "release_manager",
            Role::Finance => "finance",
            Role::Approver => "approver",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the six role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// Who may call something: checked on the server for every server function and API route (R-AUTH-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login, the shell's maintenance banner).
    Public,
    /// Any signed-in user: every role can read (viewer = read every page).
    SignedIn,
    /// Signed-in users holding one of these roles; `admin` always passes.
    AnyOf(&'static [Role]),
}

impl Access {
    /// Admins only (users, tokens, settings).
    pub const ADMIN: Access = Access::AnyOf(&[Role::Admin]);

    /// Whether a user holding `roles` passes. `None` means nobody is signed in.
    pub fn allows(self, roles: Option<&[Role]>) -> bool {
        match (self, roles) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::AnyOf(wanted), Some(held)) => {
                held.contains(&Role::Admin) || held.iter().any(|r| wanted.contains(r))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn admin_passes_every_role_check_r_auth_2() {
        let ops = Access::AnyOf(&[Role::Operator]);
        assert!(ops.allows(Some(&[Role::Admin])));
        assert!(ops.allows(Some(&[Role::Viewer, Role::Operator])));
        assert!(!ops.allows(Some(&[Role::Viewer, Role::Finance])));
        assert!(!ops.allows(None));
        assert!(!Access::SignedIn.allows(None));
        assert!(Access::Public.allows(None));
    }
}
