//! Sign-in, sessions and the role check every server function goes through (server side only).

pub mod guard;
pub mod password;
pub mod session;
pub mod throttle;
