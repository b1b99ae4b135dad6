//! [`Site`]: everything a child needs to serve requests, built once per generation in the
//! master (before fork) and inherited by children. Immutable and `Sync`; per-connection and
//! per-child mutable state lives elsewhere (`conn.rs`'s scratch).

use std::fs::File;

use crate::config::{Config, FilesConfig, HttpConfig, MpmModule, ServerTokens};
use crate::handlers::dir_walk::DirTree;
use crate::handlers::file_cache::SendPolicy;
use crate::handlers::location::Locations;
use crate::handlers::mime::MimeTable;
use crate::http::parse::Limits;
use crate::logging::access::{AccessLog, LogFormat};
use crate::proxy::Proxy;

/// The serving side of one configuration generation.
#[derive(Debug)]
pub struct Site {
    http: HttpConfig,
    files: FilesConfig,
    tree: DirTree,
    limits: Limits,
    document_root: Vec<u8>,
    server_name: String,
    server_line: Vec<u8>,
    mime: MimeTable,
    allow: String,
    access_log: Option<AccessLog>,
    /// multipart/byteranges boundary, new for each generation (Apache's post_config).
    multipart_boundary: String,
    locations: Locations,
    /// The `[[proxy]]` rules and their workers (`None` without any).
    proxy: Option<Proxy>,
}

/// The product token for `server_tokens` (`mpmd/<version> (Unix)` ... `mpmd`).
pub fn server_banner(tokens: ServerTokens) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("0");
    let minor = parts.next().unwrap_or("0");
    match tokens {
        ServerTokens::Full | ServerTokens::Os => format!("mpmd/{version} (Unix)"),
        ServerTokens::Minimal => format!("mpmd/{version}"),
        ServerTokens::Minor => format!("mpmd/{major}.{minor}"),
        ServerTokens::Major => format!("mpmd/{major}"),
        ServerTokens::Prod => "mpmd".to_string(),
    }
}

impl Site {
    /// Loads types_config (mime.types format) + add_type, compiles log_format, builds the
    /// Server header (`mpmd/<CARGO_PKG_VERSION> (Unix)` per server_tokens). `access_log` is
    /// the already opened O_APPEND file (the master opens it, children inherit it). Errors are
    /// one line for the operator.
    pub fn new(config: &Config, access_log: Option<File>) -> Result<Site, String> {
        let http = config.http.clone();
        let mime = MimeTable::load(
            &http.types_config,
            &config.files.add_type,
            http.add_default_charset.as_deref(),
        )?;
        let format =
            LogFormat::compile(&config.log.log_format).map_err(|e| format!("log_format: {e}"))?;
        let mut document_root = config
            .files
            .document_root
            .as_os_str()
            .as_encoded_bytes()
            .to_vec();
        while document_root.last() == Some(&b'/') {
            document_root.pop();
        }
        let allow = if http.trace_enable {
            "GET,HEAD,POST,OPTIONS,TRACE"
        } else {
            "GET,HEAD,POST,OPTIONS"
        };
        let proxy = if config.proxy.is_empty() {
            None
        } else {
            let threads = match config.mpm.module {
                MpmModule::Prefork => 1,
                _ => config.mpm.threads_per_child,
            };
            Some(Proxy::new(&config.proxy, threads, http.timeout)?)
        };
        Ok(Site {
            proxy,
            limits: Limits::from_config(&http),
            server_line: format!("Server: {}\r\n", server_banner(config.server_tokens))
                .into_bytes(),
            http,
            files: config.files.clone(),
            tree: DirTree::new(&config.files),
            document_root,
            server_name: config.server_name.clone(),
            mime,
            allow: allow.to_string(),
            access_log: access_log
                .map(|file| AccessLog::with_buffering(format, file, config.log.buffered_logs)),
            multipart_boundary: crate::handlers::range::new_boundary(),
            locations: Locations::from_config(&config.locations)?,
        })
    }

    pub fn http(&self) -> &HttpConfig {
        &self.http
    }

    pub fn files(&self) -> &FilesConfig {
        &self.files
    }

    /// The per-directory configuration of the document tree.
    pub fn tree(&self) -> &DirTree {
        &self.tree
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// DocumentRoot as bytes, without a trailing slash (`/` becomes empty).
    pub fn document_root(&self) -> &[u8] {
        &self.document_root
    }

    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// The complete `Server: ...\r\n` line.
    pub fn server_line(&self) -> &[u8] {
        &self.server_line
    }

    pub fn mime(&self) -> &MimeTable {
        &self.mime
    }

    /// The `Allow` value for static resources.
    pub fn allow(&self) -> &str {
        &self.allow
    }

    pub fn trace_enable(&self) -> bool {
        self.http.trace_enable
    }

    pub fn send_policy(&self) -> SendPolicy {
        SendPolicy {
            enable_mmap: self.http.enable_mmap,
            enable_sendfile: self.http.enable_sendfile,
        }
    }

    pub fn access_log(&self) -> Option<&AccessLog> {
        self.access_log.as_ref()
    }

    /// The multipart/byteranges boundary of this generation.
    pub fn multipart_boundary(&self) -> &str {
        &self.multipart_boundary
    }

    /// The reverse proxy, if any `[[proxy]]` rule is configured.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }

    /// The `[[location]]` sections.
    pub fn locations(&self) -> &Locations {
        &self.locations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_per_tokens() {
        let v = env!("CARGO_PKG_VERSION");
        let cases = [
            (ServerTokens::Full, format!("mpmd/{v} (Unix)")),
            (ServerTokens::Os, format!("mpmd/{v} (Unix)")),
            (ServerTokens::Minimal, format!("mpmd/{v}")),
            (ServerTokens::Prod, "mpmd".to_string()),
        ];
        for (t, want) in cases {
            assert_eq!(server_banner(t), want);
        }
        assert!(server_banner(ServerTokens::Minor).starts_with("mpmd/0."));
        assert_eq!(server_banner(ServerTokens::Major), "mpmd/0");
    }
}
