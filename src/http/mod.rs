//! STUB
use crate::config::Config;
use std::net::{SocketAddr, TcpStream};
pub struct Site;
impl Site {
    pub fn new(_c: &Config, _a: Option<std::fs::File>) -> Result<Site, String> {
        Ok(Site)
    }
}
pub enum Phase {
    Reading,
    Writing,
    KeepAlive,
    Closing,
    Logging,
}
#[derive(Debug)]
pub enum ConnEnd {
    ClientClosed,
}
pub trait ConnObserver {
    fn phase(&mut self, phase: Phase);
    fn request_started(&mut self, l: &[u8]);
    fn request_finished(&mut self, b: u64, d: std::time::Duration);
    fn stopping(&self) -> bool;
}
pub fn serve_connection(
    _s: &Site,
    _t: TcpStream,
    _p: SocketAddr,
    _l: SocketAddr,
    _o: &mut dyn ConnObserver,
) -> ConnEnd {
    ConnEnd::ClientClosed
}
