//! The unsafe fence: every `unsafe` block of mpmd outside the scoreboard's shared memory lives
//! here, each with a `// SAFETY:` comment. The rest of the crate is `#![deny(unsafe_code)]`.
//! Privilege dropping lives here too: it is safe code, but it belongs with the other
//! process-level operations a child performs right after fork.
#![allow(unsafe_code)]

pub mod cpu;
pub mod dns;
pub mod fdio;
pub mod malloc;
pub mod mmap;
pub mod privileges;
pub mod process;
pub mod time;
