//! DNS for HostnameLookups and `Require host`: the reverse lookup (`getnameinfo` with
//! `NI_NAMEREQD`), which std does not offer, and the forward lookup through std
//! (`getaddrinfo` behind `ToSocketAddrs`). Blocking, as Apache's are.

use std::ffi::CStr;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// The name the resolver gives for `ip` (PTR record or /etc/hosts), or `None`.
pub fn reverse(ip: IpAddr) -> Option<String> {
    let addr = socket2::SockAddr::from(SocketAddr::new(ip, 0));
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    // SAFETY: `addr` is a valid socket address of `addr.len()` bytes; `host` is a writable
    // buffer of the length given; no service buffer is requested (null, 0). getnameinfo is
    // thread-safe and NUL-terminates `host` on success.
    let rc = unsafe {
        libc::getnameinfo(
            addr.as_ptr().cast(),
            addr.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: on success getnameinfo wrote a NUL-terminated string into `host`.
    let name = unsafe { CStr::from_ptr(host.as_ptr()) };
    name.to_str().ok().map(str::to_owned)
}

/// The addresses `name` resolves to (empty if none).
pub fn forward(name: &str) -> Vec<IpAddr> {
    match (name, 0).to_socket_addrs() {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_round_trip() {
        // Every system maps 127.0.0.1 somewhere (/etc/hosts); when it has a name, that name
        // resolves back to loopback.
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        if let Some(name) = reverse(ip) {
            assert!(!name.is_empty());
            assert!(forward(&name).iter().any(|a| a.is_loopback()), "{name}");
        }
        assert!(forward("localhost").iter().any(|a| a.is_loopback()));
    }
}
