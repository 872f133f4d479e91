//! Release notes to safe HTML (R-REL-4): Markdown rendered with
//! pulldown-cmark, `#123` turned into links to the configured issue tracker,
//! then everything sanitised with ammonia. The preview and the published
//! notes go through this one function, so a `<script>`, an `onerror=` or a
//! `javascript:` link never reaches a browser from either.

use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// The issue link for `n` from a template such as `https://…/issues/{n}`.
pub fn issue_url(template: &str, n: u32) -> String {
    template.replace("{n}", &n.to_string())
}

/// Splits a text at `#123` references (a `#` not preceded by a word character,
/// followed by digits), producing text and link events.
fn link_issues<'a>(text: &str, template: &str, out: &mut Vec<Event<'a>>) {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let preceded_by_word =
            i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'&');
        if bytes[i] == b'#' && !preceded_by_word {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let number = text
                .get(i + 1..i + 1 + digits)
                .and_then(|d| d.parse::<u32>().ok());
            if let (true, Some(n)) = (digits > 0, number) {
                if start < i {
                    out.push(Event::Text(CowStr::from(text[start..i].to_string())));
                }
                out.push(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url: CowStr::from(issue_url(template, n)),
                    title: CowStr::from(""),
                    id: CowStr::from(""),
                }));
                out.push(Event::Text(CowStr::from(format!("#{n}"))));
                out.push(Event::End(TagEnd::Link));
                i += 1 + digits;
                start = i;
                continue;
            }
        }
        i += 1;
    }
    if start < text.len() {
        out.push(Event::Text(CowStr::from(text[start..].to_string())));
    }
}

/// Markdown → sanitised HTML, with `#123` linked where it is not already inside a link.
pub fn to_safe_html(markdown: &str, issue_url_template: &str) -> String {
    let mut events = Vec::new();
    let mut link_depth = 0usize;
    let mut in_code = false;
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    ) {
        match event {
            Event::Start(Tag::Link { .. }) => {
                link_depth += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                link_depth = link_depth.saturating_sub(1);
                events.push(event);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                events.push(event);
            }
            Event::Text(t) if link_depth == 0 && !in_code => {
                link_issues(&t, issue_url_template, &mut events)
            }
            other => events.push(other),
        }
    }
    let mut raw = String::new();
    html::push_html(&mut raw, events.into_iter());
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "https://tracker.example/issues/{n}";

    #[test]
    fn r_rel_4_issue_reference_becomes_a_link() {
        let html = to_safe_html("- デッキ共有機能を追加 (#123)", T);
        assert!(
            html.contains(r#"<a href="https://tracker.example/issues/123" rel="noopener noreferrer nofollow">#123</a>"#),
            "{html}"
        );
    }

    #[test]
    fn r_rel_4_hash_inside_words_code_and_links_is_left_alone() {
        let html = to_safe_html("C#1 and `#5` and [see #7](https://x.example/)", T);
        assert!(!html.contains("issues/1\""), "{html}");
        assert!(!html.contains("issues/5"), "{html}");
        assert!(!html.contains("issues/7"), "{html}");
    }

    #[test]
    fn r_rel_4_script_tag_is_removed() {
        let html = to_safe_html("hello <script>alert(1)</script> world", T);
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("alert(1)</script"), "{html}");
    }

    #[test]
    fn r_rel_4_event_handler_is_removed() {
        let html = to_safe_html(
            r#"<img src="x.png" onerror="alert(1)"> <a href="https://a.example" onclick="x()">a</a>"#,
            T,
        );
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }

    #[test]
    fn r_rel_4_javascript_url_is_removed() {
        for md in [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](&#106;avascript:alert(1))",
        ] {
            let html = to_safe_html(md, T);
            assert!(
                !html.to_lowercase().contains("javascript:"),
                "{md} → {html}"
            );
        }
    }

    #[test]
    fn r_rel_4_nested_markdown_link_stays_one_safe_link() {
        let html = to_safe_html("[[inner](javascript:alert(1))](https://ok.example/)", T);
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
        let html = to_safe_html("[a [b](https://b.example/) c](https://a.example/)", T);
        assert!(
            !html.contains("<a href=\"https://a.example/\"><a"),
            "{html}"
        );
    }

    #[test]
    fn r_rel_4_a_template_with_a_javascript_scheme_yields_no_link() {
        let html = to_safe_html("fix (#9)", "javascript:alert({n})");
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
    }
}
