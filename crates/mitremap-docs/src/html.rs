//! HTML: the page's main content as text. Scripts, styles and templates are dropped; navigation,
//! headers and footers of the site, asides and ad/cookie/share blocks are dropped unless nothing
//! else is left; when the page has a `<main>` or `<article>`, only that is read. Tables become
//! tab-separated lines, list items lines starting `- `, `<pre>` and `<code>` are kept verbatim,
//! and an absolute link target that the link text does not show is kept after it in parentheses.
//!
//! html5gum is a tokenizer, not a tree builder: the element stack is followed here, bounded by
//! [`Limits::max_html_depth`](crate::Limits), so nesting depth costs neither stack nor quadratic
//! time.

use html5gum::{Token, Tokenizer};

use crate::sourcemap::TextBuilder;
use crate::{DocError, Extracted, Format, Limits, Locator};

/// The text starts like an HTML document.
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.starts_with('<')
            && (head.contains("<html") || head.contains("<body") || head.contains("<head")))
}

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, DocError> {
    let html = decode(bytes);
    let mut out = TextBuilder::new(limits.max_text);
    extract_into(&html, limits, None, &mut out);
    let (text, map) = out.finish()?;
    Ok(Extracted {
        format: Format::Html,
        text,
        map,
        pages: None,
        notes: Vec::new(),
    })
}

/// Decodes by byte-order mark, then `<meta charset>` in the first KiB, else UTF-8 (lossy).
fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    if let Some(at) = head.find("charset=") {
        let label: String = head[at + 8..]
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        if let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            return encoding.decode_without_bom_handling(bytes).0.into_owned();
        }
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Elements whose content is never text.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas",
    "select", "head",
];
/// Site furniture: dropped unless nothing else is left.
const BOILERPLATE: &[&str] = &["nav", "footer", "aside", "form", "button", "dialog", "menu"];
/// Class, id and role words that mark furniture.
const BOILERPLATE_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "footer",
    "sidebar",
    "advert",
    "advertisement",
    "ads",
    "ad",
    "adsbygoogle",
    "sponsor",
    "sponsored",
    "promo",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "share",
    "sharing",
    "social",
    "breadcrumb",
    "breadcrumbs",
    "newsletter",
    "subscribe",
    "popup",
    "modal",
    "banner",
    "contentinfo",
    "complementary",
    "search",
];
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];
const PARAGRAPH: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "table",
    "ul",
    "ol",
    "blockquote",
    "section",
    "article",
    "figure",
];

struct Open {
    name: String,
    /// `name#id`, for the element path of block elements.
    label: Option<String>,
    dropped: bool,
    boilerplate: bool,
    main: bool,
    verbatim: bool,
    /// Where this element's text starts in `pieces` (headings and links).
    first_piece: usize,
    href: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Verbatim,
    Line,
    Paragraph,
}

struct Piece {
    kind: Kind,
    text: String,
    locator: Locator,
    main: bool,
    boilerplate: bool,
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn marks_boilerplate(value: &str) -> bool {
    value.split_ascii_whitespace().any(|token| {
        let token = token.to_ascii_lowercase();
        if ["has-", "with-", "no-", "is-"]
            .iter()
            .any(|p| token.starts_with(p))
        {
            return false;
        }
        BOILERPLATE_WORDS.iter().any(|w| {
            token == *w
                || token.starts_with(&format!("{w}-"))
                || token.starts_with(&format!("{w}_"))
                || token.ends_with(&format!("-{w}"))
                || token.ends_with(&format!("_{w}"))
        })
    })
}

/// Reads `html` into `out`; `part` is set on every locator (an e-mail part).
pub(crate) fn extract_into(html: &str, limits: &Limits, part: Option<&str>, out: &mut TextBuilder) {
    // Script, style, textarea and title content is read as raw text, as a browser would.
    let mut emitter = html5gum::DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let tokenizer_with_states = Tokenizer::new_with_emitter(html, emitter);
    let mut stack: Vec<Open> = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut section: Option<String> = None;
    // An element opened past the depth limit whose content must still be dropped.
    let mut dropped_past_limit: Option<String> = None;
    let mut title = String::new();
    let mut in_title = false;

    let top = |stack: &[Open]| -> (bool, bool, bool, bool) {
        stack.last().map_or((false, false, false, false), |o| {
            (o.dropped, o.boilerplate, o.main, o.verbatim)
        })
    };
    let element_path = |stack: &[Open]| -> String {
        let labels: Vec<&str> = stack.iter().filter_map(|o| o.label.as_deref()).collect();
        if labels.len() > 8 {
            format!("…>{}", labels[labels.len() - 6..].join(">"))
        } else {
            labels.join(">")
        }
    };

    for token in tokenizer_with_states {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if dropped_past_limit.is_some() {
                    continue;
                }
                if name == "title" && !in_title {
                    in_title = true;
                    continue;
                }
                // The implicit ends a browser applies most often.
                let closes: &[&str] = match name.as_str() {
                    "p" => &["p"],
                    "li" => &["li"],
                    "td" | "th" => &["td", "th"],
                    "tr" => &["td", "th", "tr"],
                    "dt" | "dd" => &["dt", "dd"],
                    _ => &[],
                };
                while let Some(o) = stack.last()
                    && closes.contains(&o.name.as_str())
                {
                    let o = stack.pop().unwrap_or_else(|| unreachable!());
                    close(o, &stack, &mut pieces, &mut section, &element_path);
                }
                let (dropped, boilerplate, main, verbatim) = top(&stack);
                let attr = |key: &str| {
                    tag.attributes
                        .get(key.as_bytes())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                if VOID.contains(&name.as_str()) || tag.self_closing {
                    if !dropped {
                        let kind = match name.as_str() {
                            "br" => Some(Kind::Line),
                            "hr" => Some(Kind::Paragraph),
                            _ => None,
                        };
                        if let Some(kind) = kind {
                            pieces.push(Piece {
                                kind,
                                text: String::new(),
                                locator: Locator::default(),
                                main,
                                boilerplate,
                            });
                        }
                    }
                    continue;
                }
                let is_dropped = DROPPED.contains(&name.as_str());
                if stack.len() >= limits.max_html_depth {
                    if is_dropped {
                        dropped_past_limit = Some(name);
                    }
                    continue;
                }
                let structural = matches!(name.as_str(), "html" | "body" | "main" | "article");
                let role = attr("role").unwrap_or_default();
                let furniture = BOILERPLATE.contains(&name.as_str())
                    || (name == "header" && !main)
                    || (!structural
                        && (marks_boilerplate(&attr("class").unwrap_or_default())
                            || marks_boilerplate(&attr("id").unwrap_or_default())
                            || marks_boilerplate(&role)));
                let is_main = matches!(name.as_str(), "main" | "article") || role == "main";
                let label = BLOCK.contains(&name.as_str()).then(|| {
                    match attr("id").filter(|id| !id.is_empty() && id.len() <= 40) {
                        Some(id) => format!("{name}#{}", crate::one_line(&id, 40)),
                        None => name.clone(),
                    }
                });
                let href = (name == "a")
                    .then(|| attr("href").and_then(|h| crate::keepable_link(&h)))
                    .flatten();
                stack.push(Open {
                    name: name.clone(),
                    label,
                    dropped: dropped || is_dropped,
                    boilerplate: boilerplate || furniture,
                    main: main || is_main,
                    verbatim: verbatim || matches!(name.as_str(), "pre" | "code" | "textarea"),
                    first_piece: pieces.len(),
                    href,
                });
                if !(dropped || is_dropped) && BLOCK.contains(&name.as_str()) {
                    let kind = if PARAGRAPH.contains(&name.as_str()) {
                        Kind::Paragraph
                    } else {
                        Kind::Line
                    };
                    let o = stack.last().unwrap_or_else(|| unreachable!());
                    pieces.push(Piece {
                        kind,
                        text: if name == "li" {
                            "- ".into()
                        } else {
                            String::new()
                        },
                        locator: Locator {
                            section: section.clone(),
                            element: Some(element_path(&stack)),
                            part: part.map(str::to_owned),
                            ..Locator::default()
                        },
                        main: o.main,
                        boilerplate: o.boilerplate,
                    });
                }
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if let Some(d) = &dropped_past_limit {
                    if *d == name {
                        dropped_past_limit = None;
                    }
                    continue;
                }
                if name == "title" {
                    in_title = false;
                    continue;
                }
                if let Some(at) = stack.iter().rposition(|o| o.name == name) {
                    while stack.len() > at {
                        let o = stack.pop().unwrap_or_else(|| unreachable!());
                        close(o, &stack, &mut pieces, &mut section, &element_path);
                    }
                }
            }
            Token::String(s) => {
                if dropped_past_limit.is_some() {
                    continue;
                }
                let s = String::from_utf8_lossy(&s.value);
                if in_title {
                    if title.len() < 1000 {
                        title.push_str(&s);
                    }
                    continue;
                }
                let (dropped, boilerplate, main, verbatim) = top(&stack);
                if dropped {
                    continue;
                }
                let locator = match pieces.last() {
                    Some(p) if p.locator.element.is_some() => p.locator.clone(),
                    _ => Locator {
                        section: section.clone(),
                        element: Some(element_path(&stack)),
                        part: part.map(str::to_owned),
                        ..Locator::default()
                    },
                };
                pieces.push(Piece {
                    kind: if verbatim { Kind::Verbatim } else { Kind::Text },
                    text: s.into_owned(),
                    locator,
                    main,
                    boilerplate,
                });
            }
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }

    // Main content: inside <main>/<article> when the page has enough there, else everything that
    // is not furniture, else (a page that is all furniture) everything.
    let text_len = |keep: &dyn Fn(&Piece) -> bool| -> usize {
        pieces
            .iter()
            .filter(|p| keep(p) && matches!(p.kind, Kind::Text | Kind::Verbatim))
            .map(|p| p.text.trim().len())
            .sum()
    };
    let in_main = |p: &Piece| p.main && !p.boilerplate;
    let not_furniture = |p: &Piece| !p.boilerplate;
    let keep: &dyn Fn(&Piece) -> bool = if text_len(&in_main) >= 200 {
        &in_main
    } else if text_len(&not_furniture) >= 100 {
        &not_furniture
    } else {
        &|_: &Piece| true
    };

    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !title.is_empty() {
        let locator = Locator {
            element: Some("title".into()),
            part: part.map(str::to_owned),
            ..Locator::default()
        };
        out.push(&title, &locator);
        out.paragraph_break();
    }
    for p in pieces.iter().filter(|p| keep(p)) {
        match p.kind {
            Kind::Line => {
                out.line_break();
                out.push(&p.text, &p.locator);
            }
            Kind::Paragraph => {
                out.paragraph_break();
                out.push(&p.text, &p.locator);
            }
            Kind::Verbatim => out.push_raw(&p.text, &p.locator),
            Kind::Text => {
                let mut collapsed = String::with_capacity(p.text.len());
                let mut space = out.ends_with_space();
                for c in p.text.chars() {
                    if c.is_whitespace() {
                        if !space {
                            collapsed.push(' ');
                            space = true;
                        }
                    } else {
                        collapsed.push(c);
                        space = false;
                    }
                }
                out.push(&collapsed, &p.locator);
            }
        }
    }
}

/// The effects of an element's end: a heading names the section of what follows (and of its own
/// text), a link keeps its target, a cell ends with a tab, a block with a line break.
fn close(
    o: Open,
    stack: &[Open],
    pieces: &mut Vec<Piece>,
    section: &mut Option<String>,
    element_path: &dyn Fn(&[Open]) -> String,
) {
    if o.dropped {
        return;
    }
    let (main, boilerplate) = (o.main, o.boilerplate);
    let piece = move |pieces: &Vec<Piece>, kind, text: String| Piece {
        kind,
        text,
        locator: pieces.last().map(|p| p.locator.clone()).unwrap_or_default(),
        main,
        boilerplate,
    };
    if is_heading(&o.name) {
        let heading: String = pieces[o.first_piece..]
            .iter()
            .filter(|p| matches!(p.kind, Kind::Text | Kind::Verbatim))
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let heading = heading.split_whitespace().collect::<Vec<_>>().join(" ");
        if !heading.is_empty() {
            *section = Some(crate::one_line(&heading, 120));
            for p in &mut pieces[o.first_piece..] {
                p.locator.section = section.clone();
            }
        }
    }
    if let Some(href) = o.href {
        let shown: String = pieces[o.first_piece..]
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        if !shown.contains(href.as_str()) {
            let p = piece(pieces, Kind::Text, format!(" ({href})"));
            pieces.push(p);
        }
    }
    match o.name.as_str() {
        "td" | "th" => {
            let p = piece(pieces, Kind::Text, "\t".into());
            pieces.push(Piece {
                kind: Kind::Verbatim,
                ..p
            });
        }
        name if BLOCK.contains(&name) => {
            let kind = if PARAGRAPH.contains(&name) {
                Kind::Paragraph
            } else {
                Kind::Line
            };
            let parent = stack.last();
            let mut p = piece(pieces, kind, String::new());
            p.locator.element = Some(element_path(stack));
            p.main = parent.is_some_and(|s| s.main);
            p.boilerplate = parent.is_some_and(|s| s.boilerplate);
            pieces.push(p);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> Extracted {
        extract(html.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn main_content_is_kept_and_furniture_dropped() {
        let page = r#"<!DOCTYPE html><html><head><title>APT report</title>
<style>body{color:red}</style><script>var evil = "198.51.100.7";</script></head>
<body><nav><a href="/">Home</a> Menu words</nav>
<div class="cookie-banner">We use cookies</div>
<main><article id="post"><h1>Operation Example</h1>
<p>The actor used <b>PowerShell</b> for execution. It contacted
<a href="hxxp://bad[.]example/x">the C2 server</a>.</p>
<h2>Indicators</h2>
<pre><code>45.77.1.2   beacon
evil[.]example</code></pre>
<table><tr><th>Hash</th><th>Kind</th></tr><tr><td>d41d8cd98f00b204e9800998ecf8427e</td><td>MD5</td></tr></table>
<ul><li>first item</li><li>second item</li></ul>
<p>Long enough main content so that the article is taken as the page's main content here, well over two hundred bytes in all.</p>
</article></main><footer>Copyright footer words</footer></body></html>"#;
        let e = text(page);
        let t = &e.text;
        assert!(t.starts_with("APT report\n\n"), "{t}");
        for kept in [
            "The actor used PowerShell for execution. It contacted the C2 server (hxxp://bad[.]example/x).",
            "45.77.1.2   beacon\nevil[.]example",
            "Hash\tKind\nd41d8cd98f00b204e9800998ecf8427e\tMD5",
            "- first item\n- second item",
        ] {
            assert!(t.contains(kept), "{kept:?} not in {t:?}");
        }
        for dropped in [
            "color:red",
            "198.51.100.7",
            "Menu words",
            "cookies",
            "Copyright",
        ] {
            assert!(!t.contains(dropped), "{dropped:?} in {t:?}");
        }
        let at = |needle: &str| e.map.locate(t.find(needle).unwrap()).unwrap().clone();
        assert_eq!(at("45.77.1.2").section.as_deref(), Some("Indicators"));
        assert_eq!(
            at("The actor").section.as_deref(),
            Some("Operation Example")
        );
        assert_eq!(
            at("Operation Example").section.as_deref(),
            Some("Operation Example")
        );
        assert_eq!(
            at("The actor").element.as_deref(),
            Some("html>body>main>article#post>p")
        );
    }

    #[test]
    fn a_page_that_is_all_furniture_is_still_read() {
        let e = text("<html><body><nav>only 10.0.0.1 here</nav></body></html>");
        assert!(e.text.contains("only 10.0.0.1 here"), "{}", e.text);
    }

    #[test]
    fn deep_nesting_and_many_scripts_stay_linear_and_bounded() {
        let depth = 100_000;
        let mut page = "<html><body>".to_owned();
        page.push_str(&"<div>".repeat(depth));
        page.push_str("deep text 192.0.2.1<script>hidden()</script>");
        page.push_str(&"</div>".repeat(depth));
        page.push_str(&"<script>var x = 'no';</script>".repeat(10_000));
        page.push_str("<p>after</p></body></html>");
        let started = std::time::Instant::now();
        let e = text(&page);
        assert!(e.text.contains("deep text 192.0.2.1"), "{}", e.text);
        assert!(e.text.contains("after"));
        assert!(!e.text.contains("hidden") && !e.text.contains("'no'"));
        // Generous: linear work takes milliseconds; quadratic would take minutes.
        assert!(started.elapsed().as_secs() < 20);
    }

    #[test]
    fn charset_is_honoured() {
        let bytes =
            b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>caf\xe9</p></body></html>";
        let e = extract(bytes, &Limits::default()).unwrap();
        assert!(e.text.contains("café"), "{}", e.text);
    }
}
