//! The build people deploy: TCP_NODELAY, compression, cache headers for hashed
//! assets, HTML never cached, and the first-visit language (issue 6).

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

/// A site directory with a hashed build's files, and the hash list beside it.
struct FakeSite {
    dir: std::path::PathBuf,
}

impl FakeSite {
    fn new() -> FakeSite {
        let dir = std::env::temp_dir().join(format!("opsdeck-site-{}", rand::random::<u64>()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let css = "body { color: #123456; } ".repeat(40);
        std::fs::write(dir.join("pkg/opsdeck.0123abcd.css"), &css).unwrap();
        std::fs::write(
            dir.join("pkg/opsdeck.0123abcd.js"),
            "export function x() {}",
        )
        .unwrap();
        std::fs::write(
            dir.join("hash.txt"),
            "js: 0123abcd\nwasm: 4567ef01\ncss: 0123abcd\n",
        )
        .unwrap();
        FakeSite { dir }
    }

    fn env(&self) -> [(&'static str, String); 2] {
        [
            ("LEPTOS_SITE_ROOT", self.dir.to_string_lossy().to_string()),
            (
                "LEPTOS_HASH_FILE_NAME",
                self.dir.join("hash.txt").to_string_lossy().to_string(),
            ),
        ]
    }
}

impl Drop for FakeSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn spawn_site(pool: PgPool, site: &FakeSite) -> TestApp {
    let env = site.env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_with(pool, &pairs).await
}

#[tokio::test]
async fn accepted_connections_have_tcp_nodelay() {
    use axum::serve::Listener;
    let raw = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = raw.local_addr().unwrap();
    let mut listener = opsdeck_server::nodelay_listener(raw);
    let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (accepted, _) = listener.accept().await;
    assert!(
        accepted.nodelay().unwrap(),
        "Nagle would hold streamed HTML for the client's delayed ACK"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn pages_and_json_are_compressed(pool: PgPool) {
    let app = spawn(pool).await;
    let c = browser();
    for (path, encoding) in [("/login", "br"), ("/login", "gzip"), ("/health", "gzip")] {
        let res = c
            .get(format!("{}{path}", app.url))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            Some(encoding),
            "{path}"
        );
    }
    // Without Accept-Encoding the body stays plain.
    let res = app.get(&c, "/login").await;
    assert!(res.headers().get("content-encoding").is_none());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn hashed_assets_are_immutable_and_html_is_never_cached(pool: PgPool) {
    let site = FakeSite::new();
    let app = spawn_site(pool.clone(), &site).await;
    let c = browser();
    let login = app.get(&c, "/login").await;
    assert_eq!(login.headers()["cache-control"], "no-store");
    let html = login.text().await.unwrap();
    assert!(
        html.contains("/pkg/opsdeck.0123abcd.js"),
        "hashed script: {html}"
    );
    assert!(
        html.contains("/pkg/opsdeck.0123abcd.css"),
        "hashed stylesheet"
    );

    let css = c
        .get(format!("{}/pkg/opsdeck.0123abcd.css", app.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(css.headers()["content-encoding"], "gzip");
    // A missing asset is not cached.
    let missing = app.get(&c, "/pkg/opsdeck.ffffffff.js").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store");

    create_user(&pool, "alice", &[Role::Viewer]).await;
    let alice = app.signed_in("alice").await;
    assert_eq!(
        app.get(&alice, "/").await.headers()["cache-control"],
        "no-store"
    );
    let rpc = app.rpc(&alice, "/rpc/auth/load_shell", &[]).await;
    assert_eq!(rpc.headers()["cache-control"], "no-store");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn unhashed_assets_are_revalidated(pool: PgPool) {
    let site = FakeSite::new();
    std::fs::write(site.dir.join("pkg/opsdeck.css"), "body{}").unwrap();
    let app = spawn_with(pool, &[("LEPTOS_SITE_ROOT", &site.dir.to_string_lossy())]).await;
    let res = app.get(&browser(), "/pkg/opsdeck.css").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn first_visit_language_comes_from_accept_language_r_ui_3(pool: PgPool) {
    let app = spawn(pool).await;
    let page = |accept: &'static str, cookie: Option<&'static str>| {
        let mut req = reqwest::Client::new()
            .get(format!("{}/login", app.url))
            .header("accept-language", accept);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    assert!(page("ja", None).await.contains("<html lang=\"ja\""));
    assert!(page("ja-JP,ja;q=0.9,en;q=0.8", None)
        .await
        .contains("<html lang=\"ja\""));
    assert!(page("en-US,en;q=0.9", None)
        .await
        .contains("<html lang=\"en\""));
    // A choice once made (the cookie) wins over the browser's list.
    assert!(page("ja", Some("opsdeck_lang=en"))
        .await
        .contains("<html lang=\"en\""));
}
