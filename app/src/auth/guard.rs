//! The one role check every server function calls first (R-AUTH-2).
//!
//! `rpc(access, |cx| async move { … })` loads the signed-in user from the
//! session, refuses with 401/403 before the body runs, and answers every
//! error with its HTTP status. The role-matrix test calls every registered
//! server function as every role, so a function that skips this fails CI.

use crate::context::{server_ctx, ServerCtx};
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::role::Access;
use std::future::Future;
use tower_sessions::Session;

/// What a server function body gets once the check passed.
pub struct Call {
    pub ctx: ServerCtx,
    pub session: Session,
    /// `None` only for `Access::Public` calls without a signed-in user.
    pub user: Option<CurrentUser>,
}

impl Call {
    /// The signed-in user; present for every access level but `Public`.
    pub fn user(&self) -> Result<&CurrentUser, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }
}

/// Runs `body` if the current user passes `access`, mapping errors to statuses.
pub async fn rpc<T, F, Fut>(access: Access, body: F) -> Result<T, AppError>
where
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    mark_response(MAY_WRITE_HEADER);
    checked(access, body).await
}

/// The role check and the error statuses, for `rpc` and `rpc_read` alike.
async fn checked<T, F, Fut>(access: Access, body: F) -> Result<T, AppError>
where
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async {
        let call = check(access).await?;
        body(call).await
    }
    .await;
    if let Err(e) = &result {
        answer_error(e);
    }
    result
}

/// The signed-in user the server's page middleware already loaded and
/// checked for this request (a request extension): a page rendered on the
/// server calls several server functions, and each would load the same
/// user again.
#[derive(Debug, Clone)]
pub struct CheckedUser(pub CurrentUser);

/// What read-only server functions answered during one server render, by
/// function and arguments. The router builds a page's view twice while
/// rendering it on the server (the first build is dropped), and each build
/// starts the page's resources: without this, every query of a page ran
/// twice. Provided per page request by the server; absent elsewhere.
#[derive(Clone, Default)]
pub struct RenderMemo(
    std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<String, std::sync::Arc<dyn std::any::Any + Send + Sync>>,
        >,
    >,
);

/// `rpc` for a read-only server function: within one server render the
/// same `key` (the endpoint and its arguments) runs once and every caller
/// gets its answer. Outside a render (a browser's call) it is `rpc`.
pub async fn rpc_read<T, F, Fut>(key: String, access: Access, body: F) -> Result<T, AppError>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    type Cell<T> = tokio::sync::OnceCell<Result<T, AppError>>;
    mark_response(READ_ONLY_HEADER);
    let Some(memo) = leptos::prelude::use_context::<RenderMemo>() else {
        return checked(access, body).await;
    };
    let cell = {
        let mut map = memo
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(key)
            .or_insert_with(|| std::sync::Arc::new(Cell::<T>::new()))
            .clone()
    };
    match cell.downcast::<Cell<T>>() {
        Ok(cell) => cell.get_or_init(|| checked(access, body)).await.clone(),
        // The same key with another answer type: a naming slip, not a reason to fail.
        Err(_) => checked(access, body).await,
    }
}

/// The response header a read-only server function's answer carries inside
/// the server, so the page cache knows the POST changed nothing (decision
/// 0023). The server removes it before the response leaves.
pub const READ_ONLY_HEADER: &str = "x-opsdeck-read-only";
/// Its opposite, set by every `rpc`: it wins when a request ran both (a
/// function that writes and then reads through a read-only one).
pub const MAY_WRITE_HEADER: &str = "x-opsdeck-may-write";

fn mark_response(name: &'static str) {
    if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        opts.insert_header(
            http::HeaderName::from_static(name),
            http::HeaderValue::from_static("1"),
        );
    }
}

/// Loads the user behind the current session and checks `access`.
pub async fn check(access: Access) -> Result<Call, AppError> {
    let ctx = server_ctx()?;
    let session = super::session::current().await?;
    let checked = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<CheckedUser>().map(|c| c.0.clone()));
    let user = match checked {
        Some(user) => Some(user),
        None => {
            match super::session::user_of(&session, ctx.session_max_secs, ctx.session_touch_secs)
                .await?
            {
                Some((uid, epoch)) => crate::store::users::current(&ctx.pool, uid, epoch).await?,
                None => None,
            }
        }
    };
    let roles = user.as_ref().map(|u| u.roles.as_slice());
    if !access.allows(roles) {
        return Err(match user {
            None => AppError::Unauthenticated,
            Some(_) => AppError::Forbidden,
        });
    }
    Ok(Call { ctx, session, user })
}

/// Sets the error's status (and `Retry-After` for throttling). A plain HTML form
/// post (no JavaScript) is left alone: Leptos answers it with a redirect back
/// to the form, which a 4xx status would break.
fn answer_error(e: &AppError) {
    let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let html_form = leptos::prelude::use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if html_form {
        return;
    }
    if let Ok(status) = http::StatusCode::from_u16(e.status()) {
        opts.set_status(status);
    }
    if let AppError::RateLimited { retry_after_secs } = e {
        if let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
            opts.insert_header(http::header::RETRY_AFTER, v);
        }
    }
}

/// The client address of the current request, for per-address rate limits:
/// the TCP peer, or — only when the peer is one of the configured trusted
/// proxies — the last `X-Forwarded-For` value (the one that proxy appended;
/// earlier values are the client's word). "Last" means last across every
/// `X-Forwarded-For` header line, since a client may send lines of its own.
pub async fn client_addr(ctx: &ServerCtx) -> Option<std::net::IpAddr> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    Some(effective_client(
        peer?,
        &parts.headers,
        ctx.trust_proxy,
        &ctx.trusted_proxies,
    ))
}

/// The key failed attempts are counted under for an address: IPv4 as it is,
/// IPv6 by its /64 (one customer's network hands out any address inside it).
pub fn throttle_key(addr: std::net::IpAddr) -> String {
    match addr.to_canonical() {
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}

/// The address a request counts against; see [`client_addr`].
pub fn effective_client(
    peer: std::net::IpAddr,
    headers: &http::HeaderMap,
    trust_proxy: bool,
    trusted_proxies: &[ipnet::IpNet],
) -> std::net::IpAddr {
    // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
    let peer = peer.to_canonical();
    if !trust_proxy || !trusted_proxies.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    let values: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    values.last().and_then(|v| v.parse().ok()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::{effective_client, throttle_key};

    #[test]
    fn ipv6_addresses_count_by_their_64_r_auth_5() {
        let a = throttle_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = throttle_key("2001:db8:1:2:ffff::9".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, throttle_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(throttle_key("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3");
        assert_eq!(throttle_key("10.1.2.3".parse().unwrap()), "10.1.2.3");
    }
    use http::HeaderMap;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", l.parse().unwrap());
        }
        h
    }

    #[test]
    fn last_value_across_all_lines_from_a_trusted_proxy_r_auth_5() {
        let trusted = ["127.0.0.1/32".parse().unwrap()];
        let peer = "127.0.0.1".parse().unwrap();
        let h = headers(&["203.0.113.9, 198.51.100.1", "192.0.2.7"]);
        assert_eq!(
            effective_client(peer, &h, true, &trusted),
            "192.0.2.7".parse::<std::net::IpAddr>().unwrap()
        );
        // Not enabled, or from a peer that is not a trusted proxy: the header is ignored.
        assert_eq!(effective_client(peer, &h, false, &trusted), peer);
        let stranger = "198.51.100.50".parse().unwrap();
        assert_eq!(effective_client(stranger, &h, true, &trusted), stranger);
        // An IPv4-mapped peer is the IPv4 proxy it maps.
        let mapped = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            effective_client(mapped, &headers(&["192.0.2.7"]), true, &trusted),
            "192.0.2.7".parse::<std::net::IpAddr>().unwrap()
        );
        // Garbage in the last value falls back to the peer.
        let h = headers(&["192.0.2.7", "not-an-ip"]);
        assert_eq!(effective_client(peer, &h, true, &trusted), peer);
    }
}
