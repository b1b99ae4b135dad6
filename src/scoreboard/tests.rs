//! Unit tests of the scoreboard's safe API, its snapshot and the read-only file view.

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn counters_survive_child_replacement_and_reset_clears_them() {
    let board = Scoreboard::create(4, 1, None).unwrap();
    assert_eq!(board.global().magic.load(Ordering::Relaxed), MAGIC);
    board.slot_starting(2, 1);
    board.slot_forked(2, 4242);
    let slot = board.worker_slot(2, 0);
    slot.set_status(WorkerStatus::Ready);
    slot.connection_started(ip("127.0.0.1"), b"localhost:80");
    slot.request_started(b"GET / HTTP/1.1", b"HTTP/1.1");
    slot.request_finished(100, Duration::from_millis(2));
    assert_eq!(board.status(2, 0), WorkerStatus::Ready);
    let texts = read_texts(board.worker(2, 0));
    assert_eq!(texts.request, b"GET / HTTP/1.1");
    assert_eq!(texts.client, b"127.0.0.1");

    board.slot_dead(2);
    let w = board.worker(2, 0);
    assert_eq!(board.status(2, 0), WorkerStatus::Dead);
    assert_eq!(board.process(2).pid.load(Ordering::Relaxed), 0);
    assert_eq!(w.access_count.load(Ordering::Relaxed), 1);
    assert_eq!(w.bytes_served.load(Ordering::Relaxed), 100);
    assert_eq!(w.my_access_count.load(Ordering::Relaxed), 0);

    board.reset();
    assert_eq!(w.access_count.load(Ordering::Relaxed), 0);
    assert_eq!(read_texts(w), WorkerTexts::default());
}

#[test]
fn file_backed_scoreboard_is_shared_through_the_file() {
    let dir = std::env::temp_dir().join(format!("mpmd-sb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scoreboard");
    let board = Scoreboard::create(2, 1, Some(&path)).unwrap();
    board
        .global()
        .running_generation
        .store(7, Ordering::Release);
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len >= size_of::<GlobalRecord>() as u64);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], &MAGIC.to_le_bytes());
    drop(board);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn snapshot_copies_every_record_and_a_file_view_sees_the_same() {
    let dir = std::env::temp_dir().join(format!("mpmd-sb-view-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scoreboard");
    let board = Scoreboard::create(3, 1, Some(&path)).unwrap();
    board.publish_settings(&BoardSettings {
        mpm: 0,
        max_daemons: 2,
        threads_per_child: 1,
        extended_status: true,
    });
    board.publish_spawn_state(4, 7, true);
    board.publish_master_cpu(
        CpuTicks {
            user: 1,
            system: 2,
            children_user: 3,
            children_system: 4,
        },
        100,
    );
    board
        .global()
        .running_generation
        .store(1, Ordering::Release);
    for (slot, generation, pid) in [(0, 0, 11), (1, 1, 12)] {
        board.slot_starting(slot, generation);
        board.slot_forked(slot, pid);
    }
    let w = board.worker_slot(1, 0);
    w.set_status(WorkerStatus::Ready);
    w.connection_started(ip("10.0.0.1"), b"h:80");
    w.request_started(b"GET /x HTTP/1.1", b"http/1.1");
    w.request_finished(512, Duration::from_micros(1500));
    w.record_cpu(30, 5);
    board.slot_graceful(0);

    let s = board.snapshot();
    assert_eq!((s.global.server_limit, s.global.thread_limit), (3, 1));
    assert_eq!((s.global.max_daemons, s.global.threads_per_child), (2, 1));
    assert_eq!(
        (
            s.global.idle_spawn_rate,
            s.global.spawn_hold_off,
            s.global.max_workers_reached
        ),
        (4, 7, true)
    );
    assert_eq!(
        (s.global.cpu.children_system, s.global.clock_tick),
        (4, 100)
    );
    assert_eq!(s.global.mpm_name(), "prefork");
    assert_eq!(s.processes.len(), 3);
    assert_eq!(s.workers.len(), 3);
    let w = &s.workers[1];
    assert_eq!(
        (w.status, w.pid, w.generation),
        (WorkerStatus::Ready, 12, 1)
    );
    assert_eq!(
        (w.access_count, w.bytes_served, w.duration_us),
        (1, 512, 1500)
    );
    assert_eq!((w.cpu_user_ticks, w.cpu_system_ticks), (30, 5));
    assert_eq!(w.request, b"GET /x HTTP/1.1");
    assert_eq!(s.workers[0].status, WorkerStatus::Graceful);
    assert_eq!(s.live_children(), 2);
    assert_eq!(
        s.children_per_generation().into_iter().collect::<Vec<_>>(),
        [(0, 1), (1, 1)]
    );
    assert_eq!(s.quiescing_children(), 1);
    assert_eq!(s.workers_of(1).len(), 1);

    let view = ScoreboardView::open(&path).unwrap();
    assert_eq!(view.snapshot(), s);

    // Reaping resets the child's counters and CPU, not the slot's totals.
    board.slot_dead(1);
    let w = &board.snapshot().workers[1];
    assert_eq!(
        (w.access_count, w.my_access_count, w.cpu_user_ticks),
        (1, 0, 0)
    );

    std::fs::write(dir.join("short"), b"MPMD").unwrap();
    assert!(ScoreboardView::open(&dir.join("short")).is_err());
    let mut foreign = std::fs::read(&path).unwrap();
    foreign[0] ^= 0xff;
    std::fs::write(dir.join("foreign"), &foreign).unwrap();
    let err = ScoreboardView::open(&dir.join("foreign")).err().unwrap();
    assert!(err.to_string().contains("not an mpmd scoreboard"), "{err}");
    let mut truncated = std::fs::read(&path).unwrap();
    truncated.pop();
    std::fs::write(dir.join("truncated"), &truncated).unwrap();
    assert!(ScoreboardView::open(&dir.join("truncated")).is_err());
    drop(board);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_extended_status_only_times_are_kept() {
    let board = Scoreboard::create(1, 1, None).unwrap();
    let w = board.worker_slot(0, 0).with_extended_status(false);
    w.connection_started(ip("10.0.0.1"), b"h:80");
    w.request_started(b"GET / HTTP/1.1", b"http/1.1");
    w.request_finished(100, Duration::from_millis(1));
    w.record_cpu(9, 9);
    let s = board.snapshot();
    let r = &s.workers[0];
    assert_eq!(
        (r.access_count, r.bytes_served, r.cpu_user_ticks),
        (0, 0, 0)
    );
    assert!(r.request.is_empty() && r.client.is_empty());
    assert!(r.start_time_us > 0 && r.stop_time_us >= r.start_time_us);
    assert_eq!(s.processes[0].connections, 1);
}

#[test]
fn graceful_marks_only_live_slots() {
    let board = Scoreboard::create(2, 1, None).unwrap();
    board.slot_starting(0, 0);
    board.slot_graceful(0);
    board.slot_graceful(1);
    assert_eq!(board.status(0, 0), WorkerStatus::Graceful);
    assert_eq!(board.status(1, 0), WorkerStatus::Dead);
}
