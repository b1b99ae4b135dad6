//! The one document tree both servers serve: nested directories, index files, directories with
//! and without listings, `.htaccess` files, symlinks (inside and outside the root, to files and
//! directories, owned by another user), odd names, several media types, a 100 KiB file.
//!
//! Every file and directory gets the same fixed modification time in the past, so ETags (which
//! include the mtime in microseconds and turn weak within a second of a change) and
//! Last-Modified are the same on every run. Modes are set explicitly (755 / 644) because when
//! the test runs as root both servers' children run as www-data.

use std::fs::{self, File, FileTimes, Permissions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use crate::apache::running_as_root;

/// 2021-03-04 05:06:07.123456 UTC.
const MTIME_SECS: u64 = 1_614_834_367;
const MTIME_MICROS: u64 = 123_456;
/// The same instant as an HTTP date.
pub const LAST_MODIFIED: &str = "Thu, 04 Mar 2021 05:06:07 GMT";
/// Size of `big.bin`.
pub const BIG_LEN: usize = 100 * 1024;
/// A uid that owns nothing else here (nobody), for SymLinksIfOwnerMatch.
const FOREIGN_UID: u32 = 65534;

pub const INDEX_HTML: &str = "<!DOCTYPE html>\n<html><head><title>root</title></head><body><p>root index</p></body></html>\n";
pub const SUB_INDEX_HTML: &str = "<html><body>sub index</body></html>\n";

/// `.htaccess` of `/ht/` (AllowOverride All): one of each directive mpmd must read.
const HT_HTACCESS: &str = "# differential test: Apache syntax\n\
Options +Indexes\n\
DirectoryIndex home.html\n\
AddType text/x-custom .cust\n\
AddCharset UTF-8 .utf8\n\
AddEncoding x-gzip .gz\n\
AddLanguage fr .fr\n\
ErrorDocument 404 \"Custom not found text\"\n";

/// The built tree.
pub struct Tree {
    pub docroot: PathBuf,
}

impl Tree {
    /// Builds the tree under `docroot` (which may already hold files; they are replaced) and a
    /// `secret.txt` next to it, outside the root.
    pub fn build(docroot: &Path) -> Tree {
        let outside = docroot.parent().expect("docroot has a parent");
        let t = Tree {
            docroot: docroot.to_path_buf(),
        };
        dir(outside);
        dir(docroot);
        file(&outside.join("secret.txt"), b"TOP-SECRET-OUTSIDE-DOCROOT\n");

        let text = |rel: &str, body: &str| t.file(rel, body.as_bytes());
        text("index.html", INDEX_HTML);
        text("hello.txt", "hello, world\n");
        text("style.css", "body { color: #333; }\n");
        text("data.json", "{\"a\": [1, 2, 3]}\n");
        t.file(
            "image.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
        );
        t.file(
            "archive.tar.gz",
            b"\x1f\x8b\x08\0\0\0\0\0\0\x03not really gzip",
        );
        text("blob.zzqx", "an extension nobody maps\n");
        text("noext", "a file without an extension\n");
        text(
            "UPPER.HTML",
            "<html><body>upper case extension</body></html>\n",
        );
        text(
            "page.html.zzqx",
            "<html><body>html, then unknown</body></html>\n",
        );
        let big: Vec<u8> = (0..BIG_LEN).map(|i| (i * 31 % 251) as u8).collect();
        t.file("big.bin", &big);
        text("with space.txt", "a name with a space\n");
        text("100%.txt", "a name with a percent sign\n");
        text("caf\u{e9}.txt", "a name in UTF-8\n");
        // A name that is not UTF-8 (Latin-1 e-acute): Apache takes raw bytes in a path.
        file(
            &docroot.join(std::ffi::OsStr::from_bytes(b"latin1-caf\xe9.txt")),
            b"a name in Latin-1\n",
        );
        text("plus+sign.txt", "a name with a plus\n");
        text("question?.txt", "a name with a question mark\n");
        text(".hidden.txt", "a dotfile, served\n");
        text(".htpasswd", "user:$apr1$not-a-real-hash\n");
        text(".htsecret.txt", "starts with .ht: never served\n");
        text(".HTcase.txt", "starts with .HT in upper case\n");
        text("unreadable.txt", "mode 000\n");
        fs::set_permissions(t.path("unreadable.txt"), Permissions::from_mode(0o000))
            .expect("chmod unreadable.txt");
        let fifo = t.path("pipe");
        let _ = fs::remove_file(&fifo);
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644))
            .expect("mkfifo pipe");

        text("sub/index.html", SUB_INDEX_HTML);
        text("sub/page.html", "<html><body>sub page</body></html>\n");
        // AllowOverride None here: never even opened.
        text("sub/.htaccess", "This is not a directive at all\n");
        text("sub/deeper/file.txt", "deeper\n");

        text("noindex/a.txt", "a\n");

        text("listing/a.txt", "a\n");
        text("listing/b.html", "<p>b</p>\n");
        text("listing/sp ace.txt", "space\n");
        text("listing/\u{fc}n\u{ef}.txt", "unicode\n");
        text("listing/subdir/x.txt", "x\n");
        text("listing/.hidden", "hidden\n");
        text("listing/.htaccess", "Never read: AllowOverride None\n");

        text("altindex/start.html", "<p>start.html wins</p>\n");
        text("altindex/index.html", "<p>index.html loses</p>\n");

        for d in ["denied", "localonly", "iponly", "ipok"] {
            text(&format!("{d}/file.txt"), &format!("{d}\n"));
        }

        text("nofollow/real.txt", "real file in nofollow\n");
        t.link("nofollow/link.txt", "real.txt");

        t.link("follow/link.txt", "../hello.txt");
        t.link("follow/outside.txt", "../../secret.txt");
        t.link("follow/dirlink", "../sub");
        t.link("follow/dangling", "no-such-target.txt");

        text("ifowner/real.txt", "real file in ifowner\n");
        t.link("ifowner/same.txt", "real.txt");
        t.link("ifowner/dirlink", "../sub");
        if running_as_root() {
            text("ifowner/foreign.txt", "owned by nobody\n");
            std::os::unix::fs::chown(t.path("ifowner/foreign.txt"), Some(FOREIGN_UID), None)
                .expect("chown foreign.txt");
            t.link("ifowner/foreign-link.txt", "foreign.txt");
        } else {
            // Not root: cannot give a file away, so point at one root owns.
            t.link("ifowner/foreign-link.txt", "/etc/passwd");
        }

        text("ht/.htaccess", HT_HTACCESS);
        text(
            "ht/home.html",
            "<p>home.html via .htaccess DirectoryIndex</p>\n",
        );
        text("ht/thing.cust", "custom type\n");
        text("ht/note.utf8.txt", "caf\u{e9} in UTF-8\n");
        t.file("ht/data.txt.gz", b"\x1f\x8b\x08\0\0\0\0\0\0\x03compressed?");
        text("ht/sub/x.txt", "x\n");
        text("ht/lang/.htaccess", "DefaultLanguage de\n");
        text("ht/lang/page.fr.html", "<p>bonjour</p>\n");
        text("ht/lang/plain.html", "<p>hallo</p>\n");

        text("htdeny/.htaccess", "Require all denied\n");
        text("htdeny/file.txt", "denied by .htaccess\n");
        text("htbad/.htaccess", "Options +Indexes\n");
        text(
            "htbad/file.txt",
            "Options not allowed by AllowOverride FileInfo\n",
        );
        text("htunknown/.htaccess", "NoSuchDirective on\n");
        text("htunknown/file.txt", "unknown directive\n");
        text("htnone/.htaccess", "garbage that is never read\n");
        text("htnone/file.txt", "AllowOverride None\n");

        text("errdoc/file.txt", "errdoc\n");
        text("errdoc/.htsecret", "never served\n");
        text(
            "errors/404.html",
            "<html><body>custom 404 page</body></html>\n",
        );

        text("mimedir/x.spc", "special\n");
        text("mimedir/y.l2.txt", "latin-2\n");

        crate::tree_neg::build(&t);

        t.fix_times(docroot);
        t
    }

    /// The absolute path of `rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.docroot.join(rel)
    }

    pub fn file(&self, rel: &str, body: &[u8]) {
        let path = self.path(rel);
        let mut parent = path.parent().expect("file has a parent").to_path_buf();
        fs::create_dir_all(&parent).expect("create tree dir");
        while parent.starts_with(&self.docroot) {
            fs::set_permissions(&parent, Permissions::from_mode(0o755)).expect("chmod dir");
            if !parent.pop() {
                break;
            }
        }
        file(&path, body);
    }

    fn link(&self, rel: &str, target: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("link has a parent")).expect("create link dir");
        let _ = fs::remove_file(&path);
        symlink(target, &path).unwrap_or_else(|e| panic!("symlink {}: {e}", path.display()));
    }

    /// Sets the fixed mtime on every regular file and directory under `dir` (not through links).
    fn fix_times(&self, dir: &Path) {
        for entry in fs::read_dir(dir).expect("read tree dir") {
            let entry = entry.expect("tree dir entry");
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                self.fix_times(&entry.path());
            } else if kind.is_file() {
                set_mtime(&entry.path());
            }
        }
        set_mtime(dir);
    }

    /// Apache's default ETag (`FileETag MTime Size`): `"size-mtime"`, lower-case hex, mtime in
    /// microseconds.
    pub fn etag(&self, rel: &str) -> String {
        let size = fs::metadata(self.path(rel)).expect("stat for etag").len();
        format!("\"{size:x}-{:x}\"", MTIME_SECS * 1_000_000 + MTIME_MICROS)
    }
}

fn dir(path: &Path) {
    fs::create_dir_all(path).expect("create dir");
    fs::set_permissions(path, Permissions::from_mode(0o755)).expect("chmod dir");
}

fn file(path: &Path, body: &[u8]) {
    if path.exists() {
        fs::set_permissions(path, Permissions::from_mode(0o644)).expect("chmod before rewrite");
    }
    fs::write(path, body).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    fs::set_permissions(path, Permissions::from_mode(0o644)).expect("chmod file");
}

fn set_mtime(path: &Path) {
    let when = UNIX_EPOCH + Duration::new(MTIME_SECS, (MTIME_MICROS * 1000) as u32);
    // Opening read-only is enough for futimens(2) as the owner; a mode-000 file is opened by
    // its owner only when root, so skip it otherwise.
    let Ok(f) = File::open(path) else {
        return;
    };
    f.set_times(FileTimes::new().set_modified(when).set_accessed(when))
        .unwrap_or_else(|e| panic!("set mtime on {}: {e}", path.display()));
}
