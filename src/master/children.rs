//! The master's own record of its children: which pid sits in which slot, of which generation.
//! The scoreboard says what children are doing; this says who they are.

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
}

impl Children {
    pub fn new(server_limit: usize) -> Children {
        Children {
            slots: vec![None; server_limit],
        }
    }

    pub fn get(&self, slot: usize) -> Option<Child> {
        self.slots.get(slot).copied().flatten()
    }

    pub fn insert(&mut self, slot: usize, child: Child) {
        self.slots[slot] = Some(child);
    }

    /// Forgets the child with `pid`, returning its slot and record.
    pub fn remove_pid(&mut self, pid: Pid) -> Option<(usize, Child)> {
        let slot = self
            .slots
            .iter()
            .position(|c| c.is_some_and(|c| c.pid == pid))?;
        self.slots[slot].take().map(|c| (slot, c))
    }

    /// Every live child with its slot.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Child)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| c.map(|c| (slot, c)))
    }

    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
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
}
