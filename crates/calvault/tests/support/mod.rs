//! End-to-end support: the real `calvault` binary on 127.0.0.1 and a minimal HTTP/1.1 client
//! over a real socket (so keep-alive and HEAD framing are observable).
#![allow(clippy::unwrap_used, dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod peers;

pub const BIN: &str = env!("CARGO_BIN_EXE_calvault");

pub struct Server {
    pub addr: SocketAddr,
    pub data: PathBuf,
    pub child: Child,
    pub log: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

/// The store flags for a test's data directory: `--data DIR`, plus `--database URL` of a
/// database of its own when the suite runs on PostgreSQL (`CALVAULT_TEST_STORE=postgres`
/// with the server's base URL in `CALVAULT_TEST_POSTGRES`; tests/run-all.sh sets both).
pub fn store_args(data: &Path) -> Vec<std::ffi::OsString> {
    let mut args = vec!["--data".into(), data.as_os_str().to_owned()];
    if std::env::var("CALVAULT_TEST_STORE").as_deref() == Ok("postgres") {
        args.push("--database".into());
        args.push(postgres_database(data).into());
    }
    args
}

/// A PostgreSQL database named after the data directory, created on first use.
pub fn postgres_database(data: &Path) -> String {
    let base = std::env::var("CALVAULT_TEST_POSTGRES")
        .expect("CALVAULT_TEST_STORE=postgres needs CALVAULT_TEST_POSTGRES=postgres://...");
    let name = format!(
        "calvault_e2e_{}",
        &blake3::hash(data.as_os_str().as_encoded_bytes()).to_hex()[..16]
    );
    // The tests here are synchronous: a runtime of its own for the one call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(store_postgres::ensure_database(&base, &name, ""))
        .expect("create the test database")
}

/// Runs one SQL statement directly on the test's store (SQLite file or PostgreSQL database),
/// as someone with access to the database would.
pub fn run_sql(data: &Path, sql: &str) {
    if std::env::var("CALVAULT_TEST_STORE").as_deref() == Ok("postgres") {
        let out = Command::new("psql")
            .args([
                &postgres_database(data),
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        let db = rusqlite::Connection::open(data.join("calvault.db")).unwrap();
        db.execute(sql, []).unwrap();
    }
}

pub fn add_user(data: &Path, name: &str, password: &str) {
    let mut child = Command::new(BIN)
        .args(["user", "add", name, "--password-stdin"])
        .args(store_args(data))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success(), "user add failed");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// A fresh data directory with user `ann` (password `pw`), and a server on it.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        add_user(&data, "ann", "pw");
        let mut s = Server::start_on(&data, &[]);
        s._dir = Some(dir);
        s
    }

    pub fn start_on(data: &Path, extra: &[&str]) -> Server {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = data.with_extension(format!("log-{port}"));
        let child = Command::new(BIN)
            .args(["serve", "--listen", &addr.to_string()])
            .args(store_args(data))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let server = Server {
            addr,
            data: data.to_owned(),
            child,
            log,
            _dir: None,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn connect(&self) -> Conn {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    /// One request on a fresh connection, as user ann.
    pub fn ann(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut h = vec![("Authorization", "Basic YW5uOnB3")]; // ann:pw
        h.extend_from_slice(headers);
        self.connect().send(method, path, &h, body.as_bytes())
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Conn {
    pub fn from_stream(stream: TcpStream) -> Conn {
        // Header and body go out in two writes: without this, Nagle's algorithm and delayed
        // ACKs add 40 ms to every request on a kept-alive connection.
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.stream.write_all(req.as_bytes()).unwrap();
        self.stream.write_all(body).unwrap();
        self.read_reply(method == "HEAD")
    }

    /// True when the server has closed the connection (a read returns end of file).
    pub fn is_closed_by_peer(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.reader.read(&mut buf), Ok(0))
    }

    fn read_reply(&mut self, head: bool) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("bad status line {line:?}"))
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if head || status == 204 || status == 304 {
            return reply;
        }
        if reply
            .header("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
        {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; n + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                reply.body.extend_from_slice(&chunk[..n]);
            }
        } else if let Some(len) = reply.header("content-length") {
            let mut body = vec![0; len.parse().unwrap()];
            self.reader.read_exact(&mut body).unwrap();
            reply.body = body;
        }
        reply
    }
}

/// The Basic `Authorization` header of `user` with `secret` (a password or app password).
pub fn basic(user: &str, secret: &str) -> String {
    use base64::Engine as _;
    let pair = format!("{user}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Runs the CLI on the store under `data` with `stdin`; (success, stdout, stderr).
pub fn cli_with(data: &Path, args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .args(store_args(data))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the CLI on the store under `data`; (success, stdout, stderr).
pub fn cli(data: &Path, args: &[&str]) -> (bool, String, String) {
    cli_with(data, args, b"")
}
