//! CalDAV servers to back up and restore into: calvault itself, and Radicale and Xandikos
//! from PyPI (installed by tests/run-all.sh), each started on 127.0.0.1.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, Reply, Server};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Calvault,
    Radicale,
    Xandikos,
}

pub struct Peer {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub user: &'static str,
    pub password: &'static str,
    /// Where new calendars go: `{home}{name}/`.
    pub home: String,
    server: Option<Server>,
    child: Option<Child>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// The Python with radicale and xandikos installed.
fn python() -> String {
    std::env::var("CALVAULT_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

impl Peer {
    pub fn start(kind: Kind) -> Peer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = dir.path().join("server.log");
        let spawn = |args: Vec<String>| {
            Command::new(python())
                .args(&args)
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {kind:?} with {}: {e}", python()))
        };
        let mut peer = match kind {
            Kind::Calvault => {
                let server = Server::start();
                Peer {
                    kind,
                    addr: server.addr,
                    user: "ann",
                    password: "pw",
                    home: "/dav/calendars/ann/".into(),
                    server: Some(server),
                    child: None,
                    log: log.clone(),
                    _dir: dir,
                }
            }
            Kind::Radicale => {
                let conf = dir.path().join("radicale.conf");
                std::fs::write(
                    &conf,
                    format!(
                        "[server]\nhosts = {addr}\n[auth]\ntype = none\n[rights]\n\
                         type = owner_only\n[storage]\nfilesystem_folder = {}\n[web]\n\
                         type = none\n[logging]\nlevel = warning\n",
                        dir.path().join("collections").display()
                    ),
                )
                .unwrap();
                let child = spawn(vec![
                    "-m".into(),
                    "radicale".into(),
                    "--config".into(),
                    conf.display().to_string(),
                ]);
                Peer {
                    kind,
                    addr,
                    user: "ann",
                    password: "pw",
                    home: "/ann/".into(),
                    server: None,
                    child: Some(child),
                    log: log.clone(),
                    _dir: dir,
                }
            }
            Kind::Xandikos => {
                let data = dir.path().join("xandikos");
                let child = spawn(vec![
                    "-m".into(),
                    "xandikos.web".into(),
                    "--defaults".into(),
                    "-d".into(),
                    data.display().to_string(),
                    "-l".into(),
                    "127.0.0.1".into(),
                    "-p".into(),
                    port.to_string(),
                ]);
                Peer {
                    kind,
                    addr,
                    user: "user",
                    password: "unused",
                    home: "/user/calendars/".into(),
                    server: None,
                    child: Some(child),
                    log: log.clone(),
                    _dir: dir,
                }
            }
        };
        peer.wait_until_up();
        peer
    }

    fn wait_until_up(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = &mut self.child {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!(
                        "{:?} exited ({status}) before answering; is it installed for {}? \
                         (tests/run-all.sh installs it)\n{}",
                        self.kind,
                        python(),
                        std::fs::read_to_string(&self.log).unwrap_or_default()
                    );
                }
            }
            if TcpStream::connect(self.addr).is_ok()
                && self.request("OPTIONS", "/", &[], b"").status < 500
            {
                return;
            }
            assert!(Instant::now() < deadline, "{:?} did not start", self.kind);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn log_text(&self) -> String {
        match &self.server {
            Some(s) => s.log_text(),
            None => std::fs::read_to_string(&self.log).unwrap_or_default(),
        }
    }

    /// One request on a fresh connection, authenticated as the peer's user.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        use base64::Engine as _;
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.user, self.password))
        );
        let mut h: Vec<(&str, &str)> = vec![("Authorization", auth.as_str())];
        h.extend_from_slice(headers);
        let stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut conn = super::Conn::from_stream(stream);
        conn.send(method, path, &h, body)
    }

    pub fn calendar_path(&self, name: &str) -> String {
        format!("{}{name}/", self.home)
    }

    /// MKCALENDAR with the usual properties.
    pub fn mkcalendar(&self, name: &str, props: &CalendarFixture) {
        let mut body = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar xmlns:D=\"DAV:\" \
             xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:A=\"http://apple.com/ns/ical/\">\
             <D:set><D:prop>",
        );
        body.push_str(&format!(
            "<D:displayname>{}</D:displayname>",
            xml_escape(props.displayname)
        ));
        body.push_str(&format!(
            "<C:calendar-description>{}</C:calendar-description>",
            xml_escape(props.description)
        ));
        body.push_str(&format!(
            "<A:calendar-color>{}</A:calendar-color>",
            props.color
        ));
        body.push_str("<C:supported-calendar-component-set>");
        for comp in props.components {
            body.push_str(&format!("<C:comp name=\"{comp}\"/>"));
        }
        body.push_str("</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>");
        let reply = self.request(
            "MKCALENDAR",
            &self.calendar_path(name),
            &[("Content-Type", "application/xml; charset=utf-8")],
            body.as_bytes(),
        );
        assert!(
            reply.status == 201 || reply.status == 200,
            "{:?} MKCALENDAR {name}: {} {}",
            self.kind,
            reply.status,
            reply.text()
        );
    }

    pub fn put(&self, path: &str, data: &str) -> Reply {
        self.request(
            "PUT",
            path,
            &[("Content-Type", "text/calendar; charset=utf-8")],
            data.as_bytes(),
        )
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }

    /// The properties of a calendar as the server reports them (the raw multistatus).
    pub fn calendar_props_xml(&self, path: &str) -> String {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind xmlns:D=\"DAV:\" \
            xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:A=\"http://apple.com/ns/ical/\">\
            <D:prop><D:displayname/><C:calendar-description/><A:calendar-color/>\
            <C:supported-calendar-component-set/></D:prop></D:propfind>";
        let reply = self.request("PROPFIND", path, &[("Depth", "0")], body.as_bytes());
        assert_eq!(
            reply.status,
            207,
            "{:?} PROPFIND {path}: {}",
            self.kind,
            reply.text()
        );
        reply.text()
    }

    /// The object names in a calendar (PROPFIND Depth 1).
    pub fn object_names(&self, path: &str) -> Vec<String> {
        let body = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop><D:getetag/>\
            </D:prop></D:propfind>";
        let reply = self.request("PROPFIND", path, &[("Depth", "1")], body.as_bytes());
        assert_eq!(
            reply.status,
            207,
            "{:?} PROPFIND {path}: {}",
            self.kind,
            reply.text()
        );
        let text = reply.text();
        let mut names = Vec::new();
        for piece in text.split("href>").skip(1).step_by(2) {
            let href = piece.split('<').next().unwrap_or_default();
            let href = href.rsplit("://").next().unwrap_or(href);
            let decoded = percent_decode(href);
            if decoded.trim_end_matches('/') != path.trim_end_matches('/')
                && !decoded.ends_with('/')
            {
                names.push(decoded.rsplit('/').next().unwrap().to_owned());
            }
        }
        names.sort();
        names
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct CalendarFixture {
    pub displayname: &'static str,
    pub description: &'static str,
    pub color: &'static str,
    pub components: &'static [&'static str],
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
