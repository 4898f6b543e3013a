//! RFC 822 e-mail (.eml): the headers as written (Received lines carry IPs and hosts), then the
//! message's body parts as a mail client shows them (the text/plain part; an HTML part read like
//! an HTML page when it is the only body), then the attachments listed by name, type and size,
//! never opened (a forwarded message included).

use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::sourcemap::TextBuilder;
use crate::{DocError, Extracted, Format, Limits, Locator};

/// Headers that only an e-mail starts with (two of them, before the first empty line).
pub fn looks_like_email(text: &str) -> bool {
    const NAMES: &[&str] = &[
        "from",
        "to",
        "subject",
        "date",
        "received",
        "message-id",
        "mime-version",
        "return-path",
        "delivered-to",
        "reply-to",
        "cc",
        "x-mailer",
        "dkim-signature",
        "content-type",
    ];
    let mut seen = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return false;
        }
        if NAMES.contains(&name.to_ascii_lowercase().as_str()) {
            seen += 1;
        }
    }
    seen >= 2
}

fn part_locator(label: String) -> Locator {
    Locator {
        part: Some(label),
        ..Locator::default()
    }
}

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, DocError> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| DocError::malformed("e-mail", "no RFC 822 headers found"))?;
    let mut out = TextBuilder::new(limits.max_text);
    let headers = part_locator("headers".into());
    for (name, value) in message.headers_raw() {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_raw(&format!("{name}: {value}"), &headers);
        out.line_break();
    }
    let mut notes = Vec::new();
    for (n, &id) in message.text_body.iter().enumerate() {
        let Some(part) = message.part(id) else {
            continue;
        };
        let kind = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
            .unwrap_or_else(|| "text/plain".into());
        let label = format!("body {} ({kind})", n + 1);
        out.paragraph_break();
        match &part.body {
            PartType::Text(text) => out.push(text, &part_locator(label)),
            PartType::Html(html) => crate::html::extract_into(html, limits, Some(&label), &mut out),
            _ => {}
        }
    }
    if !message.attachments.is_empty() {
        out.paragraph_break();
        let locator = part_locator("attachments".into());
        for &id in &message.attachments {
            let Some(part) = message.part(id) else {
                continue;
            };
            let kind = part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                .unwrap_or_else(|| "application/octet-stream".into());
            let name = part
                .attachment_name()
                .map(|n| crate::one_line(n, 200))
                .unwrap_or_else(|| "(no name)".into());
            out.push_raw(
                &format!(
                    "Attachment: {name} ({kind}, {} bytes, not opened)",
                    part.contents().len()
                ),
                &locator,
            );
            out.line_break();
        }
        notes.push(format!(
            "{} attachment{} listed, not opened",
            message.attachments.len(),
            if message.attachments.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    let (text, map) = out.finish()?;
    Ok(Extracted {
        format: Format::Eml,
        text,
        map,
        pages: None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "Received: from mx.bad.example (mx.bad.example [203.0.113.9])\r\n\tby mail.example.org\r\n\
From: Analyst <analyst@example.org>\r\nTo: soc@example.org\r\nSubject: Advisory\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe actor used rundll32.exe to load the payload.\r\n\
--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The actor used <b>rundll32.exe</b></p>\r\n--b2--\r\n\
--b1\r\nContent-Type: application/zip; name=\"sample.zip\"\r\nContent-Disposition: attachment; filename=\"sample.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBAo=\r\n--b1--\r\n";

    #[test]
    fn headers_body_and_attachments() {
        assert!(looks_like_email(MAIL));
        let e = extract(MAIL.as_bytes(), &Limits::default()).unwrap();
        let t = &e.text;
        assert!(
            t.contains(
                "Received: from mx.bad.example (mx.bad.example [203.0.113.9]) by mail.example.org"
            ),
            "{t}"
        );
        assert!(t.contains("Subject: Advisory"));
        assert!(t.contains("The actor used rundll32.exe to load the payload."));
        // The HTML alternative of the text body is not read twice.
        assert_eq!(t.matches("rundll32.exe").count(), 1, "{t}");
        assert!(
            t.contains("Attachment: sample.zip (application/zip, 5 bytes, not opened)"),
            "{t}"
        );
        let at = |needle: &str| e.map.locate(t.find(needle).unwrap()).unwrap().clone();
        assert_eq!(at("203.0.113.9").part.as_deref(), Some("headers"));
        assert_eq!(at("rundll32").part.as_deref(), Some("body 1 (text/plain)"));
        assert_eq!(at("sample.zip").part.as_deref(), Some("attachments"));
    }

    #[test]
    fn an_html_only_mail_is_read_as_html() {
        let mail = "From: a@example.org\r\nTo: b@example.org\r\nContent-Type: text/html\r\n\r\n<html><body><script>x()</script><p>Beacon to 198.51.100.23</p></body></html>";
        let e = extract(mail.as_bytes(), &Limits::default()).unwrap();
        assert!(e.text.contains("Beacon to 198.51.100.23"), "{}", e.text);
        assert!(!e.text.contains("x()"));
    }
}
