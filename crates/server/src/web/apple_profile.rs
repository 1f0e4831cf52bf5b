//! The Apple configuration profile (`.mobileconfig`) that sets up a CalDAV account on
//! iOS and macOS in one tap: this server, the user, and an app password made for it
//! (payload type `com.apple.caldav.account`).

/// Where the profile points a device.
pub struct ProfileTarget<'a> {
    /// The host name, without port.
    pub host: &'a str,
    pub port: u16,
    pub tls: bool,
    pub user: &'a str,
    pub password: &'a str,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A random UUID (version 4) for the payload identifiers.
fn uuid() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::getrandom(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = data_encoding::HEXUPPER.encode(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Host and port from a Host header (`cal.example.com:5232`, `[::1]:5232`).
pub fn split_host(host: &str, tls: bool) -> (String, u16) {
    let default = if tls { 443 } else { 80 };
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((h, tail)) = rest.split_once(']') {
            let port = tail
                .strip_prefix(':')
                .and_then(|p| p.parse().ok())
                .unwrap_or(default);
            return (h.to_owned(), port);
        }
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h.to_owned(), p.parse().unwrap_or(default)),
        _ => (host.to_owned(), default),
    }
}

pub fn mobileconfig(t: &ProfileTarget<'_>) -> String {
    let (inner, outer) = (uuid(), uuid());
    let ssl = if t.tls { "<true/>" } else { "<false/>" };
    let host = escape(t.host);
    let user = escape(t.user);
    let principal = escape(&dav::path::principal_href(t.user));
    let password = escape(t.password);
    let port = t.port;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>CalDAVAccountDescription</key><string>calvault ({host})</string>
      <key>CalDAVHostName</key><string>{host}</string>
      <key>CalDAVPort</key><integer>{port}</integer>
      <key>CalDAVPrincipalURL</key><string>{principal}</string>
      <key>CalDAVUseSSL</key>{ssl}
      <key>CalDAVUsername</key><string>{user}</string>
      <key>CalDAVPassword</key><string>{password}</string>
      <key>PayloadDescription</key><string>The calendars of {user} on calvault at {host}</string>
      <key>PayloadDisplayName</key><string>calvault calendars</string>
      <key>PayloadIdentifier</key><string>org.calvault.caldav.{inner}</string>
      <key>PayloadType</key><string>com.apple.caldav.account</string>
      <key>PayloadUUID</key><string>{inner}</string>
      <key>PayloadVersion</key><integer>1</integer>
    </dict>
  </array>
  <key>PayloadDisplayName</key><string>calvault: {user} at {host}</string>
  <key>PayloadIdentifier</key><string>org.calvault.profile.{outer}</string>
  <key>PayloadRemovalDisallowed</key><false/>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadUUID</key><string>{outer}</string>
  <key>PayloadVersion</key><integer>1</integer>
</dict>
</plist>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_names_server_user_and_password() {
        let p = mobileconfig(&ProfileTarget {
            host: "cal.example.com",
            port: 5232,
            tls: false,
            user: "ann",
            password: "cv1-a&b",
        });
        assert!(p.contains("<key>CalDAVHostName</key><string>cal.example.com</string>"));
        assert!(p.contains("<integer>5232</integer>") && p.contains("cv1-a&amp;b"));
        assert!(p.contains("<string>/dav/principals/ann/</string>"));
        assert_eq!(
            split_host("127.0.0.1:5232", false),
            ("127.0.0.1".into(), 5232)
        );
        assert_eq!(split_host("[::1]:8443", true), ("::1".into(), 8443));
        assert_eq!(
            split_host("cal.example.com", true),
            ("cal.example.com".into(), 443)
        );
    }
}
