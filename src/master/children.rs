//! The master's own record of its children: which pid sits in which slot, of which generation.
//! The scoreboard says what children are doing; this says who they are.
//!
//! A slot has at most one owner. With the worker MPM a new child may take over the slot of a
//! child that is still finishing its last requests (squatting); the old child is then kept as
//! an "extra" (Apache's `ap_register_extra_mpm_process`) until it is reaped.

use nix::unistd::Pid;

/// One live child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child {
    pub pid: Pid,
    pub generation: u64,
}

/// Children by slot.
#[derive(Debug)]
pub struct Children {
    slots: Vec<Option<Child>>,
    /// Children that lost their slot to a squatter, with the slot they still partly use.
    extras: Vec<(usize, Child)>,
}

impl Children {
    pub fn new(server_limit: usize) -> Children {
        Children {
            slots: vec![None; server_limit],
            extras: Vec::new(),
        }
    }

    pub fn get(&self, slot: usize) -> Option<Child> {
        self.slots.get(slot).copied().flatten()
    }

    /// Records `child` as the owner of `slot`; a previous owner becomes an extra.
    pub fn insert(&mut self, slot: usize, child: Child) {
        if let Some(previous) = self.slots[slot].replace(child) {
            self.extras.push((slot, previous));
        }
    }

    /// Forgets the child with `pid`, returning its slot and record.
    pub fn remove_pid(&mut self, pid: Pid) -> Option<(usize, Child)> {
        self.remove(pid).map(|(slot, child, _)| (slot, child))
    }

    /// Forgets the child with `pid`: its slot, its record, and whether it owned the slot (false
    /// for an extra that lost it to a squatter).
    pub fn remove(&mut self, pid: Pid) -> Option<(usize, Child, bool)> {
        if let Some(slot) = self
            .slots
            .iter()
            .position(|c| c.is_some_and(|c| c.pid == pid))
        {
            return self.slots[slot].take().map(|c| (slot, c, true));
        }
        let i = self.extras.iter().position(|(_, c)| c.pid == pid)?;
        let (slot, child) = self.extras.swap_remove(i);
        Some((slot, child, false))
    }

    /// Every live child with its slot, owners first, then extras.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Child)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| c.map(|c| (slot, c)))
            .chain(self.extras.iter().copied())
    }

    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count() + self.extras.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn count_generation(&self, generation: u64) -> usize {
        self.iter()
            .filter(|(_, c)| c.generation == generation)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove() {
        let mut children = Children::new(4);
        children.insert(
            2,
            Child {
                pid: Pid::from_raw(10),
                generation: 1,
            },
        );
        assert_eq!(children.len(), 1);
        assert_eq!(children.count_generation(1), 1);
        assert_eq!(children.remove_pid(Pid::from_raw(11)), None);
        let (slot, child) = children.remove_pid(Pid::from_raw(10)).unwrap();
        assert_eq!((slot, child.generation), (2, 1));
        assert!(children.is_empty());
    }

    #[test]
    fn a_squatter_turns_the_owner_into_an_extra() {
        let mut children = Children::new(2);
        let child = |pid, generation| Child {
            pid: Pid::from_raw(pid),
            generation,
        };
        children.insert(1, child(10, 0));
        children.insert(1, child(20, 1));
        assert_eq!(children.len(), 2);
        assert_eq!(children.get(1).map(|c| c.pid.as_raw()), Some(20));
        let pids: Vec<i32> = children.iter().map(|(_, c)| c.pid.as_raw()).collect();
        assert_eq!(pids, [20, 10]);
        assert_eq!(
            children.remove(Pid::from_raw(10)),
            Some((1, child(10, 0), false))
        );
        assert_eq!(
            children.remove(Pid::from_raw(20)),
            Some((1, child(20, 1), true))
        );
        assert!(children.is_empty());
    }
}
