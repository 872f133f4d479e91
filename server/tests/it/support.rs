//! Spawning the app and calling it as a browser or a machine would.

use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_server::config::Config;
use sqlx::PgPool;
use std::net::SocketAddr;

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
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        url: format!("http://{addr}"),
    }
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, &[]).await
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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
