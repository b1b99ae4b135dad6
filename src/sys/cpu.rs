//! CPU time of this process and of its reaped children, in clock ticks (what Apache keeps from
//! `times(2)`), through the safe `getrusage` and `sysconf` wrappers.

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeValLike;
use nix::unistd::{SysconfVar, sysconf};

use crate::scoreboard::CpuTicks;

/// `sysconf(_SC_CLK_TCK)`, 100 if unknown.
pub fn clock_tick() -> u32 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(t)) if t > 0 => t as u32,
        _ => 100,
    }
}

/// Microseconds -> whole clock ticks (rounded down, as `times` reports them).
pub fn ticks(micros: i64, clock_tick: u32) -> u64 {
    (micros.max(0) as u128 * u128::from(clock_tick) / 1_000_000) as u64
}

fn usage_ticks(who: UsageWho, tick: u32) -> (u64, u64) {
    match getrusage(who) {
        Ok(u) => (
            ticks(u.user_time().num_microseconds(), tick),
            ticks(u.system_time().num_microseconds(), tick),
        ),
        Err(_) => (0, 0),
    }
}

/// This process's own CPU time (user, system), one system call: what a child records after
/// each request (a child has no children, so their time is always zero).
pub fn self_cpu(clock_tick: u32) -> (u64, u64) {
    usage_ticks(UsageWho::RUSAGE_SELF, clock_tick)
}

/// This process's CPU time and that of its waited-for children.
pub fn process_cpu(clock_tick: u32) -> CpuTicks {
    let (user, system) = self_cpu(clock_tick);
    let (children_user, children_system) = usage_ticks(UsageWho::RUSAGE_CHILDREN, clock_tick);
    CpuTicks {
        user,
        system,
        children_user,
        children_system,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_to_ticks() {
        for (micros, tick, want) in [
            (0, 100, 0),
            (9_999, 100, 0),
            (10_000, 100, 1),
            (1_230_000, 100, 123),
            (-5, 100, 0),
            (1_000_000, 250, 250),
        ] {
            assert_eq!(ticks(micros, tick), want, "{micros} us at {tick} Hz");
        }
        assert!(clock_tick() > 0);
    }
}
