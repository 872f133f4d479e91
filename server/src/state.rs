//! State shared by every handler.

use crate::config::Config;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use opsdeck_app::context::ServerCtx;
use sqlx::PgPool;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub ctx: ServerCtx,
    /// Rendered pages reused while their data stands (decision 0023).
    pub page_cache: Arc<crate::page_cache::PageCache>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}
