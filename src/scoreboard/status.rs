//! Worker slot states, with Apache's numeric codes and mod_status letters.

/// The state of one worker slot, as Apache's `SERVER_*` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WorkerStatus {
    /// Open slot with no current process.
    Dead = 0,
    /// Forked, not yet accepting.
    Starting = 1,
    /// Waiting for a connection.
    Ready = 2,
    /// Reading a request.
    BusyRead = 3,
    /// Sending a reply.
    BusyWrite = 4,
    /// Waiting for the next request on a kept-alive connection.
    BusyKeepalive = 5,
    /// Writing the access log.
    BusyLog = 6,
    /// Resolving a host name.
    BusyDns = 7,
    /// Closing the connection.
    Closing = 8,
    /// Finishing its last request before exiting (graceful restart or stop).
    Graceful = 9,
    /// Idle cleanup of a worker (never set by Unix MPMs; kept for the letter table).
    IdleKill = 10,
}

impl WorkerStatus {
    /// Decodes a stored byte; unknown values read as `Dead`.
    pub fn from_u8(value: u8) -> WorkerStatus {
        use WorkerStatus::*;
        match value {
            1 => Starting,
            2 => Ready,
            3 => BusyRead,
            4 => BusyWrite,
            5 => BusyKeepalive,
            6 => BusyLog,
            7 => BusyDns,
            8 => Closing,
            9 => Graceful,
            10 => IdleKill,
            _ => Dead,
        }
    }

    /// The mod_status scoreboard letter.
    pub fn letter(self) -> char {
        use WorkerStatus::*;
        match self {
            Dead => '.',
            Starting => 'S',
            Ready => '_',
            BusyRead => 'R',
            BusyWrite => 'W',
            BusyKeepalive => 'K',
            BusyLog => 'L',
            BusyDns => 'D',
            Closing => 'C',
            Graceful => 'G',
            IdleKill => 'I',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_letters_match_mod_status() {
        let table = [
            (0, '.'),
            (1, 'S'),
            (2, '_'),
            (3, 'R'),
            (4, 'W'),
            (5, 'K'),
            (6, 'L'),
            (7, 'D'),
            (8, 'C'),
            (9, 'G'),
            (10, 'I'),
        ];
        for (code, letter) in table {
            let status = WorkerStatus::from_u8(code);
            assert_eq!(status as u8, code);
            assert_eq!(status.letter(), letter);
        }
        assert_eq!(WorkerStatus::from_u8(200), WorkerStatus::Dead);
    }
}
