//! Integration tests: each one runs the real `mpmd` binary through `common::ServerGuard`
//! (temp dir, port 0, deadlines, everything stopped on drop). One test binary; the topics live
//! in `cases/` (a subdirectory, so Cargo does not build each of them as its own test target).

mod cases;
mod common;
