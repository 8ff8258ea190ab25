//! The commands as ACL sees them: every command and every subcommand numbered, in the command
//! table's order (a command, then its subcommands), so that a selector's commands are a bit
//! set; and what a request does to keys and channels.

use std::sync::LazyLock;

use super::category::Categories;
use super::KeyAccess;
use crate::command::{self, Channels, CommandSpec, Flags, COMMANDS};

/// A command's or a subcommand's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CommandId(u16);

/// How many ids a bit set holds; a test checks the table fits.
const BITS: usize = 512;

/// A set of commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CommandBits([u64; BITS / 64]);

impl CommandBits {
    /// Every command and subcommand there is.
    pub(crate) fn all() -> CommandBits {
        let mut bits = CommandBits::default();
        for id in all() {
            bits.set(id, true);
        }
        bits
    }

    pub(crate) fn get(&self, id: CommandId) -> bool {
        let index = usize::from(id.0);
        self.0[index / 64] & (1 << (index % 64)) != 0
    }

    pub(crate) fn set(&mut self, id: CommandId, value: bool) {
        let index = usize::from(id.0);
        let bit = 1 << (index % 64);
        if value {
            self.0[index / 64] |= bit;
        } else {
            self.0[index / 64] &= !bit;
        }
    }
}

struct Entry {
    spec: &'static CommandSpec,
    /// The subcommand's index in `spec.subcommands`, for a subcommand.
    sub: Option<usize>,
    categories: Categories,
}

struct Numbering {
    entries: Vec<Entry>,
    /// The id of each command of the table, by its index there.
    first: Vec<u16>,
}

static NUMBERING: LazyLock<Numbering> = LazyLock::new(|| {
    let mut entries = Vec::new();
    let mut first = Vec::new();
    for spec in COMMANDS {
        first.push(entries.len() as u16);
        entries.push(Entry {
            spec,
            sub: None,
            categories: spec.categories(),
        });
        for (index, subcommand) in spec.subcommands.iter().enumerate() {
            entries.push(Entry {
                spec,
                sub: Some(index),
                categories: subcommand.categories,
            });
        }
    }
    assert!(entries.len() < BITS, "the command bit set is too small");
    Numbering { entries, first }
});

fn entry(id: CommandId) -> &'static Entry {
    &NUMBERING.entries[usize::from(id.0)]
}

/// A command's id: the table is sorted by name, so a binary search finds its index.
fn id_of_spec(spec: &CommandSpec) -> CommandId {
    let index = COMMANDS
        .binary_search_by(|known| known.name.cmp(spec.name))
        .expect("a command of the table");
    CommandId(NUMBERING.first[index])
}

/// Every id, in order.
pub(crate) fn all() -> impl Iterator<Item = CommandId> {
    (0..NUMBERING.entries.len() as u16).map(CommandId)
}

/// The commands and subcommands in `category`.
pub(crate) fn in_category(category: Categories) -> impl Iterator<Item = CommandId> {
    all().filter(move |&id| entry(id).categories.intersects(category))
}

/// `get` or `client|kill`, ignoring case.
pub(crate) fn lookup(name: &[u8]) -> Option<CommandId> {
    let (command, sub) = match name.iter().position(|&byte| byte == b'|') {
        Some(bar) => (&name[..bar], Some(&name[bar + 1..])),
        None => (name, None),
    };
    let spec = command::lookup(command)?;
    let id = id_of_spec(spec);
    let Some(sub) = sub else {
        return Some(id);
    };
    let index = spec
        .subcommands
        .iter()
        .position(|known| known.name.as_bytes().eq_ignore_ascii_case(sub))?;
    Some(CommandId(id.0 + 1 + index as u16))
}

pub(crate) fn is_subcommand(id: CommandId) -> bool {
    entry(id).sub.is_some()
}

pub(crate) fn has_subcommands(id: CommandId) -> bool {
    let entry = entry(id);
    entry.sub.is_none() && !entry.spec.subcommands.is_empty()
}

/// A container's subcommands (none for anything else).
pub(crate) fn subcommands_of(id: CommandId) -> impl Iterator<Item = CommandId> {
    let count = if is_subcommand(id) {
        0
    } else {
        entry(id).spec.subcommands.len() as u16
    };
    (1..=count).map(move |offset| CommandId(id.0 + offset))
}

/// `get` or `client|kill`.
pub(crate) fn full_name(id: CommandId) -> String {
    let entry = entry(id);
    match entry.sub {
        Some(index) => format!(
            "{}|{}",
            entry.spec.name,
            entry.spec.subcommands[index].name.to_ascii_lowercase()
        ),
        None => entry.spec.name.to_string(),
    }
}

/// The id a request runs as: its subcommand's for a container.
pub(crate) fn of_request(spec: &CommandSpec, request: &[&[u8]]) -> CommandId {
    let id = id_of_spec(spec);
    match spec.subcommand(request) {
        Some(subcommand) => {
            let index = spec
                .subcommands
                .iter()
                .position(|known| std::ptr::eq(known, subcommand))
                .expect("a subcommand of the command");
            CommandId(id.0 + 1 + index as u16)
        }
        None => id,
    }
}

/// The name a denial of `request` reports (`get`, `client|kill`).
pub(crate) fn request_name(spec: &CommandSpec, request: &[&[u8]]) -> String {
    full_name(of_request(spec, request))
}

/// Each key of `request` with what the command does to it. Shard channels (SPUBLISH) are
/// not keys here, as Redis's key specs flag them `not_key`.
pub(crate) fn key_access(spec: &CommandSpec, request: &[&[u8]]) -> Vec<(usize, KeyAccess)> {
    if spec.flags.contains(Flags::PUBSUB) {
        return Vec::new();
    }
    if let Some(subcommand) = spec.subcommand(request) {
        return match (subcommand.keyed, request.len() > 2) {
            (true, true) => vec![(2, KeyAccess::NONE)],
            _ => Vec::new(),
        };
    }
    let (first, rest) = match spec.varying_access {
        Some(access_of) => {
            let access = access_of(request);
            (access, access)
        }
        None => spec.key_access,
    };
    spec.key_positions(request)
        .into_iter()
        .enumerate()
        .map(|(index, position)| (position, if index == 0 { first } else { rest }))
        .collect()
}

/// Where the channels of `request` are.
pub(crate) fn channel_positions(spec: &CommandSpec, request: &[&[u8]]) -> std::ops::Range<usize> {
    match spec.channels {
        Channels::None => 0..0,
        Channels::First => 1..request.len().min(2),
        Channels::All | Channels::AllPatterns => 1..request.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_agree() {
        for id in all() {
            let name = full_name(id);
            assert_eq!(lookup(name.as_bytes()), Some(id), "{name}");
            assert_eq!(lookup(name.to_uppercase().as_bytes()), Some(id));
            for sub in subcommands_of(id) {
                assert!(is_subcommand(sub));
                assert!(full_name(sub).starts_with(&format!("{name}|")));
            }
        }
        assert_eq!(lookup(b"nosuch"), None);
        assert_eq!(lookup(b"client|nosuch"), None);
        let kill = lookup(b"client|kill").unwrap();
        let client = command::lookup(b"client").unwrap();
        assert_eq!(of_request(client, &[b"client", b"KILL", b"x"]), kill);
    }
}
