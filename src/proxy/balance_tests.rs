//! Member selection: Apache's sequences, lbsets, hot standby, drain, retry, recovery.

use super::*;

/// A member with this factor (loadfactor x 100) and route; usable, lbset 0.
fn member(lbfactor: u32, route: &'static str) -> MemberView<'static> {
    MemberView {
        lbfactor,
        route,
        ..MemberView::default()
    }
}

/// Routes of `n` successive picks.
fn picks(method: LbMethod, members: &mut [MemberView<'static>], n: usize) -> String {
    (0..n)
        .map(|_| match pick_best(method, members) {
            Some(i) => members[i].route,
            None => "-",
        })
        .collect()
}

#[test]
fn byrequests_sequences_match_apache() {
    // Worked by hand from mod_lbmethod_byrequests (lbstatus starts at 0, += factor for each
    // candidate, the strictly greatest wins, the winner -= total).
    for (factors, expected) in [
        (&[100, 100, 200][..], "cabccabc"),
        (&[100, 100, 100, 200][..], "dabcddabcd"),
        (&[100, 100, 100][..], "abcabcabc"),
        (&[100][..], "aaa"),
        (&[300, 100][..], "aabaaaba"),
        (&[150, 100][..], "ababaababa"),
    ] {
        let names = ["a", "b", "c", "d"];
        let mut members: Vec<MemberView> = factors
            .iter()
            .zip(names)
            .map(|(&f, n)| member(f, n))
            .collect();
        let got = picks(LbMethod::ByRequests, &mut members, expected.len());
        assert_eq!(got, expected, "factors {factors:?}");
        // The sum of lbstatus never changes (Apache's invariant).
        assert_eq!(members.iter().map(|m| m.lbstatus).sum::<i64>(), 0);
    }
}

#[test]
fn byrequests_elected_counts_and_state() {
    let mut members = vec![member(100, "a"), member(100, "b"), member(200, "c")];
    assert_eq!(pick_best(LbMethod::ByRequests, &mut members), Some(2));
    let state: Vec<(i64, u64)> = members.iter().map(|m| (m.lbstatus, m.elected)).collect();
    assert_eq!(state, [(100, 0), (100, 0), (-200, 1)]);
}

#[test]
fn unusable_members_drop_out() {
    // Apache's comment: a b c d at 25 each, b disabled -> a c d a c d.
    let mut members = vec![
        member(25, "a"),
        MemberView {
            disabled: true,
            ..member(25, "b")
        },
        member(25, "c"),
        member(25, "d"),
    ];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 6), "acdacd");
    for flag in [
        |m: &mut MemberView| m.stopped = true,
        |m: &mut MemberView| m.in_error = true,
        |m: &mut MemberView| m.drain = true,
    ] {
        let mut members = vec![member(100, "a"), member(100, "b")];
        flag(&mut members[0]);
        assert_eq!(picks(LbMethod::ByRequests, &mut members, 3), "bbb");
    }
}

#[test]
fn nothing_usable_is_none() {
    let mut members = vec![
        MemberView {
            in_error: true,
            ..member(100, "a")
        },
        MemberView {
            disabled: true,
            ..member(100, "b")
        },
    ];
    assert_eq!(pick_best(LbMethod::ByRequests, &mut members), None);
    assert_eq!(pick_best(LbMethod::ByRequests, &mut []), None);
    assert!(members.iter().all(|m| m.lbstatus == 0 && m.elected == 0));
}

#[test]
fn hot_standby_only_when_its_set_has_no_usable_member() {
    let standby = |route| MemberView {
        hot_standby: true,
        ..member(100, route)
    };
    let mut members = vec![member(100, "a"), member(100, "b"), standby("h")];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 4), "abab");
    members[0].in_error = true;
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "bb");
    members[1].disabled = true;
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "hh");
    // Two standbys share by factor, like normal members.
    let mut members = vec![
        MemberView {
            stopped: true,
            ..member(100, "a")
        },
        standby("x"),
        MemberView {
            lbfactor: 200,
            ..standby("y")
        },
    ];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 3), "yxy");
}

#[test]
fn lower_lbsets_first() {
    let in_set = |lbset, route| MemberView {
        lbset,
        ..member(100, route)
    };
    let mut members = vec![
        in_set(1, "x"),
        in_set(0, "a"),
        in_set(2, "z"),
        in_set(0, "b"),
    ];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 4), "abab");
    members[1].disabled = true;
    members[3].in_error = true;
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "xx");
    // A hot standby of set 0 comes before set 1.
    members.push(MemberView {
        hot_standby: true,
        ..in_set(0, "h")
    });
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "hh");
    members[0].drain = true;
    members[4].stopped = true;
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "zz");
    // Gaps in the set numbers are fine.
    let mut members = vec![in_set(5, "f")];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 1), "f");
}

#[test]
fn retry_due_members_come_back() {
    let mut members = vec![
        MemberView {
            in_error: true,
            retry_due: true,
            ..member(100, "a")
        },
        member(100, "b"),
    ];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "ab");
    assert!(!members[0].in_error);
    assert_eq!(members[0].retries, 1);
    // Stopped members are never retried; disabled ones leave the error state but stay out.
    let mut members = vec![
        MemberView {
            in_error: true,
            retry_due: true,
            stopped: true,
            ..member(100, "a")
        },
        MemberView {
            in_error: true,
            retry_due: true,
            disabled: true,
            ..member(100, "b")
        },
        member(100, "c"),
    ];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 2), "cc");
    assert_eq!((members[0].in_error, members[0].retries), (true, 0));
    assert_eq!((members[1].in_error, members[1].retries), (false, 1));
    // Not due: stays in error.
    let mut members = vec![MemberView {
        in_error: true,
        ..member(100, "a")
    }];
    assert_eq!(pick_best(LbMethod::ByRequests, &mut members), None);
}

#[test]
fn bybusyness_least_busy_then_lbstatus() {
    let busy = |busy, route| MemberView {
        busy,
        ..member(100, route)
    };
    let mut members = vec![busy(3, "a"), busy(1, "b"), busy(2, "c")];
    assert_eq!(picks(LbMethod::ByBusyness, &mut members, 3), "bbb");
    // Equal busyness: byrequests' lbstatus decides, so they take turns.
    let mut members = vec![busy(0, "a"), busy(0, "b"), busy(0, "c")];
    assert_eq!(picks(LbMethod::ByBusyness, &mut members, 6), "abcabc");
    let mut members = vec![busy(0, "a"), busy(0, "b"), busy(0, "c")];
    members[2].lbfactor = 200;
    assert_eq!(picks(LbMethod::ByBusyness, &mut members, 8), "cabccabc");
}

#[test]
fn bytraffic_least_bytes_per_factor() {
    let traffic = |transferred, read, lbfactor, route| MemberView {
        transferred,
        read,
        ..member(lbfactor, route)
    };
    for (members, expected) in [
        (
            vec![traffic(1000, 0, 100, "a"), traffic(10, 10, 100, "b")],
            Some(1),
        ),
        // 3000/300 = 10 < 1500/100 = 15.
        (
            vec![traffic(1500, 0, 100, "a"), traffic(0, 3000, 300, "b")],
            Some(1),
        ),
        // Ties: the first wins.
        (
            vec![traffic(5, 5, 100, "a"), traffic(10, 0, 100, "b")],
            Some(0),
        ),
        // Integer division per direction, as Apache: 199/100 + 199/100 = 2 < 3.
        (
            vec![traffic(300, 0, 100, "a"), traffic(199, 199, 100, "b")],
            Some(1),
        ),
    ] {
        let mut members = members;
        assert_eq!(pick_best(LbMethod::ByTraffic, &mut members), expected);
        // bytraffic leaves lbstatus alone.
        assert!(members.iter().all(|m| m.lbstatus == 0));
    }
}

#[test]
fn a_lone_member_ends_where_it_started() {
    let mut members = vec![member(700, "a")];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 3), "aaa");
    sticky_hit(&mut members, 0);
    assert_eq!((members[0].lbstatus, members[0].elected), (0, 4));
}

#[test]
fn sticky_then_balanced_as_apache() {
    // Seen on Apache 2.4.71: 8 balanced, 4 with JSESSIONID=abc.n1, 4 balanced.
    let mut members = vec![member(100, "a"), member(100, "b"), member(200, "c")];
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 8), "cabccabc");
    for _ in 0..4 {
        let route = super::super::sticky::route_member(&mut members, b"a").unwrap();
        sticky_hit(&mut members, route);
    }
    assert_eq!(picks(LbMethod::ByRequests, &mut members, 4), "ccbc");
    let state: Vec<(i64, u64)> = members.iter().map(|m| (m.lbstatus, m.elected)).collect();
    assert_eq!(state, [(-800, 6), (400, 3), (400, 7)]);
}

#[test]
fn sticky_hits_count_in_byrequests() {
    let mut members = vec![member(100, "a"), member(100, "b"), member(200, "c")];
    sticky_hit(&mut members, 0);
    let state: Vec<(i64, u64)> = members.iter().map(|m| (m.lbstatus, m.elected)).collect();
    assert_eq!(state, [(-300, 1), (100, 0), (200, 0)]);
    // Unusable members are left out of the sum.
    members[1].disabled = true;
    sticky_hit(&mut members, 2);
    let lbstatus: Vec<i64> = members.iter().map(|m| m.lbstatus).collect();
    assert_eq!(lbstatus, [-200, 100, 100]);
}

#[test]
fn forced_recovery() {
    let errored = |retry_due| MemberView {
        in_error: true,
        retry_due,
        ..MemberView::default()
    };
    // All in error: everyone comes back, each counting a retry.
    let mut members = vec![errored(false), errored(false)];
    force_recovery(&mut members, true);
    assert!(members.iter().all(|m| !m.in_error && m.retries == 1));
    // forcerecovery off: they stay.
    let mut members = vec![errored(false), errored(false)];
    force_recovery(&mut members, false);
    assert!(members.iter().all(|m| m.in_error && m.retries == 0));
    // One healthy member: nothing forced; members before it got their retry check only.
    let mut members = vec![errored(true), MemberView::default(), errored(true)];
    force_recovery(&mut members, true);
    let state: Vec<(bool, u64)> = members.iter().map(|m| (m.in_error, m.retries)).collect();
    assert_eq!(state, [(false, 1), (false, 0), (true, 0)]);
}

#[test]
fn select_follows_pre_request() {
    let mut members = vec![member(100, "n1"), member(100, "n2")];
    let sticky = |index| Selection::Member {
        index,
        sticky: true,
        route_changed: false,
    };
    let balanced = |index| Selection::Member {
        index,
        sticky: false,
        route_changed: true,
    };
    let m = &mut members;
    assert_eq!(
        select(LbMethod::ByRequests, m, Some(b"n2"), false, true, true),
        sticky(1)
    );
    assert_eq!(
        select(LbMethod::ByRequests, m, Some(b"n2"), false, true, true),
        sticky(1)
    );
    assert_eq!(
        select(LbMethod::ByRequests, m, None, false, true, true),
        balanced(0)
    );
    // Unknown route: balanced.
    assert_eq!(
        select(LbMethod::ByRequests, m, Some(b"zz"), true, true, true),
        balanced(0)
    );
    // Route member down: failover, or 503 with nofailover.
    m[1].in_error = true;
    assert_eq!(
        select(LbMethod::ByRequests, m, Some(b"n2"), false, true, true),
        balanced(0)
    );
    assert_eq!(
        select(LbMethod::ByRequests, m, Some(b"n2"), true, true, true),
        Selection::RouteUnavailable
    );
    // Everyone down and no forced recovery: no member.
    m[0].in_error = true;
    assert_eq!(
        select(LbMethod::ByRequests, m, None, false, false, false),
        Selection::NoMember
    );
    // With forced recovery they all come back.
    assert_eq!(
        select(LbMethod::ByRequests, m, None, false, true, false),
        Selection::Member {
            index: 0,
            sticky: false,
            route_changed: false
        }
    );
}

#[test]
fn max_attempts_default() {
    for (configured, members, expected) in [
        (None, 1, 0),
        (None, 2, 1),
        (None, 5, 4),
        (Some(0), 5, 0),
        (Some(9), 2, 9),
        (None, 0, 0),
    ] {
        assert_eq!(max_attempts(configured, members), expected);
    }
}

#[test]
fn failover_loop_as_proxy_handler() {
    use AttemptOutcome::*;
    // (outcome, ignore errors, attempts so far, max) -> (try another, in error, attempts after)
    for (outcome, ignore, before, max, expected) in [
        (Relayed, false, 0, 2, (false, false, 0)),
        (Other, false, 0, 2, (false, false, 0)),
        (Unavailable, false, 0, 2, (true, true, 1)),
        (Unavailable, false, 1, 2, (true, true, 2)),
        (Unavailable, false, 2, 2, (false, true, 2)),
        (Unavailable, false, 0, 0, (false, true, 0)),
        (ServerError, false, 0, 2, (false, true, 0)),
        // A member that ignores errors stays usable: no failover.
        (Unavailable, true, 0, 2, (false, false, 0)),
        (ServerError, true, 0, 2, (false, false, 0)),
    ] {
        let mut m = member(100, "a");
        let mut attempts = before;
        let again = after_attempt(outcome, &mut m, ignore, &mut attempts, max);
        assert_eq!(
            (again, m.in_error, attempts),
            expected,
            "{outcome:?} ignore={ignore} {before}/{max}"
        );
    }
    // Three members, all failing: one try plus max_attempts (2) failovers.
    let mut members = vec![member(100, "a"), member(100, "b"), member(100, "c")];
    let (mut attempts, mut tried) = (0, String::new());
    let max = max_attempts(None, 3);
    while let Selection::Member { index, .. } = select(
        LbMethod::ByRequests,
        &mut members,
        None,
        false,
        false,
        false,
    ) {
        tried.push_str(members[index].route);
        if !after_attempt(Unavailable, &mut members[index], false, &mut attempts, max) {
            break;
        }
    }
    assert_eq!(tried, "abc");
}

#[test]
fn failonstatus_and_failontimeout() {
    for (statuses, on_timeout, ignore, status, timed_out, expected) in [
        (&[500, 503][..], false, false, 503, false, true),
        (&[500, 503][..], false, false, 502, false, false),
        (&[500, 503][..], false, true, 503, false, false),
        (&[][..], true, false, 502, true, true),
        (&[][..], false, false, 502, true, false),
        (&[][..], true, true, 502, true, false),
    ] {
        assert_eq!(
            fails_after_request(statuses, on_timeout, ignore, status, timed_out),
            expected,
            "{statuses:?} {on_timeout} {ignore} {status} {timed_out}"
        );
    }
}
