//! The event MPM's child (placeholder: runs as worker until the event loop lands).

use super::threaded::ThreadedChild;

pub fn run(child: &ThreadedChild<'_>) {
    super::worker::run(child);
}
