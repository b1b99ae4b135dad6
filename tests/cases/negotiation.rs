//! Content negotiation on the wire (issue 7): MultiViews choosing by Accept-Language, the 406
//! list, Vary / TCN / Content-Location, type maps with qs and inline bodies, DirectoryIndex
//! through MultiViews, `Options +MultiViews` in `.htaccess`, and MultiViews off.

use crate::common::http::{Response, exchange};
use crate::common::{ServerGuard, TestConfig};

const LANGS: &str =
    "add_language = { \"en\" = [\".en\"], \"fr\" = [\".fr\"], \"de\" = [\".de\"] }\n";

fn fetch(server: &ServerGuard, method: &str, path: &str, headers: &str) -> Response {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n"
    );
    exchange(server.port(), raw.as_bytes()).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn get(server: &ServerGuard, path: &str, headers: &str) -> Response {
    fetch(server, "GET", path, headers)
}

fn multiviews_server() -> ServerGuard {
    let cfg = TestConfig::default().files(&format!("options = [\"MultiViews\"]\n{LANGS}"));
    let server = ServerGuard::start(&cfg);
    server.write_doc("doc.html.en", "english\n");
    server.write_doc("doc.html.fr", "francais\n");
    server.write_doc("doc.bak", "backup\n");
    server
}

#[test]
fn multiviews_picks_by_accept_language() {
    let server = multiviews_server();
    for (accept_language, body, location) in [
        ("", "english\n", "doc.html.en"),
        ("Accept-Language: fr\r\n", "francais\n", "doc.html.fr"),
        (
            "Accept-Language: de, fr;q=0.5\r\n",
            "francais\n",
            "doc.html.fr",
        ),
        ("Accept-Language: en-us\r\n", "english\n", "doc.html.en"),
        (
            "Accept-Language: fr;q=0.2, en;q=0.9\r\n",
            "english\n",
            "doc.html.en",
        ),
    ] {
        let r = get(&server, "/doc", accept_language);
        assert_eq!(r.status, 200, "{accept_language:?}");
        assert_eq!(r.text(), body, "{accept_language:?}");
        assert_eq!(r.header("Content-Location"), Some(location));
        assert_eq!(r.header("Vary"), Some("negotiate,accept-language"));
        assert_eq!(r.header("TCN"), Some("choice"));
        assert_eq!(r.header("Content-Type"), Some("text/html"));
        let lang = &location[location.len() - 2..];
        assert_eq!(r.header("Content-Language"), Some(lang));
        // The ETag carries the directory's validator after the file's (and, as httpd 2.4.71
        // sends it, no closing quote).
        let etag = r.header("ETag").expect("ETag");
        assert!(etag.contains(';') && !etag.ends_with('"'), "{etag}");
    }
    // A name with its own extension negotiates the rest.
    let r = get(&server, "/doc.html", "Accept-Language: fr\r\n");
    assert_eq!((r.status, r.text().as_str()), (200, "francais\n"));
    // Not GET/HEAD: not transparent, so no Content-Location and no "negotiate".
    let r = fetch(
        &server,
        "POST",
        "/doc",
        "Accept-Language: fr\r\nContent-Length: 0\r\n",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Vary"), Some("accept-language"));
    assert_eq!(r.header("Content-Location"), None);
    // The validators work on the negotiated file.
    let first = get(&server, "/doc", "Accept-Language: fr\r\n");
    let etag = first.header("ETag").unwrap().to_string();
    let r = get(
        &server,
        "/doc",
        &format!("Accept-Language: fr\r\nIf-None-Match: {etag}\r\n"),
    );
    assert_eq!(r.status, 304);
    assert_eq!(r.header("Vary"), Some("negotiate,accept-language"));
    let r = get(
        &server,
        "/doc",
        "Accept-Language: fr\r\nRange: bytes=0-3\r\n",
    );
    assert_eq!((r.status, r.text().as_str()), (206, "fran"));
}

#[test]
fn nothing_acceptable_is_a_406_with_the_list() {
    let server = multiviews_server();
    let r = get(&server, "/doc", "Accept-Language: it\r\n");
    assert_eq!(r.status, 406);
    assert_eq!(r.header("Vary"), Some("negotiate,accept-language"));
    assert_eq!(r.header("TCN"), Some("list"));
    assert_eq!(
        r.header("Alternates"),
        Some(
            "{\"doc.html.en\" 1 {type text/html} {language en} {length 8}}, \
             {\"doc.html.fr\" 1 {type text/html} {language fr} {length 9}}"
        )
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html; charset=iso-8859-1")
    );
    assert_eq!(
        r.text(),
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n\
         <html><head>\n<title>406 Not Acceptable</title>\n</head><body>\n<h1>Not Acceptable</h1>\n\
         <p>An appropriate representation of the requested resource could not be found on this server.</p>\n\
         Available variants:\n<ul>\n\
         <li><a href=\"doc.html.en\">doc.html.en</a> , type text/html, language en</li>\n\
         <li><a href=\"doc.html.fr\">doc.html.fr</a> , type text/html, language fr</li>\n\
         </ul>\n</body></html>\n"
    );
    // A client negotiating transparently gets 300 instead.
    let r = get(
        &server,
        "/doc",
        "Accept-Language: it\r\nNegotiate: trans\r\n",
    );
    assert_eq!(r.status, 300);
    // Names matching only files with unknown extensions are a 404.
    std::fs::remove_file(server.docroot().join("doc.html.en")).unwrap();
    std::fs::remove_file(server.docroot().join("doc.html.fr")).unwrap();
    assert_eq!(get(&server, "/doc", "").status, 404);
}

#[test]
fn vary_names_only_what_differs() {
    let cfg = TestConfig::default().files(&format!(
        "options = [\"MultiViews\"]\n{LANGS}add_encoding = {{ \"x-gzip\" = [\".gz\"] }}\n"
    ));
    let server = ServerGuard::start(&cfg);
    server.write_doc("one.txt", "one\n");
    server.write_doc("two.html", "<p>two</p>\n");
    server.write_doc("two.txt", "two\n");
    server.write_doc("z.txt", "plain\n");
    server.write_doc("z.txt.gz", "zipped\n");
    let r = get(&server, "/one", "");
    assert_eq!(r.header("Vary"), Some("negotiate"));
    let r = get(&server, "/two", "Accept: text/plain\r\n");
    assert_eq!(
        (r.text().as_str(), r.header("Vary")),
        ("two\n", Some("negotiate,accept"))
    );
    // No Accept: */* at 0.01 for both; the smaller wins.
    assert_eq!(get(&server, "/two", "").text(), "two\n");
    let r = get(&server, "/z", "");
    assert_eq!(
        (r.text().as_str(), r.header("Vary")),
        ("plain\n", Some("negotiate,accept,accept-encoding"))
    );
    // The encoded variant for a client that takes it, with its own spelling of the coding.
    let r = get(&server, "/z", "Accept-Encoding: gzip\r\n");
    assert_eq!(r.text(), "zipped\n");
    assert_eq!(r.header("Content-Encoding"), Some("gzip"));
}

#[test]
fn type_maps_choose_by_qs_and_serve_bodies() {
    let server = ServerGuard::start(&TestConfig::default().files(LANGS));
    server.write_doc(
        "map.var",
        "URI: a.html\nContent-Type: text/html; qs=0.5\n\nURI: a.txt\nContent-Type: text/plain\n",
    );
    server.write_doc("a.html", "<p>a</p>\n");
    server.write_doc("a.txt", "a\n");
    let r = get(&server, "/map.var", "");
    assert_eq!((r.status, r.text().as_str()), (200, "a\n"));
    assert_eq!(r.header("Content-Location"), Some("a.txt"));
    assert_eq!(r.header("Vary"), Some("negotiate,accept"));
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    let r = get(
        &server,
        "/map.var",
        "Accept: text/html, text/plain;q=0.4\r\n",
    );
    assert_eq!(r.text(), "<p>a</p>\n");
    server.write_doc(
        "b.var",
        "# inline bodies\nURI: b\nContent-Type: text/plain\nContent-Language: en\nBody:----en--\n\
         Hello\n----en--\n\nURI: b\nContent-Type: text/plain\nContent-Language: fr\nBody:--fr--\n\
         Bonjour\n--fr--\n",
    );
    let r = get(&server, "/b.var", "Accept-Language: fr\r\n");
    assert_eq!((r.status, r.text().as_str()), (200, "Bonjour\n"));
    assert_eq!(r.header("Vary"), Some("accept-language"));
    assert_eq!(r.header("Content-Language"), Some("fr"));
    assert_eq!(r.header("Content-Location"), None);
    let r = get(&server, "/b.var", "Accept-Language: it\r\n");
    assert_eq!(r.status, 406);
    server.write_doc("bad.var", "URI a.html\n");
    assert_eq!(get(&server, "/bad.var", "").status, 500);
}

#[test]
fn directory_index_resolves_through_multiviews() {
    let cfg = TestConfig::default().files(&format!(
        "options = [\"MultiViews\"]\ndirectory_index = [\"index\"]\n{LANGS}"
    ));
    let server = ServerGuard::start(&cfg);
    server.write_doc("idx/index.html.en", "idx-en\n");
    server.write_doc("idx/index.html.fr", "idx-fr\n");
    let r = get(&server, "/idx/", "Accept-Language: fr\r\n");
    assert_eq!((r.status, r.text().as_str()), (200, "idx-fr\n"));
    assert_eq!(r.header("Content-Location"), Some("index.html.fr"));
    // mod_dir's fast redirect keeps no variant list validator in the ETag.
    assert!(r.header("ETag").unwrap().ends_with('"'));
    // The only index name not acceptable: its 406 is the answer.
    assert_eq!(get(&server, "/idx/", "Accept-Language: it\r\n").status, 406);
}

#[test]
fn htaccess_turns_multiviews_on_and_off() {
    let cfg = TestConfig::default().files(&format!("allow_override = [\"All\"]\n{LANGS}"));
    let server = ServerGuard::start(&cfg);
    server.write_doc("on/t.html.en", "on-en\n");
    server.write_doc("on/t.html.fr", "on-fr\n");
    server.write_doc("off/t.html.en", "off-en\n");
    // MultiViews is off by default: a 404.
    assert_eq!(get(&server, "/on/t", "").status, 404);
    server.write_doc(
        "on/.htaccess",
        "Options +MultiViews\nLanguagePriority fr en\n",
    );
    let r = get(&server, "/on/t", "");
    assert_eq!((r.status, r.text().as_str()), (200, "on-fr\n"));
    assert_eq!(get(&server, "/off/t", "").status, 404);
    server.write_doc(
        "off/.htaccess",
        "Options +MultiViews\nAddHandler cgi-script .cgi\n",
    );
    assert_eq!(get(&server, "/off/t", "").status, 500);
}

#[test]
fn multiviews_off_is_a_404() {
    let cfg = TestConfig::default().files(&format!("options = [\"All\"]\n{LANGS}"));
    let server = ServerGuard::start(&cfg);
    server.write_doc("doc.html.en", "english\n");
    assert_eq!(get(&server, "/doc", "").status, 404);
    assert_eq!(get(&server, "/doc.html.en", "").status, 200);
}

#[test]
fn other_answers_keep_the_negotiation_headers() {
    let server = multiviews_server();
    let r = fetch(&server, "OPTIONS", "/doc", "Accept-Language: fr\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Vary"), Some("accept-language"));
    assert_eq!(r.header("Content-Language"), Some("fr"));
    assert_eq!(r.header("Content-Type"), Some("text/html"));
    let r = fetch(&server, "DELETE", "/doc", "");
    assert_eq!((r.status, r.header("Vary")), (405, Some("accept-language")));
    // A missing directory negotiates as a file with path info, which is then refused.
    let r = get(&server, "/doc/more", "");
    assert_eq!((r.status, r.header("Vary")), (404, Some("accept-language")));
    assert_eq!(
        get(&server, "/doc/more", "Accept-Language: it\r\n").status,
        406
    );
    assert_eq!(get(&server, "/nothing/more", "").header("Vary"), None);
}

#[test]
fn add_type_qs_and_trailing_slash() {
    let cfg = TestConfig::default().files(&format!(
        "options = [\"MultiViews\"]\nadd_type = {{ \"text/html;qs=0.5\" = [\".lowq\"] }}\n{LANGS}"
    ));
    let server = ServerGuard::start(&cfg);
    server.write_doc("low.lowq", "<p>low</p>\n");
    server.write_doc("low.txt", "plain text, the longer one\n");
    // No Accept: both at 0.01, times qs: the plain text wins.
    let r = get(&server, "/low", "");
    assert_eq!(r.header("Content-Location"), Some("low.txt"));
    let r = get(&server, "/low", "Accept: text/html, text/plain;q=0.4\r\n");
    assert_eq!(r.header("Content-Location"), Some("low.lowq"));
    assert_eq!(r.header("Content-Type"), Some("text/html; qs=0.5"));
    server.write_doc("doc.html.en", "english\n");
    server.write_doc("doc.html.fr", "francais\n");
    // "/doc/" negotiates doc with "/" as path info: a 404 that still varies.
    let r = get(&server, "/doc/", "");
    assert_eq!((r.status, r.header("Vary")), (404, Some("accept-language")));
}

#[test]
fn error_documents_still_apply() {
    let cfg = TestConfig::default().files(&format!(
        "options = [\"MultiViews\"]\nerror_document = {{ \"404\" = \"Gone away\", \"406\" = \"No such language\" }}\n{LANGS}"
    ));
    let server = ServerGuard::start(&cfg);
    server.write_doc("doc.html.en", "english\n");
    let r = get(&server, "/doc/more", "");
    assert_eq!((r.status, r.text().as_str()), (404, "Gone away"));
    let r = get(&server, "/doc", "Accept-Language: it\r\n");
    assert_eq!((r.status, r.text().as_str()), (406, "No such language"));
}

#[test]
fn error_documents_keep_the_negotiation_headers() {
    // Apache's err_headers_out: Vary, Alternates and TCN stay with whatever the ErrorDocument
    // makes of the error (a message, a local document, a redirect).
    let cfg = TestConfig::default().files(&format!(
        "options = [\"MultiViews\"]\nerror_document = {{ \"404\" = \"/sorry.txt\", \"406\" = \"No such language\", \"405\" = \"http://example.com/no\" }}\n{LANGS}"
    ));
    let server = ServerGuard::start(&cfg);
    server.write_doc("doc.html.en", "english\n");
    server.write_doc("doc.html.fr", "francais\n");
    server.write_doc("sorry.txt", "sorry\n");
    let r = get(&server, "/doc", "Accept-Language: it\r\n");
    assert_eq!((r.status, r.text().as_str()), (406, "No such language"));
    assert_eq!(r.header("Vary"), Some("negotiate,accept-language"));
    assert_eq!(r.header("TCN"), Some("list"));
    assert!(
        r.header("Alternates")
            .is_some_and(|a| a.contains("doc.html.fr"))
    );
    let r = get(&server, "/doc/more", "Accept-Language: fr\r\n");
    assert_eq!((r.status, r.text().as_str()), (404, "sorry\n"));
    assert_eq!(r.header("Vary"), Some("accept-language"));
    let r = fetch(&server, "DELETE", "/doc", "Accept-Language: fr\r\n");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("Location"), Some("http://example.com/no"));
    assert_eq!(r.header("Vary"), Some("accept-language"));
    // A plain missing file has nothing to keep.
    let r = get(&server, "/missing", "");
    assert_eq!((r.status, r.header("Vary")), (404, None));
}
