//! The releases area (issue 11, R-REL-1..5): `/releases` (list, plan),
//! `/releases/{id}` (detail, notes editor, history, publish) and
//! `/releases/calendar` (month grid, agenda, the .ics feed).

pub mod calendar;
pub mod calendar_msg;
pub mod card;
pub mod detail;
pub mod list;
pub mod msg;
pub mod notes;
pub mod plan;
