use super::*;
use crate::config::directives::parse_options;
use crate::config::{AllowOverride, DirectorySection};
use crate::http::test_support::{TempDir, test_config};
use std::os::unix::fs::symlink;
use std::path::PathBuf;

/// A document root with `a/b/c.txt`, `real/f.txt`, `link -> real`, `linkfile.txt ->
/// real/f.txt`, `dangling -> nowhere`.
struct Tree {
    dir: TempDir,
    files: FilesConfig,
}

impl Tree {
    fn new(tag: &str) -> Tree {
        let dir = TempDir::new(tag);
        let root = dir.path.join("htdocs");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::write(root.join("a/b/c.txt"), b"c").unwrap();
        std::fs::write(root.join("real/f.txt"), b"f").unwrap();
        symlink(root.join("real"), root.join("link")).unwrap();
        symlink(root.join("real/f.txt"), root.join("linkfile.txt")).unwrap();
        symlink(root.join("nowhere"), root.join("dangling")).unwrap();
        let mut files = test_config(&dir.path, &dir.path.join("mime.types")).files;
        files.document_root = std::fs::canonicalize(&root).unwrap();
        Tree { dir, files }
    }

    fn root(&self) -> PathBuf {
        self.files.document_root.clone()
    }

    fn section(&mut self, rel: &str, settings: DirSettings) {
        let path = if rel.starts_with('/') {
            PathBuf::from(rel)
        } else {
            self.root().join(rel)
        };
        self.files
            .directories
            .push(DirectorySection { path, settings });
        self.files
            .directories
            .sort_by_key(|s| s.path.components().count());
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.root().join(rel), text).unwrap();
    }

    /// Walks `url` as `serve` does (stat first) with a fresh `.htaccess` cache.
    fn walk(&self, url: &str) -> Result<DirConfig, u16> {
        self.walk_with(url, &mut HtaccessCache::new())
    }

    fn walk_with(&self, url: &str, cache: &mut HtaccessCache) -> Result<DirConfig, u16> {
        let tree = DirTree::new(&self.files);
        let root = self.root();
        let full = root.join(url.trim_start_matches('/'));
        let kind = match std::fs::metadata(&full) {
            Ok(m) if m.is_dir() => TargetKind::Dir,
            Ok(_) => TargetKind::NotDir,
            Err(_) => TargetKind::Missing,
        };
        let mut buf = Vec::new();
        tree.walk(
            cache,
            root.as_os_str().as_bytes(),
            url.as_bytes(),
            kind,
            &mut buf,
        )
        .map(DirRef::into_owned)
    }
}

fn options(words: &str) -> DirSettings {
    let words: Vec<&str> = words.split_whitespace().collect();
    DirSettings {
        options: Some(parse_options(&words).unwrap()),
        ..DirSettings::default()
    }
}

fn index(names: &[&str]) -> DirSettings {
    DirSettings {
        directory_index: Some(names.iter().map(|n| n.to_string()).collect()),
        ..DirSettings::default()
    }
}

fn allow(allow: AllowOverride) -> DirSettings {
    DirSettings {
        allow_override: Some(allow),
        ..DirSettings::default()
    }
}

#[test]
fn default_config_needs_no_walk() {
    let t = Tree::new("walk-default");
    let tree = DirTree::new(&t.files);
    assert!(!tree.walk_needed);
    let got = t.walk("/a/b/c.txt").unwrap();
    assert_eq!(&got, tree.root());
    // FollowSymLinks: links are followed, a dangling one (missing target) is refused.
    assert!(t.walk("/link/f.txt").is_ok());
    assert!(t.walk("/linkfile.txt").is_ok());
    assert_eq!(t.walk("/dangling"), Err(403));
    assert!(t.walk("/missing/x.txt").is_ok());
}

#[test]
fn sections_merge_shortest_first() {
    let mut t = Tree::new("walk-sections");
    t.section("a/b", options("-FollowSymLinks"));
    t.section("a", options("+Indexes"));
    t.section("/", index(&["top.html"]));
    t.section("a", index(&["a.html"]));
    t.section("elsewhere", options("None"));
    let o = |w: &str| crate::config::apply_options(Options::default(), options(w).options);
    let cases = [
        ("/", "FollowSymLinks", "top.html"),
        ("/a", "FollowSymLinks Indexes", "a.html"),
        ("/a/", "FollowSymLinks Indexes", "a.html"),
        ("/a/missing.txt", "FollowSymLinks Indexes", "a.html"),
        ("/a/b/c.txt", "Indexes", "a.html"),
        ("/real/f.txt", "FollowSymLinks", "top.html"),
    ];
    for (url, opts, idx) in cases {
        let got = t.walk(url).unwrap();
        assert_eq!(got.options, o(opts), "{url}");
        assert_eq!(got.directory_index, [idx], "{url}");
    }
}

#[test]
fn symlink_options() {
    let mut t = Tree::new("walk-symlinks");
    t.section("", options("None"));
    assert_eq!(t.walk("/link/f.txt"), Err(403));
    assert_eq!(t.walk("/linkfile.txt"), Err(403));
    assert_eq!(t.walk("/link/"), Err(403));
    assert!(t.walk("/real/f.txt").is_ok());
    assert!(t.walk("/missing.txt").is_ok());

    let mut t = Tree::new("walk-owner");
    t.section("", options("SymLinksIfOwnerMatch"));
    assert!(t.walk("/link/f.txt").is_ok());
    assert!(t.walk("/linkfile.txt").is_ok());
    assert_eq!(t.walk("/dangling"), Err(403));
    if nix::unistd::geteuid().is_root() {
        // A link owned by someone else than its target's owner.
        let link = t.root().join("linkfile.txt");
        std::os::unix::fs::lchown(&link, Some(1), Some(1)).unwrap();
        assert_eq!(t.walk("/linkfile.txt"), Err(403));
        assert!(t.walk("/link/f.txt").is_ok());
    }

    // Options are those of the directory holding the link: links under /a are followed,
    // links at the root are not.
    let mut t = Tree::new("walk-per-dir");
    t.section("", options("-FollowSymLinks"));
    t.section("a", options("+FollowSymLinks"));
    symlink(t.root().join("real"), t.root().join("a/inner")).unwrap();
    assert!(t.walk("/a/inner/f.txt").is_ok());
    assert_eq!(t.walk("/link/f.txt"), Err(403));
}

#[test]
fn htaccess_files() {
    let mut t = Tree::new("walk-htaccess");
    t.write("a/.htaccess", "DirectoryIndex from-htaccess.html\n");
    t.write("a/b/.htaccess", "Bogus directive\n");
    // AllowOverride None: nothing is read, not even the broken file.
    let mut cache = HtaccessCache::new();
    assert!(t.walk_with("/a/b/c.txt", &mut cache).is_ok());
    assert!(cache.is_empty());

    t.section("", allow(AllowOverride::ALL));
    assert_eq!(
        t.walk("/a/").unwrap().directory_index,
        ["from-htaccess.html"]
    );
    assert_eq!(t.walk("/a/b/c.txt"), Err(500));
    // The file's directives come after the sections of its own directory, before deeper ones.
    t.section("a", index(&["from-section.html"]));
    t.section("a/b", index(&["deeper.html"]));
    assert_eq!(
        t.walk("/a/").unwrap().directory_index,
        ["from-htaccess.html"]
    );
    // AllowOverride None below turns the broken file off again.
    t.section("a/b", allow(AllowOverride::NONE));
    assert_eq!(
        t.walk("/a/b/c.txt").unwrap().directory_index,
        ["deeper.html"]
    );

    // Options from .htaccess decide the symlink checks below.
    let mut t = Tree::new("walk-htaccess-options");
    t.section("", allow(AllowOverride::ALL));
    t.write(".htaccess", "Options -FollowSymLinks\n");
    assert_eq!(t.walk("/link/f.txt"), Err(403));
    assert!(t.walk("/a/b/c.txt").is_ok());

    // An access file that cannot be read is a 403.
    std::fs::remove_file(t.root().join(".htaccess")).unwrap();
    std::fs::create_dir(t.root().join("a/.htaccess")).unwrap();
    assert_eq!(t.walk("/a/b/c.txt"), Err(403));
    assert!(t.walk("/link/f.txt").is_ok());
    drop(t.dir);
}

#[test]
fn access_file_names_in_order() {
    let mut t = Tree::new("walk-names");
    t.files.access_file_name = vec![".acl".into(), ".htaccess".into()];
    t.section("", allow(AllowOverride::ALL));
    t.write("a/.htaccess", "DirectoryIndex second.html\n");
    assert_eq!(t.walk("/a/").unwrap().directory_index, ["second.html"]);
    t.write("a/.acl", "DirectoryIndex first.html\n");
    assert_eq!(t.walk("/a/").unwrap().directory_index, ["first.html"]);
}
