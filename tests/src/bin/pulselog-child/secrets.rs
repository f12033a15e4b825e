//! The `secrets` role: a canary secret (the first argument) handed to the
//! program in every way a secret reaches logging code. With `capture` as
//! the second argument, the same events go through `pulselog::testing`
//! instead of a logger, and the child prints every captured value and the
//! event in each format.

use pulselog::prelude::*;
use pulselog::testing::Captured;
use pulselog::{JsonFormat, Redacted, TextFormat, context::Context};
use secrecy::SecretString;
use std::error::Error;
use std::fmt;

/// The innermost error that knows the secret.
#[derive(Debug)]
struct AuthError {
    token: Redacted<String>,
    source: std::io::Error,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token {} refused", self.token)
    }
}

impl Error for AuthError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// An error whose message and source both hold the secret.
#[derive(Debug)]
struct ConnectError {
    dsn: Redacted<String>,
    source: AuthError,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to {}", self.dsn)
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

fn connect_error(secret: &str) -> ConnectError {
    ConnectError {
        dsn: Redacted(format!("postgres://app:{secret}@db")),
        source: AuthError {
            token: Redacted(secret.to_owned()),
            source: std::io::Error::other("connection refused"),
        },
    }
}

#[derive(Debug)]
#[expect(dead_code, reason = "read through Debug only")]
struct Credentials {
    user: String,
    password: String,
}

#[derive(Debug)]
#[expect(dead_code, reason = "read through Debug only")]
struct Session {
    user: String,
    key: Redacted<String>,
    secret: SecretString,
}

#[logged(level = "info")]
fn login(user: &str, password: &str) -> bool {
    info!("checking a password", user = user);
    !password.is_empty()
}

#[logged(level = "info", err, ret)]
fn connect(user: &str, secret: &str) -> Result<u32, ConnectError> {
    info!("connecting", user = user);
    Err(connect_error(secret))
}

#[logged(level = "info", err(backtrace))]
fn connect_traced(secret: &str) -> Result<(), ConnectError> {
    Err(connect_error(secret))
}

#[logged(level = "info", args, skip(password))]
fn signup(user: &str, password: &str) {
    info!("signed up", user = user, length = password.len());
}

#[logged(level = "info", args, ret)]
fn rotate(user: &str, key: Redacted<&str>) -> Redacted<String> {
    Redacted(format!("{}-next", key.0))
}

#[logged(level = "info", fields(api_key = Redacted(key.to_owned()), user = user))]
fn call_api(user: &str, key: &str) {
    info!("calling the API");
    nested();
}

#[logged(level = "info")]
fn nested() {
    info!("nested call, same context");
}

fn log_everything(secret: &str) {
    login("ada", secret);
    let _ = connect("ada", secret);
    let _ = connect_traced(secret);
    signup("ada", secret);
    rotate("ada", Redacted(secret));
    call_api("ada", secret);

    let err = connect_error(secret);
    log_error!(err, "database unreachable", exc_info, user = "ada");
    let err = connect_error(secret);
    warning!("retrying", exc_info = &err, attempt = 2);
    error!("error as Debug", err = ?connect_error(secret));
    error!("error as Display", err = %connect_error(secret));
    let boxed: Box<dyn Error + Send + Sync> = Box::new(connect_error(secret));
    log_error!(boxed, "boxed error");

    let creds = Credentials {
        user: "ada".into(),
        password: secret.into(),
    };
    info!("credentials", creds = ?Redacted(&creds), whole = Redacted(&creds));
    info!(
        "token {token} for {user}",
        token = Redacted(secret),
        user = "ada"
    );
    let session = Session {
        user: "ada".into(),
        key: Redacted(secret.into()),
        secret: SecretString::from(secret),
    };
    info!("session", session = ?session);
    info!("secrecy", token = session.secret, shown = ?session.secret);

    Context::current()
        .with_field("session_key", Redacted(secret.to_owned()))
        .with_field("bearer", &session.secret)
        .with_field("user", "ada")
        .scope(|| {
            info!("in a bound context");
            call_api("ada", secret);
        });
}

/// Writes every captured event's values and the event in each format.
fn print_captured(events: &Captured) {
    let json = JsonFormat::new();
    let text = TextFormat::new();
    for e in events.events() {
        println!("message: {}", e.message());
        println!("fields: {:?}", e.fields());
        println!("context: {:?}", e.context_fields());
        println!("request_id: {:?}", e.request_id());
        if let Some(exc) = e.exc_info() {
            println!("exc_info: {exc:?}");
            println!("chain: {:?}", exc.chain().collect::<Vec<_>>());
        }
        println!("{}", e.to_json(&json));
        println!("{}", e.to_text(&text));
        println!("{}", e.to_ecs());
        println!("{}", e.to_otel());
    }
}

pub fn run(secret: &str, mode: &str) {
    if mode == "capture" {
        let ((), events) = pulselog::testing::capture(|| log_everything(secret));
        print_captured(&events);
    } else {
        let _guard = pulselog::init();
        log_everything(secret);
    }
}
