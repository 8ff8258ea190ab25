//! Users and permissions (ACL).

pub(crate) mod category;
pub(crate) mod commands;
pub(crate) mod log;
pub(crate) mod user;

use std::collections::BTreeMap;

use crate::command::CommandSpec;
use user::{Denied, RuleError, User};

/// What a command does to a key, or what a key pattern allows (`%R~`, `%W~`, `~`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct KeyAccess(u8);

impl KeyAccess {
    pub(crate) const NONE: KeyAccess = KeyAccess(0);
    pub(crate) const READ: KeyAccess = KeyAccess(1);
    pub(crate) const WRITE: KeyAccess = KeyAccess(2);
    pub(crate) const READ_WRITE: KeyAccess = KeyAccess(3);

    pub(crate) const fn covers(self, needed: KeyAccess) -> bool {
        self.0 & needed.0 == needed.0
    }

    pub(crate) const fn or(self, other: KeyAccess) -> KeyAccess {
        KeyAccess(self.0 | other.0)
    }
}

/// The default user's name.
pub(crate) const DEFAULT_USER: &[u8] = b"default";

/// Every user, by name (in byte order, as ACL LIST shows them), and the ACL LOG.
#[derive(Debug)]
pub(crate) struct Acl {
    users: BTreeMap<Vec<u8>, User>,
    /// Users that may run anything: their commands skip the checks.
    unrestricted: BTreeMap<Vec<u8>, bool>,
    pub(crate) log: log::AclLog,
}

impl Acl {
    /// The default user alone: on, no password, every command, key and channel.
    pub(crate) fn new() -> Acl {
        let mut acl = Acl {
            users: BTreeMap::new(),
            unrestricted: BTreeMap::new(),
            log: log::AclLog::default(),
        };
        acl.users.insert(DEFAULT_USER.to_vec(), default_user());
        acl.refresh(DEFAULT_USER);
        acl
    }

    fn refresh(&mut self, name: &[u8]) {
        let unrestricted = self.users.get(name).is_some_and(User::unrestricted);
        self.unrestricted.insert(name.to_vec(), unrestricted);
    }

    pub(crate) fn get(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    pub(crate) fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// `requirepass`: the default user's only password, or `nopass` without one.
    pub(crate) fn set_default_password(&mut self, password: Option<&[u8]>) {
        let user = self.users.get_mut(DEFAULT_USER).expect("the default user");
        user.apply(b"resetpass", true).expect("a valid rule");
        let rule = match password {
            Some(password) => [b">", password].concat(),
            None => b"nopass".to_vec(),
        };
        user.apply(&rule, true).expect("a valid rule");
    }

    /// Whether a new connection starts logged in as the default user (it is on and has
    /// `nopass`).
    pub(crate) fn default_needs_no_password(&self) -> bool {
        self.users
            .get(DEFAULT_USER)
            .is_some_and(|user| user.enabled && user.nopass)
    }

    /// Whether `password` logs in as `name`.
    pub(crate) fn authenticate(&self, name: &[u8], password: &[u8]) -> bool {
        self.users
            .get(name)
            .is_some_and(|user| user.accepts(password))
    }

    /// ACL SETUSER: applies every rule to a copy of the user (a new one if there is none) and
    /// keeps it only if all of them apply. The error is Redis's text, without its code.
    pub(crate) fn set_user(
        &mut self,
        name: &[u8],
        rules: &[&[u8]],
        all_channels_by_default: bool,
    ) -> Result<(), String> {
        let mut user = self
            .users
            .get(name)
            .cloned()
            .unwrap_or_else(|| User::new(name, all_channels_by_default));
        for rule in merge_selectors(rules)? {
            user.apply(&rule, all_channels_by_default)
                .map_err(|error| {
                    format!(
                        "Error in ACL SETUSER modifier '{}': {}",
                        String::from_utf8_lossy(&rule),
                        error.text()
                    )
                })?;
        }
        self.users.insert(name.to_vec(), user);
        self.refresh(name);
        Ok(())
    }

    /// Deletes a user (never the default one); whether it existed.
    pub(crate) fn delete(&mut self, name: &[u8]) -> bool {
        if name == DEFAULT_USER {
            return false;
        }
        self.unrestricted.remove(name);
        self.users.remove(name).is_some()
    }

    /// Checks that `user` may run `request` (a whole command of `spec`, its arity checked).
    pub(crate) fn check(
        &self,
        user: &[u8],
        spec: &CommandSpec,
        request: &[&[u8]],
    ) -> Result<(), Denied> {
        if self.unrestricted.get(user).copied().unwrap_or(false) {
            return Ok(());
        }
        match self.users.get(user) {
            Some(user) => user.check(spec, request),
            None => Err(Denied::Command),
        }
    }

    /// Replaces every user with those of an ACL file's text (`file` names it in errors), or
    /// changes nothing and says what is wrong on which lines. Without a default user in the
    /// file, the default user is as it starts.
    pub(crate) fn load_file(
        &mut self,
        text: &[u8],
        file: &str,
        all_channels_by_default: bool,
    ) -> Result<(), String> {
        let mut users = BTreeMap::new();
        let mut errors = String::new();
        for (index, line) in text.split(|&byte| byte == b'\n').enumerate() {
            let number = index + 1;
            let Some(words) = split_line(line) else {
                continue;
            };
            if words.len() < 2 || words[0] != b"user" {
                errors.push_str(&format!(
                    "{file}:{number} should start with user keyword followed by the username. "
                ));
                continue;
            }
            let name = &words[1];
            if name
                .iter()
                .any(|&byte| byte.is_ascii_whitespace() || byte == 0)
            {
                errors.push_str(&format!(
                    "'{file}:{number}: username '{}' contains invalid characters. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            if users.contains_key(name.as_slice()) {
                errors.push_str(&format!(
                    "WARNING: Duplicate user '{}' found on line {number}. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            let rules: Vec<&[u8]> = words[2..].iter().map(Vec::as_slice).collect();
            let Ok(rules) = merge_selectors(&rules) else {
                errors.push_str(&format!(
                    "{file}:{number}: Unmatched parenthesis in selector definition."
                ));
                continue;
            };
            let mut user = User::new(name, all_channels_by_default);
            let mut reported = false;
            for rule in rules {
                match user.apply(&rule, all_channels_by_default) {
                    Ok(()) => {}
                    Err(RuleError::UnknownCommand) => errors.push_str(&format!(
                        "{file}:{number}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(&rule),
                        RuleError::UnknownCommand.text()
                    )),
                    Err(error) if !reported => {
                        errors.push_str(&format!("{file}:{number}: {}. ", error.text()));
                        reported = true;
                    }
                    Err(_) => {}
                }
            }
            users.insert(name.clone(), user);
        }
        if !errors.is_empty() {
            errors.push_str(
                "WARNING: ACL errors detected, no change to the previously active ACL rules \
                 was performed",
            );
            return Err(errors);
        }
        users
            .entry(DEFAULT_USER.to_vec())
            .or_insert_with(default_user);
        self.users = users;
        self.unrestricted.clear();
        let names: Vec<Vec<u8>> = self.users.keys().cloned().collect();
        for name in names {
            self.refresh(&name);
        }
        Ok(())
    }

    /// Every user as an ACL file line (ACL SAVE, ACL LIST), bytes as given.
    pub(crate) fn lines(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.users
            .values()
            .map(|user| [&b"user "[..], &user.name, b" ", &user.describe()].concat())
    }

    /// The users a configuration asks for: the default user with `requirepass`, then the
    /// `user` lines (checked when they were set).
    pub(crate) fn with_config(config: &crate::config::Config) -> Acl {
        let mut acl = Acl::new();
        acl.set_default_password(config.requirepass.as_deref());
        for line in &config.users {
            acl.apply_user_line(line, config.acl_pubsub_default_all)
                .expect("user lines are checked as they are set");
        }
        acl
    }

    /// A `user <name> rules...` config line (without `user`): the user is created, or the
    /// default user reset, then the rules applied.
    fn apply_user_line(&mut self, line: &str, all_channels_by_default: bool) -> Result<(), String> {
        let (name, rules) = parse_user_line(line)?;
        if name == DEFAULT_USER {
            self.set_user(DEFAULT_USER, &[b"reset"], all_channels_by_default)?;
        }
        let rules: Vec<&[u8]> = rules.iter().map(Vec::as_slice).collect();
        self.set_user(&name, &rules, all_channels_by_default)
    }

    /// Whether `user` may run `request` and read any key with it (SORT ... BY).
    pub(crate) fn reads_every_key(
        &self,
        user: &[u8],
        spec: &CommandSpec,
        request: &[&[u8]],
    ) -> bool {
        self.is_unrestricted(user)
            || self
                .users
                .get(user)
                .is_some_and(|found| found.reads_every_key(spec, request))
    }

    /// Whether `user` may run anything, so that its commands skip the checks.
    pub(crate) fn is_unrestricted(&self, user: &[u8]) -> bool {
        self.unrestricted.get(user).copied().unwrap_or(false)
    }
}

/// The default user as it starts.
fn default_user() -> User {
    let mut user = User::new(DEFAULT_USER, true);
    for rule in [&b"+@all"[..], b"~*", b"&*", b"on", b"nopass"] {
        user.apply(rule, true).expect("a valid rule");
    }
    user
}

/// A line of an ACL file as words (split at spaces, trimmed), or `None` for a blank one.
fn split_line(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let is_blank = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|byte| !is_blank(byte))?;
    let end = line.iter().rposition(|byte| !is_blank(byte))? + 1;
    // Split at every space, as Redis does: two spaces make an empty word (an empty user name,
    // or a rule that does nothing).
    let words = line[start..end]
        .split(|&byte| byte == b' ')
        .map(|word| {
            let start = word.iter().position(|byte| !is_blank(byte)).unwrap_or(0);
            let end = word
                .iter()
                .rposition(|byte| !is_blank(byte))
                .map_or(0, |end| end + 1);
            word[start..end.max(start)].to_vec()
        })
        .collect();
    Some(words)
}

/// Joins the words of a selector given over several arguments (`(~a`, `+get)`) into one
/// rule, as Redis does; an opening parenthesis never closed is an error.
pub(crate) fn merge_selectors(rules: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    let mut merged = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (index, rule) in rules.iter().enumerate() {
        if let Some((_, selector)) = open.as_mut() {
            selector.push(b' ');
            selector.extend_from_slice(rule);
            if rule.ends_with(b")") {
                merged.push(open.take().expect("open").1);
            }
            continue;
        }
        if rule.starts_with(b"(") && !rule.ends_with(b")") {
            open = Some((index, rule.to_vec()));
            continue;
        }
        merged.push(rule.to_vec());
    }
    match open {
        Some((index, _)) => Err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(rules[index])
        )),
        None => Ok(merged),
    }
}

/// Checks a `user` config line (its name and rules, without `user`) as Redis does when it
/// reads one: the name without spaces, the selectors balanced, each rule valid.
pub(crate) fn parse_user_line(line: &str) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
    let words = crate::util::split_args::split_args(line.as_bytes())
        .ok_or("Unbalanced quotes in configuration line")?;
    let Some((name, rules)) = words.split_first() else {
        return Err("wrong number of arguments".to_string());
    };
    let rules: Vec<&[u8]> = rules.iter().map(Vec::as_slice).collect();
    let rules = merge_selectors(&rules)?;
    let mut user = User::new(name, false);
    for rule in &rules {
        user.apply(rule, false).map_err(|error| {
            format!(
                "Error in user declaration '{}': {}",
                String::from_utf8_lossy(rule),
                error.text()
            )
        })?;
    }
    Ok((name.clone(), rules))
}
