//! Dropping root privileges in a child (`user` / `group`), as Apache's unixd does.

use nix::unistd::{Gid, Group, Uid, User, setgid, setgroups, setuid};

/// The identity children switch to when the master runs as root.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: String,
    pub uid: Uid,
    pub gid: Gid,
}

impl Credentials {
    /// Resolves `user` and `group` (default: the user's primary group). `None` when not root
    /// or when no user is configured (Apache applies User/Group only when started as root).
    pub fn resolve(user: Option<&str>, group: Option<&str>) -> Result<Option<Credentials>, String> {
        if !Uid::effective().is_root() {
            return Ok(None);
        }
        let Some(name) = user else {
            return Ok(None);
        };
        let found = User::from_name(name)
            .map_err(|e| format!("could not look up user {name:?}: {e}"))?
            .ok_or_else(|| format!("user {name:?} does not exist (check the user key)"))?;
        let gid = match group {
            None => found.gid,
            Some(g) => {
                Group::from_name(g)
                    .map_err(|e| format!("could not look up group {g:?}: {e}"))?
                    .ok_or_else(|| format!("group {g:?} does not exist (check the group key)"))?
                    .gid
            }
        };
        Ok(Some(Credentials {
            user: name.to_string(),
            uid: found.uid,
            gid,
        }))
    }

    /// Group first, then supplementary groups, then the user: after setuid nothing else is
    /// permitted.
    pub fn drop_privileges(&self) -> Result<(), String> {
        setgid(self.gid).map_err(|e| format!("setgid({}) failed: {e}", self.gid))?;
        setgroups(&[self.gid]).map_err(|e| format!("setgroups failed: {e}"))?;
        setuid(self.uid).map_err(|e| format!("setuid({}) failed: {e}", self.uid))?;
        Ok(())
    }
}
