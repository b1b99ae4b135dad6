//! Test helpers: a hand-built [`Config`] (the config loader lives elsewhere), a temporary
//! document root, and a loopback harness that runs `serve_connection` on a thread.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::config::*;
use crate::http::{ConnEnd, ConnObserver, Phase, Site, serve_connection};

/// Every wait in these tests ends after this long (a failing test, never a hang).
pub const WAIT: Duration = Duration::from_secs(10);

/// A Config with Apache's defaults, serving `root`.
pub fn test_config(root: &Path, types_config: &Path) -> Config {
    Config {
        source: root.join("mpmd.toml"),
        server_root: root.to_path_buf(),
        server_name: "test.example".to_string(),
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        listen_backlog: 511,
        pid_file: root.join("mpmd.pid"),
        error_log: LogTarget::Stderr,
        log_level: LogLevel::Warn,
        user: None,
        group: None,
        graceful_shutdown_timeout: None,
        scoreboard_file: None,
        server_tokens: ServerTokens::Full,
        mpm: MpmConfig {
            module: MpmModule::Prefork,
            start_servers: 5,
            min_spare_servers: 5,
            max_spare_servers: 10,
            server_limit: 256,
            max_request_workers: 256,
            max_connections_per_child: 0,
            threads_per_child: 25,
            thread_limit: 64,
            min_spare_threads: 75,
            max_spare_threads: 250,
            async_request_worker_factor_16ths: 32,
        },
        http: HttpConfig {
            timeout: Duration::from_secs(60),
            keep_alive: true,
            keep_alive_timeout: Duration::from_secs(5),
            max_keep_alive_requests: 100,
            limit_request_line: 8190,
            limit_request_fields: 100,
            limit_request_field_size: 8190,
            limit_request_body: 1 << 30,
            hostname_lookups: HostnameLookups::Off,
            enable_sendfile: false,
            enable_mmap: true,
            file_etag: FileEtag {
                inode: false,
                mtime: true,
                size: true,
            },
            types_config: types_config.to_path_buf(),
            add_default_charset: None,
            trace_enable: true,
            max_ranges: 200,
        },
        log: AccessLogConfig {
            access_log: None,
            log_format: "%h %l %u %t \"%r\" %>s %b".to_string(),
            buffered_logs: false,
        },
        files: FilesConfig {
            document_root: root.join("htdocs"),
            directory_index: vec!["index.html".to_string()],
            directory_slash: true,
            options: Options {
                follow_symlinks: true,
                ..Options::default()
            },
            index_options: IndexOptions::default(),
            add_type: BTreeMap::new(),
            allow_override: AllowOverride::NONE,
            access_file_name: vec![".htaccess".to_string()],
            error_document: BTreeMap::new(),
            add_language: BTreeMap::new(),
            add_charset: BTreeMap::new(),
            add_encoding: BTreeMap::new(),
            add_handler: BTreeMap::new(),
            default_language: None,
            language_priority: Vec::new(),
            force_language_priority: ForceLanguagePriority::default(),
            directories: Vec::new(),
        },
        status: StatusConfig {
            extended_status: false,
        },
        locations: Vec::new(),
        proxy: Default::default(),
    }
}

/// A directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("mpmd-http-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A site over a small document tree: `/index.html` (1 KiB), `/dir/` (no index),
/// `/sub/index.html`, `/plain.txt`, `/.htaccess`, `/noext`, `/big.bin` (200 KiB).
pub struct TestSite {
    pub dir: TempDir,
    pub config: Config,
}

pub const MIME_TYPES: &str = "text/html html htm\ntext/plain txt\napplication/octet-stream bin\n";

impl TestSite {
    pub fn new(tag: &str) -> TestSite {
        let dir = TempDir::new(tag);
        let root = dir.path.join("htdocs");
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("index.html"), vec![b'x'; 1024]).unwrap();
        std::fs::write(root.join("sub/index.html"), b"<p>sub</p>\n").unwrap();
        std::fs::write(root.join("plain.txt"), b"plain\n").unwrap();
        std::fs::write(root.join(".htaccess"), b"Require all denied\n").unwrap();
        std::fs::write(root.join("noext"), b"data").unwrap();
        let big: Vec<u8> = (0..200 * 1024).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.join("big.bin"), big).unwrap();
        let types = dir.path.join("mime.types");
        std::fs::write(&types, MIME_TYPES).unwrap();
        let config = test_config(&dir.path, &types);
        TestSite { dir, config }
    }

    pub fn site(&self) -> Arc<Site> {
        Arc::new(Site::new(&self.config, None).unwrap())
    }

    pub fn site_with_log(&self) -> (Arc<Site>, PathBuf) {
        let path = self.dir.path.join("access.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        (Arc::new(Site::new(&self.config, Some(file)).unwrap()), path)
    }
}

/// A `ConnObserver` that records what it is told.
#[derive(Debug, Default)]
pub struct Recorder {
    pub phases: Vec<Phase>,
    pub request_lines: Vec<Vec<u8>>,
    pub finished: Vec<u64>,
    pub stop: Arc<AtomicBool>,
}

impl ConnObserver for Recorder {
    fn phase(&mut self, phase: Phase) {
        self.phases.push(phase);
    }
    fn request_started(&mut self, request_line: &[u8]) {
        self.request_lines.push(request_line.to_vec());
    }
    fn request_finished(&mut self, bytes_sent: u64, _duration: Duration) {
        self.finished.push(bytes_sent);
    }
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// A client socket connected to `serve_connection` running on its own thread.
pub struct Harness {
    pub client: TcpStream,
    pub stop: Arc<AtomicBool>,
    done: mpsc::Receiver<(ConnEnd, Recorder)>,
}

impl Harness {
    pub fn start(site: Arc<Site>) -> Harness {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_read_timeout(Some(WAIT)).unwrap();
        client.set_write_timeout(Some(WAIT)).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        let local = stream.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, done) = mpsc::channel();
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            let mut rec = Recorder {
                stop: stop2,
                ..Recorder::default()
            };
            let end = serve_connection(&site, stream, peer, local, &mut rec);
            let _ = tx.send((end, rec));
        });
        Harness { client, stop, done }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.client.write_all(bytes).unwrap();
    }

    /// Reads one response (`head_only`: no body follows, as for HEAD).
    pub fn response(&mut self, head_only: bool) -> Resp {
        read_response(&mut self.client, head_only)
    }

    /// Reads until the server closes; returns the bytes. Then closes our side too, as real
    /// clients do, which ends the server's lingering close.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        self.client
            .read_to_end(&mut all)
            .expect("server did not close in time");
        let _ = self.client.shutdown(std::net::Shutdown::Write);
        all
    }

    /// Waits for `serve_connection` to return.
    pub fn finish(self) -> (ConnEnd, Recorder) {
        drop(self.client);
        self.done
            .recv_timeout(WAIT)
            .expect("serve_connection did not return in time")
    }

    /// Waits for `serve_connection` to return while keeping the client open.
    pub fn wait_end(&self) -> (ConnEnd, Recorder) {
        self.done
            .recv_timeout(WAIT)
            .expect("serve_connection did not return in time")
    }
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

pub fn read_response(s: &mut TcpStream, head_only: bool) -> Resp {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).expect("read head");
        assert_eq!(
            n,
            1,
            "connection closed in a head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let status: u16 = head[9..12].parse().unwrap();
    let mut resp = Resp {
        status,
        head,
        body: Vec::new(),
    };
    if head_only || status == 304 || status < 200 {
        return resp;
    }
    if resp.header("transfer-encoding") == Some("chunked") {
        resp.body = read_chunked(s);
    } else if let Some(len) = resp.header("content-length") {
        resp.body = vec![0; len.parse().unwrap()];
        s.read_exact(&mut resp.body).expect("read body");
    } else if resp.header("connection") == Some("close") {
        s.read_to_end(&mut resp.body).expect("read body to close");
    }
    resp
}

/// A chunked body, decoded (no extensions, no trailers: what the server sends).
fn read_chunked(s: &mut TcpStream) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            s.read_exact(&mut byte).expect("read chunk size");
            line.push(byte[0]);
        }
        let size = usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16)
            .expect("chunk size");
        let mut chunk = vec![0; size + 2];
        s.read_exact(&mut chunk).expect("read chunk");
        assert!(chunk.ends_with(b"\r\n"), "chunk not ending in CRLF");
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
