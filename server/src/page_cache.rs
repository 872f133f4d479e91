//! Rendered pages reused while their data stands (decision 0023).
//!
//! Approvers keep `/deploys` open and reload it; with 100 000 deploys behind
//! it, rendering the board and a history page costs a dozen queries and
//! ~80 KiB of HTML each time (issue 9's benchmark). A page listed in
//! [`CACHED_PAGES`] is therefore kept, per user, language and URL, and
//! served again while all of these hold:
//!
//! - no data it may show has changed since it was rendered: triggers on the
//!   tables those pages read `NOTIFY opsdeck_page_data` at commit (migration
//!   `20261129960001_page_cache_notify.sql`), from any opsdeck process or
//!   a `psql` session; every process listens and moves its generation on;
//! - no state-changing request went through this process since (a POST
//!   other than a read-only server function moves the generation at once,
//!   so whoever changed something sees it on the very next page load, even
//!   before the notification arrives);
//! - it is younger than the configured age (`OPSDECK_PAGE_CACHE_SECS`,
//!   default 1 s): what changes with the clock alone (a freeze beginning at
//!   midnight) shows after at most that long;
//! - the listener is connected: while it is not (start-up, a lost database
//!   connection), nothing is cached, as another process's changes would go
//!   unnoticed.
//!
//! The session is still loaded on every request (a signed-out or expired
//! session gets the login page, never a cached page); the user's row is not,
//! because a change to it (disabled, roles, password) is a change to a
//! watched table. A cached page gets a fresh CSP script nonce every time.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The pages worth keeping: read often, costly to render, and their data is
/// in the tables the notify migration watches. Add a page here only with
/// its tables there.
pub const CACHED_PAGES: &[&str] = &["/deploys"];

/// The channel the migration's triggers notify.
pub const CHANNEL: &str = "opsdeck_page_data";

/// Whether a response came from the cache: `hit` or `miss` (for operators
/// and the tests; like a CDN's `X-Cache`).
pub const CACHE_HEADER: &str = "x-opsdeck-page-cache";

/// Most pages kept at once; when full, outdated entries go first, then all.
const MAX_ENTRIES: usize = 256;
/// A larger page is served but not kept (a history page of 50 deploys is
/// ~80 KiB), so the cache holds 64 MiB at the very most.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// Who sees the page, in which language, at which URL. The session's epoch
/// is part of it: signing in again (or a password reset) starts afresh.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub user_id: i64,
    pub epoch: i64,
    pub lang: &'static str,
    pub path_and_query: String,
}

struct Entry {
    generation: u64,
    stored_at: Instant,
    headers: HeaderMap,
    body: Bytes,
    /// The script nonce the page was rendered with, replaced on every reuse.
    nonce: Option<String>,
}

pub struct PageCache {
    max_age: Duration,
    /// Moves on at every change of watched data; entries of an older
    /// generation are never served.
    generation: AtomicU64,
    listening: AtomicBool,
    entries: Mutex<HashMap<PageKey, Entry>>,
}

impl PageCache {
    /// A cache keeping pages for at most `max_age` (zero: never).
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `path` is a page this cache keeps.
    pub fn keeps(&self, path: &str) -> bool {
        !self.max_age.is_zero() && CACHED_PAGES.contains(&path)
    }

    /// Watched data may have changed: no page rendered before now is served again.
    pub fn data_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The generation a render starting now belongs to, or `None` while
    /// changes from other processes could go unnoticed.
    pub fn generation(&self) -> Option<u64> {
        self.listening
            .load(Ordering::SeqCst)
            .then(|| self.generation.load(Ordering::SeqCst))
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<PageKey, Entry>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn fresh(&self, entry: &Entry, generation: u64) -> bool {
        entry.generation == generation && entry.stored_at.elapsed() < self.max_age
    }

    /// The kept page for `key`, with a new nonce, if it is still good.
    pub fn get(&self, key: &PageKey) -> Option<Response> {
        let generation = self.generation()?;
        let (mut headers, body, nonce) = {
            let entries = self.entries();
            let entry = entries.get(key).filter(|e| self.fresh(e, generation))?;
            (
                entry.headers.clone(),
                entry.body.clone(),
                entry.nonce.clone(),
            )
        };
        let body = match nonce {
            Some(old) => {
                let new = new_nonce();
                replace_nonce(&mut headers, &old, &new)?;
                let html = std::str::from_utf8(&body).ok()?;
                Bytes::from(html.replace(&old, &new))
            }
            None => body,
        };
        headers.insert(CACHE_HEADER, HeaderValue::from_static("hit"));
        let mut res = Response::new(Body::from(body));
        *res.headers_mut() = headers;
        Some(res)
    }

    /// Passes `res` on, keeping a copy under `key` when it is a whole,
    /// successful page rendered at `generation` that sets no cookie.
    pub async fn store(&self, key: PageKey, generation: u64, res: Response) -> Response {
        let keepable = res.status() == StatusCode::OK
            && !res.headers().contains_key(header::SET_COOKIE)
            && !res.headers().contains_key(header::CONTENT_ENCODING);
        if !keepable {
            return res;
        }
        let (mut parts, body) = res.into_parts();
        let body = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            // The render failed half-way: nothing to keep or send.
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
        // The length is known now; a streamed page had none.
        parts.headers.remove(header::CONTENT_LENGTH);
        if body.len() <= MAX_BODY_BYTES {
            let nonce = parts
                .headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .and_then(nonce_of);
            let entry = Entry {
                generation,
                stored_at: Instant::now(),
                headers: parts.headers.clone(),
                body: body.clone(),
                nonce,
            };
            let mut entries = self.entries();
            if entries.len() >= MAX_ENTRIES {
                let current = self.generation.load(Ordering::SeqCst);
                entries.retain(|_, e| self.fresh(e, current));
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, entry);
        }
        parts
            .headers
            .insert(CACHE_HEADER, HeaderValue::from_static("miss"));
        Response::from_parts(parts, Body::from(body))
    }

    /// Listens for [`CHANNEL`] on its own connection for as long as the
    /// process runs, reconnecting after a second when the connection drops.
    /// Without a Tokio runtime (or with caching off) nothing is cached.
    pub fn listen(self: &std::sync::Arc<Self>, pool: &PgPool) {
        if self.max_age.is_zero() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cache = self.clone();
        let pool = pool.clone();
        runtime.spawn(async move {
            // The listener's connection is its own, outside the pool: it
            // ends with the pool, so the database can be dropped after.
            let closed = pool.close_event();
            tokio::pin!(closed);
            while !pool.is_closed() {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => match listener.listen(CHANNEL).await {
                        Ok(()) => {
                            // Whatever changed before listening is unseen: start afresh.
                            cache.data_changed();
                            cache.listening.store(true, Ordering::SeqCst);
                            loop {
                                tokio::select! {
                                    _ = &mut closed => break,
                                    // `None`: the connection dropped, and
                                    // notifications may have been lost with it.
                                    message = listener.try_recv() => match message {
                                        Ok(Some(_)) => cache.data_changed(),
                                        _ => break,
                                    },
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "page cache: LISTEN failed"),
                    },
                    Err(e) => tracing::warn!(error = %e, "page cache: no listener connection"),
                }
                cache.listening.store(false, Ordering::SeqCst);
                cache.data_changed();
                tokio::select! {
                    _ = &mut closed => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        });
    }
}

/// The nonce in a policy's `'nonce-…'` source.
fn nonce_of(policy: &str) -> Option<String> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    let nonce = &policy[start..start + len];
    // Too short to be sure it occurs nowhere else in the page.
    (nonce.len() >= 16).then(|| nonce.to_string())
}

/// 128 random bits, hex: characters a nonce may hold.
fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn replace_nonce(headers: &mut HeaderMap, old: &str, new: &str) -> Option<()> {
    let policy = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let value = HeaderValue::from_str(&policy.replace(old, new)).ok()?;
    headers.insert(header::CONTENT_SECURITY_POLICY, value);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user_id: i64) -> PageKey {
        PageKey {
            user_id,
            epoch: 1,
            lang: "en",
            path_and_query: "/deploys".into(),
        }
    }

    fn page(nonce: &str) -> Response {
        let mut res = Response::new(Body::from(format!(
            "<html><script nonce=\"{nonce}\">x</script></html>"
        )));
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&format!("script-src 'self' 'nonce-{nonce}'")).unwrap(),
        );
        res
    }

    async fn text(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn listening(max_age: Duration) -> PageCache {
        let cache = PageCache::new(max_age);
        cache.listening.store(true, Ordering::SeqCst);
        cache
    }

    #[tokio::test]
    async fn a_kept_page_is_served_with_a_fresh_nonce_in_body_and_policy() {
        let cache = listening(Duration::from_secs(60));
        let old = "0123456789abcdef0123";
        let generation = cache.generation().unwrap();
        let first = cache.store(key(1), generation, page(old)).await;
        assert_eq!(first.headers()[CACHE_HEADER], "miss");
        assert!(text(first).await.contains(old));
        let hit = cache.get(&key(1)).expect("kept");
        assert_eq!(hit.headers()[CACHE_HEADER], "hit");
        let policy = hit.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        let new = nonce_of(&policy).unwrap();
        assert_ne!(new, old);
        let body = text(hit).await;
        assert!(body.contains(&format!("nonce=\"{new}\"")), "{body}");
        assert!(!body.contains(old));
        // Another user's key finds nothing.
        assert!(cache.get(&key(2)).is_none());
    }

    #[tokio::test]
    async fn a_change_or_age_or_a_lost_listener_ends_reuse() {
        let cache = listening(Duration::from_secs(60));
        let g = cache.generation().unwrap();
        let _ = cache.store(key(1), g, page("0123456789abcdef0123")).await;
        cache.data_changed();
        assert!(cache.get(&key(1)).is_none(), "changed data");

        let g = cache.generation().unwrap();
        let _ = cache.store(key(1), g, page("0123456789abcdef0123")).await;
        cache.listening.store(false, Ordering::SeqCst);
        assert!(cache.get(&key(1)).is_none(), "not listening");
        assert_eq!(cache.generation(), None);

        let short = listening(Duration::from_millis(1));
        let g = short.generation().unwrap();
        let _ = short.store(key(1), g, page("0123456789abcdef0123")).await;
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.get(&key(1)).is_none(), "too old");
    }

    #[tokio::test]
    async fn errors_and_cookies_are_not_kept() {
        let cache = listening(Duration::from_secs(60));
        let g = cache.generation().unwrap();
        let mut error = page("0123456789abcdef0123");
        *error.status_mut() = StatusCode::NOT_FOUND;
        let _ = cache.store(key(1), g, error).await;
        assert!(cache.get(&key(1)).is_none());
        let mut cookie = page("0123456789abcdef0123");
        cookie
            .headers_mut()
            .insert(header::SET_COOKIE, HeaderValue::from_static("a=b"));
        let _ = cache.store(key(1), g, cookie).await;
        assert!(cache.get(&key(1)).is_none());
        assert!(!PageCache::new(Duration::ZERO).keeps("/deploys"));
        assert!(!cache.keeps("/"));
    }
}
