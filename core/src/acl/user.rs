//! One ACL user: its flags, its passwords (kept as SHA-256 digests), and its selectors, each
//! a set of commands, key patterns and channel patterns. The root selector is the user's own
//! rules; `(...)` adds more, and a command may run if any selector allows it.

use super::commands::{self, CommandBits, CommandId};
use super::KeyAccess;
use crate::command::{Channels, CommandSpec, Flags};
use crate::util::glob::glob_match;

/// Why a rule was refused; `text` words it as Redis does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleError {
    UnknownCommand,
    Syntax,
    KeyAfterAllKeys,
    ChannelAfterAllChannels,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    pub(crate) fn text(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAllKeys => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of \
                 patterns"
            }
            RuleError::ChannelAfterAllChannels => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// Why a command was denied, in Redis's order of precedence (a later one is more telling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Denied {
    Command,
    /// The key at this argument position.
    Key(usize),
    /// The channel at this argument position.
    Channel(usize),
}

impl Denied {
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (0, 0),
            Denied::Key(at) => (1, at),
            Denied::Channel(at) => (2, at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyPattern {
    pattern: Vec<u8>,
    access: KeyAccess,
}

/// A set of commands, keys and channels a user may use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Selector {
    commands: CommandBits,
    /// Set by `+@all` and cleared only by `-@all`: the rules are described starting from
    /// `+@all` (Redis's reserved bit for commands added later).
    all_future: bool,
    /// `+select|0`: first arguments allowed for a command that is otherwise not, by command.
    first_args: Vec<(CommandId, Vec<Vec<u8>>)>,
    all_keys: bool,
    keys: Vec<KeyPattern>,
    all_channels: bool,
    channels: Vec<Vec<u8>>,
}

impl Selector {
    /// Applies one rule (`+get`, `~key*`, `&chan`, `allkeys`, ...).
    pub(crate) fn apply(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        let lower = rule.to_ascii_lowercase();
        match lower.as_slice() {
            b"allkeys" | b"~*" => {
                self.all_keys = true;
                self.keys.clear();
            }
            b"resetkeys" => {
                self.all_keys = false;
                self.keys.clear();
            }
            b"allchannels" | b"&*" => {
                self.all_channels = true;
                self.channels.clear();
            }
            b"resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            b"allcommands" | b"+@all" => {
                self.commands = CommandBits::all();
                self.all_future = true;
                self.first_args.clear();
            }
            b"nocommands" | b"-@all" => {
                self.commands = CommandBits::default();
                self.all_future = false;
                self.first_args.clear();
            }
            _ => return self.apply_pattern_or_command(rule),
        }
        Ok(())
    }

    fn apply_pattern_or_command(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        match rule.first() {
            Some(b'~' | b'%') => self.add_key_pattern(rule),
            Some(b'&') => {
                if self.all_channels {
                    return Err(RuleError::ChannelAfterAllChannels);
                }
                let pattern = &rule[1..];
                if has_spaces(pattern) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.iter().any(|known| known == pattern) {
                    self.channels.push(pattern.to_vec());
                }
                Ok(())
            }
            Some(&sign @ (b'+' | b'-')) => {
                let allow = sign == b'+';
                match rule[1..].strip_prefix(b"@") {
                    Some(category) => {
                        let category = super::category::Categories::by_name(category)
                            .ok_or(RuleError::UnknownCommand)?;
                        for id in commands::in_category(category) {
                            self.change(id, allow);
                        }
                        Ok(())
                    }
                    None if allow => self.allow_command(&rule[1..]),
                    None => {
                        let id = commands::lookup(&rule[1..]).ok_or(RuleError::UnknownCommand)?;
                        self.change(id, false);
                        Ok(())
                    }
                }
            }
            _ => Err(RuleError::Syntax),
        }
    }

    fn add_key_pattern(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAllKeys);
        }
        let (access, pattern) = if rule[0] == b'%' {
            let mut access = KeyAccess::NONE;
            let mut offset = 1;
            loop {
                match rule.get(offset).map(u8::to_ascii_uppercase) {
                    Some(b'R') if !access.covers(KeyAccess::READ) => {
                        access = access.or(KeyAccess::READ)
                    }
                    Some(b'W') if !access.covers(KeyAccess::WRITE) => {
                        access = access.or(KeyAccess::WRITE)
                    }
                    // `%~` grants nothing: refused (Redis 7.0 takes it, then cannot describe it).
                    Some(b'~') if access != KeyAccess::NONE => break,
                    _ => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
            (access, &rule[offset + 1..])
        } else {
            (KeyAccess::READ_WRITE, &rule[1..])
        };
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|known| known.pattern == pattern) {
            Some(known) => known.access = known.access.or(access),
            None => self.keys.push(KeyPattern {
                pattern: pattern.to_vec(),
                access,
            }),
        }
        Ok(())
    }

    /// `+name`, `+container|sub` or `+command|first-arg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&byte| byte == b'|') else {
            let id = commands::lookup(name).ok_or(RuleError::UnknownCommand)?;
            self.change(id, true);
            return Ok(());
        };
        let (command, first_arg) = (&name[..bar], &name[bar + 1..]);
        let id = commands::lookup(command).ok_or(RuleError::UnknownCommand)?;
        if commands::is_subcommand(id) {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        // Refused with spaces too (Redis takes them, and then writes a file it cannot load).
        if first_arg.is_empty() || has_spaces(first_arg) {
            return Err(RuleError::Syntax);
        }
        if commands::has_subcommands(id) {
            let id = commands::lookup(name).ok_or(RuleError::UnknownCommand)?;
            self.change(id, true);
            return Ok(());
        }
        let index = match self.first_args.iter().position(|(known, _)| *known == id) {
            Some(index) => index,
            None => {
                self.first_args.push((id, Vec::new()));
                self.first_args.len() - 1
            }
        };
        let allowed = &mut self.first_args[index].1;
        if !allowed
            .iter()
            .any(|known| known.eq_ignore_ascii_case(first_arg))
        {
            allowed.push(first_arg.to_vec());
        }
        Ok(())
    }

    /// Allows or denies a command, with its subcommands when it has any; its allowed first
    /// arguments go either way.
    fn change(&mut self, id: CommandId, allow: bool) {
        self.commands.set(id, allow);
        self.first_args.retain(|(known, _)| *known != id);
        for sub in commands::subcommands_of(id) {
            self.commands.set(sub, allow);
        }
    }

    /// Whether this selector lets `request` (a whole command, of a valid arity) run: the
    /// command first, then its keys, then its channels.
    pub(crate) fn check(&self, spec: &CommandSpec, request: &[&[u8]]) -> Result<(), Denied> {
        if !spec.flags.contains(Flags::NO_AUTH) {
            let id = commands::of_request(spec, request);
            if !self.commands.get(id) && !self.first_arg_allows(id, request) {
                return Err(Denied::Command);
            }
        }
        if !self.all_keys {
            for (position, access) in commands::key_access(spec, request) {
                if !self.allows_key(request[position], access) {
                    return Err(Denied::Key(position));
                }
            }
        }
        if !self.all_channels {
            let patterns = spec.channels == Channels::AllPatterns;
            for position in commands::channel_positions(spec, request) {
                if !self.allows_channel(request[position], patterns) {
                    return Err(Denied::Channel(position));
                }
            }
        }
        Ok(())
    }

    fn first_arg_allows(&self, id: CommandId, request: &[&[u8]]) -> bool {
        let at = if commands::is_subcommand(id) { 2 } else { 1 };
        let Some(arg) = request.get(at) else {
            return false;
        };
        self.first_args
            .iter()
            .find(|(known, _)| *known == id)
            .is_some_and(|(_, allowed)| allowed.iter().any(|a| a.eq_ignore_ascii_case(arg)))
    }

    pub(crate) fn allows_key(&self, key: &[u8], needed: KeyAccess) -> bool {
        self.all_keys
            || self.keys.iter().any(|pattern| {
                pattern.access.covers(needed) && glob_match(&pattern.pattern, key, false)
            })
    }

    /// A channel named in PUBLISH or SUBSCRIBE matches the patterns as globs; a pattern given
    /// to PSUBSCRIBE must equal one of them.
    pub(crate) fn allows_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.all_channels
            || self.channels.iter().any(|pattern| {
                if is_pattern {
                    pattern == channel
                } else {
                    glob_match(pattern, channel, false)
                }
            })
    }

    /// Whether it allows everything: every command, key and channel.
    pub(crate) fn unrestricted(&self) -> bool {
        self.all_keys && self.all_channels && self.commands == CommandBits::all()
    }

    /// The key patterns as ACL GETUSER shows them (`~*`, `%R~a* ~b`), bytes as given.
    pub(crate) fn describe_keys(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        let patterns: Vec<Vec<u8>> = self
            .keys
            .iter()
            .map(|pattern| {
                let prefix: &[u8] = match pattern.access {
                    KeyAccess::READ => b"%R~",
                    KeyAccess::WRITE => b"%W~",
                    _ => b"~",
                };
                [prefix, &pattern.pattern].concat()
            })
            .collect();
        patterns.join(&b' ')
    }

    /// The channel patterns as ACL GETUSER shows them (`&*`, `&a &b`).
    pub(crate) fn describe_channels(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        let patterns: Vec<Vec<u8>> = self
            .channels
            .iter()
            .map(|pattern| [&b"&"[..], pattern].concat())
            .collect();
        patterns.join(&b' ')
    }

    /// The command rules that rebuild this selector's commands, as Redis words them: `+@all`
    /// or `-@all`, then the categories that fit best, then single commands, then first
    /// arguments.
    pub(crate) fn describe_commands(&self) -> Vec<u8> {
        let mut rules: Vec<Vec<u8>> = Vec::new();
        let mut rebuilt = Selector::default();
        let additive = !self.all_future;
        let start: &[u8] = if additive { b"-@all" } else { b"+@all" };
        rules.push(start.to_vec());
        rebuilt.apply(start).expect("a valid rule");
        let mut remaining = self.commands;
        let mut applied = [false; super::category::ALL.len()];
        loop {
            let mut best: Option<(usize, usize, usize)> = None;
            for (index, (category, _)) in super::category::ALL.iter().enumerate() {
                if applied[index] {
                    continue;
                }
                let (on, off) = commands::in_category(*category).fold((0, 0), |(on, off), id| {
                    if remaining.get(id) {
                        (on + 1, off)
                    } else {
                        (on, off + 1)
                    }
                });
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                let better = match best {
                    None => true,
                    Some((_, best_diff, best_same)) => {
                        diff < best_diff || (diff == best_diff && same > best_same)
                    }
                };
                if same > diff && better {
                    best = Some((index, diff, same));
                }
            }
            let Some((index, _, _)) = best else {
                break;
            };
            let (category, name) = super::category::ALL[index];
            let sign = if additive { '+' } else { '-' };
            rules.push(format!("{sign}@{name}").into_bytes());
            for id in commands::in_category(category) {
                rebuilt.change(id, additive);
                remaining.set(id, !additive);
            }
            applied[index] = true;
        }
        for id in commands::all() {
            let wanted = self.commands.get(id);
            if rebuilt.commands.get(id) != wanted {
                let sign = if wanted { '+' } else { '-' };
                rules.push(format!("{sign}{}", commands::full_name(id)).into_bytes());
                rebuilt.change(id, wanted);
            }
            if wanted {
                continue;
            }
            if let Some((_, allowed)) = self.first_args.iter().find(|(known, _)| *known == id) {
                for arg in allowed {
                    let name = format!("+{}|", commands::full_name(id));
                    rules.push([name.as_bytes(), arg].concat());
                }
            }
        }
        rules.join(&b' ')
    }

    /// Everything of the selector as rules: keys, channels, commands (ACL LIST's order).
    fn describe(&self) -> Vec<u8> {
        let mut parts = Vec::new();
        if self.all_keys || !self.keys.is_empty() {
            parts.push(self.describe_keys());
        }
        if !self.all_channels {
            parts.push(b"resetchannels".to_vec());
        }
        if self.all_channels || !self.channels.is_empty() {
            parts.push(self.describe_channels());
        }
        parts.push(self.describe_commands());
        parts.join(&b' ')
    }
}

fn has_spaces(text: &[u8]) -> bool {
    text.iter()
        .any(|&byte| byte.is_ascii_whitespace() || byte == 0)
}

/// A SHA-256 digest as 64 lower-case hex digits, as Redis keeps and shows passwords.
pub(crate) fn hash_password(password: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(password)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn is_valid_hash(hash: &[u8]) -> bool {
    hash.len() == 64
        && hash
            .iter()
            .all(|&byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// Compares two digests in a time that does not depend on where they differ.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differences, (x, y)| differences | (x ^ y))
            == 0
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) name: Vec<u8>,
    pub(crate) enabled: bool,
    pub(crate) nopass: bool,
    /// `skip-sanitize-payload` (true) or `sanitize-payload` (false); neither at first.
    sanitize_payload: Option<bool>,
    /// SHA-256 digests in hex, in the order they were added.
    passwords: Vec<String>,
    pub(crate) root: Selector,
    pub(crate) selectors: Vec<Selector>,
}

impl User {
    /// A new user: off, no password, no commands, no keys, and channels as
    /// `acl-pubsub-default` says.
    pub(crate) fn new(name: &[u8], all_channels_by_default: bool) -> User {
        let mut user = User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize_payload: None,
            passwords: Vec::new(),
            root: Selector::default(),
            selectors: Vec::new(),
        };
        user.root.all_channels = all_channels_by_default;
        user
    }

    /// Applies one rule; `all_channels_by_default` is what `reset` gives back.
    pub(crate) fn apply(
        &mut self,
        rule: &[u8],
        all_channels_by_default: bool,
    ) -> Result<(), RuleError> {
        if rule.is_empty() {
            return Ok(());
        }
        match rule.to_ascii_lowercase().as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"skip-sanitize-payload" => self.sanitize_payload = Some(true),
            b"sanitize-payload" => self.sanitize_payload = Some(false),
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"clearselectors" => self.selectors.clear(),
            b"reset" => {
                *self = User::new(&self.name, all_channels_by_default);
                self.sanitize_payload = Some(false);
            }
            _ => return self.apply_other(rule),
        }
        Ok(())
    }

    fn apply_other(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        match rule[0] {
            b'>' | b'#' => {
                let hash = self.digest_of(rule)?;
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
                Ok(())
            }
            b'<' | b'!' => {
                let hash = self.digest_of(rule)?;
                let index = self
                    .passwords
                    .iter()
                    .position(|known| *known == hash)
                    .ok_or(RuleError::NoSuchPassword)?;
                self.passwords.remove(index);
                Ok(())
            }
            b'(' if rule.ends_with(b")") => {
                let mut selector = Selector::default();
                let inner = &rule[1..rule.len() - 1];
                let words = crate::util::split_args::split_args(inner).ok_or(RuleError::Syntax)?;
                for word in words {
                    // A word ending in `)` would end the selector early where its description
                    // is read back (ACL LIST, the ACL file): refused.
                    if word.ends_with(b")") {
                        return Err(RuleError::Syntax);
                    }
                    selector.apply(&word)?;
                }
                self.selectors.push(selector);
                Ok(())
            }
            _ => self.root.apply(rule),
        }
    }

    /// The digest a password rule names: hashed for `>` and `<`, given for `#` and `!`.
    fn digest_of(&self, rule: &[u8]) -> Result<String, RuleError> {
        let given = &rule[1..];
        if matches!(rule[0], b'>' | b'<') {
            return Ok(hash_password(given));
        }
        if !is_valid_hash(given) {
            return Err(RuleError::BadHash);
        }
        Ok(String::from_utf8_lossy(given).into_owned())
    }

    /// Whether `password` logs this user in (an enabled user with it, or with `nopass`).
    pub(crate) fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = hash_password(password);
        self.passwords
            .iter()
            .fold(false, |found, known| same_digest(known, &hash) | found)
    }

    /// Whether any selector lets `request` run; otherwise the most telling denial.
    pub(crate) fn check(&self, spec: &CommandSpec, request: &[&[u8]]) -> Result<(), Denied> {
        let mut worst = Denied::Command;
        for selector in std::iter::once(&self.root).chain(&self.selectors) {
            match selector.check(spec, request) {
                Ok(()) => return Ok(()),
                Err(denied) if denied.rank() > worst.rank() => worst = denied,
                Err(_) => {}
            }
        }
        Err(worst)
    }

    /// Whether a selector that lets `request` run also lets it read every key (`~*`, `%R~*`):
    /// SORT's BY and GET read keys they do not name.
    pub(crate) fn reads_every_key(&self, spec: &CommandSpec, request: &[&[u8]]) -> bool {
        std::iter::once(&self.root)
            .chain(&self.selectors)
            .any(|selector| {
                selector.check(spec, request).is_ok()
                    && (selector.all_keys
                        || selector.keys.iter().any(|pattern| {
                            pattern.pattern == b"*" && pattern.access.covers(KeyAccess::READ)
                        }))
            })
    }

    /// Whether the user may use `channel` (a pattern when `is_pattern`) at all.
    pub(crate) fn allows_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        std::iter::once(&self.root)
            .chain(&self.selectors)
            .any(|selector| selector.allows_channel(channel, is_pattern))
    }

    /// Whether nothing is denied to it (the default user as it starts).
    pub(crate) fn unrestricted(&self) -> bool {
        self.root.unrestricted()
    }

    /// The flags ACL GETUSER lists.
    pub(crate) fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize_payload {
            Some(true) => flags.push("skip-sanitize-payload"),
            Some(false) => flags.push("sanitize-payload"),
            None => {}
        }
        flags
    }

    pub(crate) fn passwords(&self) -> &[String] {
        &self.passwords
    }

    /// The user as rules (ACL LIST and the ACL file, after `user <name> `).
    pub(crate) fn describe(&self) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = self
            .flags()
            .iter()
            .map(|flag| flag.as_bytes().to_vec())
            .collect();
        parts.extend(
            self.passwords
                .iter()
                .map(|hash| format!("#{hash}").into_bytes()),
        );
        parts.push(self.root.describe());
        for selector in &self.selectors {
            parts.push([&b"("[..], &selector.describe(), b")"].concat());
        }
        parts.join(&b' ')
    }
}

#[cfg(test)]
#[path = "user_tests.rs"]
mod tests;
