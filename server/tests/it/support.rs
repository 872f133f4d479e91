//! Spawning the app and calling it as a browser or a machine would.

use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_server::config::Config;
use sqlx::PgPool;

pub struct TestApp {
    pub url: String,
}

/// Starts opsdeck on 127.0.0.1:0 against `pool`; `env` overrides configuration variables.
pub async fn spawn_with(pool: PgPool, env: &[(&str, &str)]) -> TestApp {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    let owned: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config =
        Config::from_lookup(|k| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let app = opsdeck_server::web::router(opsdeck_server::state(config, pool.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        opsdeck_server::serve(listener, app, std::future::pending())
            .await
            .unwrap();
    });
    TestApp {
        url: format!("http://{addr}"),
    }
}

/// Starts opsdeck as production runs it: its own multi-threaded runtime (two
/// workers) and its own pool of ten connections to the test database, so a
/// load the test makes does not share the test's single thread with the server.
pub async fn spawn_isolated(pool: PgPool) -> TestApp {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    let options = pool.connect_options().as_ref().clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(10)
                .connect_with(options)
                .await
                .unwrap();
            let config = Config::from_lookup(|_| None).unwrap();
            let app = opsdeck_server::web::router(opsdeck_server::state(config, pool));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            opsdeck_server::serve(listener, app, std::future::pending())
                .await
                .unwrap();
        });
    });
    TestApp {
        url: format!("http://{}", rx.await.unwrap()),
    }
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, &[]).await
}

/// A browser-like client: keeps cookies, does not follow redirects, and says
/// `Sec-Fetch-Site: same-origin` as a browser does for the page's own requests.
pub fn browser() -> reqwest::Client {
    browser_builder().build().unwrap()
}

/// The builder behind `browser()`, for clients that need one more setting.
pub fn browser_builder() -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
}

pub fn password_of(username: &str) -> String {
    format!("{username}-password-1")
}

/// Creates a user holding `roles`, with password `password_of(username)`.
pub async fn create_user(pool: &PgPool, username: &str, roles: &[Role]) -> i64 {
    let hash = opsdeck_app::auth::password::hash(&password_of(username)).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let id = opsdeck_app::store::users::create(
        &mut tx,
        &Actor::system(),
        username,
        username,
        &hash,
        roles,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    id
}

impl TestApp {
    /// Calls a server function with form-encoded arguments.
    pub async fn rpc(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}{path}", self.url))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.rpc(
            client,
            "/rpc/auth/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// A new client signed in as `username` (created by `create_user`).
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        self.signed_in_with(username, &password_of(username)).await
    }

    /// A new client signed in with an explicit password.
    pub async fn signed_in_with(&self, username: &str, password: &str) -> reqwest::Client {
        let c = browser();
        let res = self.login(&c, username, password).await;
        assert_eq!(
            res.status(),
            200,
            "login of {username}: {}",
            res.text().await.unwrap_or_default()
        );
        c
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// Who the server thinks `client` is.
    pub async fn whoami(&self, client: &reqwest::Client) -> Option<String> {
        let res = self.rpc(client, "/rpc/auth/load_shell", &[]).await;
        let v: serde_json::Value = res.json().await.unwrap();
        v["user"]["username"].as_str().map(str::to_string)
    }
}

/// The JSON error of a failed server function.
pub async fn app_error(res: reqwest::Response) -> (u16, opsdeck_app::error::AppError) {
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    let err =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not an AppError ({e}): {body}"));
    (status, err)
}
