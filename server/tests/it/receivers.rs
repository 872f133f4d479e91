//! Real receivers on loopback for the notification tests: an HTTP endpoint
//! that records every request and can fail, hang or redirect, and an SMTP
//! sink that speaks enough SMTP for lettre to deliver a message.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What the HTTP receiver does with a request.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// 200 every time.
    Ok,
    /// 500 for the first n requests, then 200.
    FailFirst(usize),
    /// This status every time.
    Always(u16),
    /// Never answers (the client's timeout must end it).
    Hang,
    /// 302 to itself, forever.
    RedirectLoop,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
    /// The status the receiver answered with.
    pub answered: u16,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

#[derive(Clone)]
pub struct HttpReceiver {
    pub url: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl HttpReceiver {
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (or fails after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "receiver got {} of {n} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Starts an HTTP receiver on 127.0.0.1:0.
pub async fn http_receiver(behaviour: Behaviour) -> HttpReceiver {
    let log: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = (log.clone(), seen, url.clone());
    let handler = move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
        let (log, seen, url) = state.clone();
        async move {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answered = match behaviour {
                Behaviour::Ok => 200,
                Behaviour::FailFirst(k) if n < k => 500,
                Behaviour::FailFirst(_) => 200,
                Behaviour::Always(s) => s,
                Behaviour::Hang => 0,
                Behaviour::RedirectLoop => 302,
            };
            log.lock().unwrap().push(Received {
                path: uri.path().to_string(),
                headers,
                body: body.to_vec(),
                at: Instant::now(),
                answered,
            });
            match behaviour {
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    StatusCode::OK.into_response()
                }
                Behaviour::RedirectLoop => (
                    StatusCode::FOUND,
                    [(axum::http::header::LOCATION, format!("{url}{}", uri.path()))],
                )
                    .into_response(),
                _ => (
                    StatusCode::from_u16(answered).unwrap(),
                    if answered == 200 {
                        "ok"
                    } else {
                        "receiver says no"
                    },
                )
                    .into_response(),
            }
        }
    };
    let app = axum::Router::new().fallback(handler);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    HttpReceiver { url, log }
}

/// One message the SMTP sink accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// An SMTP server on 127.0.0.1:0 that accepts every message (no TLS, no AUTH).
pub async fn smtp_sink() -> SmtpSink {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
    let store = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
                let (mut from, mut to) = (String::new(), Vec::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-sink.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        from = line[10..].trim().to_string();
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().to_string());
                        b"250 OK\r\n"
                    } else if upper == "DATA" {
                        let _ = write.write_all(b"354 end with .\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        store.lock().unwrap().push(Mail {
                            from: std::mem::take(&mut from),
                            to: std::mem::take(&mut to),
                            data,
                        });
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    SmtpSink { port, mails }
}
