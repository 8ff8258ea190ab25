//! Key specs: where a command's keys are and what it does to each, in Redis 7.0's terms
//! (COMMAND INFO's tenth element, COMMAND GETKEYSANDFLAGS). Where the keys are is the command
//! table's business (`CommandSpec::key_positions`); the specs add each key's flags, found by
//! the spec whose search lands on it.

mod data;

use super::table::CommandSpec;
use crate::acl::KeyAccess;
use crate::reply::Reply;

/// Where a spec's search begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Begin {
    /// At this argument (the name is 0).
    Index(i32),
    /// At the first argument after `from` (counted from the end when negative, searching
    /// backwards) that is `keyword` (any case): GEORADIUS's STORE.
    Keyword { keyword: &'static str, from: i32 },
    /// Only the command knows (SORT's STORE).
    Unknown,
}

/// How a spec finds its keys from where it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Find {
    /// Keys up to `last` (from the beginning if at least 0, from the end if negative), every
    /// `step`; with a negative `last` and a `limit`, only the first 1/limit of what is left.
    Range {
        last: i32,
        step: i32,
        limit: i32,
    },
    /// A count at `at` (from the beginning), then that many keys from `first`, every `step`.
    Keynum {
        at: i32,
        first: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Debug)]
pub(crate) struct KeySpec {
    pub(crate) flags: &'static [&'static str],
    pub(crate) begin: Begin,
    pub(crate) find: Find,
}

/// One key at `index`.
const fn key_at(index: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Index(index),
        find: Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
    }
}

/// The key right after the first `keyword` found from argument `from` on.
const fn key_after(keyword: &'static str, from: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Keyword { keyword, from },
        find: Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
    }
}

/// Every argument from `index` on is a key.
const fn keys_from(index: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Index(index),
        find: Find::Range {
            last: -1,
            step: 1,
            limit: 0,
        },
    }
}

/// A count at `index`, then that many keys.
const fn counted_keys_at(index: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Index(index),
        find: Find::Keynum {
            at: 0,
            first: 1,
            step: 1,
        },
    }
}

impl KeySpec {
    /// The positions this spec finds in `request` (its name at 0); none when its search is
    /// unknown or the request is too short for it.
    fn positions(&self, request: &[&[u8]]) -> Vec<usize> {
        let count = request.len() as i64;
        let begin = match self.begin {
            Begin::Index(begin) if begin < 0 => count + i64::from(begin),
            Begin::Index(begin) => i64::from(begin),
            Begin::Keyword { keyword, from } => match keyword_at(request, keyword, from) {
                Some(at) => at + 1,
                None => return Vec::new(),
            },
            Begin::Unknown => return Vec::new(),
        };
        if begin < 1 || begin >= count {
            return Vec::new();
        }
        let (first, last, step) = match self.find {
            Find::Range { last, step, limit } => {
                let last = i64::from(last);
                let end = if last >= 0 {
                    begin + last
                } else if limit <= 1 {
                    count + last
                } else {
                    begin + (count - begin) / i64::from(limit) + last
                };
                (begin, end, i64::from(step))
            }
            Find::Keynum { at, first, step } => {
                let Some(keys) = request
                    .get((begin + i64::from(at)) as usize)
                    .and_then(|text| crate::util::number::parse_i64(text))
                    .filter(|keys| *keys >= 0)
                else {
                    return Vec::new();
                };
                // No more keys than there are arguments (the count comes from the client).
                let keys = keys.min(count);
                let first = begin + i64::from(first);
                let step = i64::from(step);
                (first, first + (keys - 1) * step, step)
            }
            Find::Unknown => return Vec::new(),
        };
        let last = last.min(count - 1);
        (first..=last)
            .step_by(step.max(1) as usize)
            .map(|position| position as usize)
            .collect()
    }

    fn write(&self, reply: &mut Reply<'_>) {
        reply.map(3);
        reply.bulk(b"flags");
        reply.set(self.flags.len());
        for flag in self.flags {
            reply.simple(flag);
        }
        reply.bulk(b"begin_search");
        reply.map(2);
        reply.bulk(b"type");
        match self.begin {
            Begin::Index(index) => {
                reply.bulk(b"index");
                reply.bulk(b"spec");
                reply.map(1);
                reply.bulk(b"index");
                reply.integer(i64::from(index));
            }
            Begin::Keyword { keyword, from } => {
                reply.bulk(b"keyword");
                reply.bulk(b"spec");
                reply.map(2);
                reply.bulk(b"keyword");
                reply.bulk(keyword.as_bytes());
                reply.bulk(b"startfrom");
                reply.integer(i64::from(from));
            }
            Begin::Unknown => {
                reply.bulk(b"unknown");
                reply.bulk(b"spec");
                reply.map(0);
            }
        }
        reply.bulk(b"find_keys");
        reply.map(2);
        reply.bulk(b"type");
        let fields: Vec<(&str, i32)> = match self.find {
            Find::Range { last, step, limit } => {
                reply.bulk(b"range");
                vec![("lastkey", last), ("keystep", step), ("limit", limit)]
            }
            Find::Keynum { at, first, step } => {
                reply.bulk(b"keynum");
                vec![("keynumidx", at), ("firstkey", first), ("keystep", step)]
            }
            Find::Unknown => {
                reply.bulk(b"unknown");
                Vec::new()
            }
        };
        reply.bulk(b"spec");
        reply.map(fields.len());
        for (name, value) in fields {
            reply.bulk(name.as_bytes());
            reply.integer(i64::from(value));
        }
    }
}

/// Where a keyword search finds `keyword`: from `from` toward the end (from the end toward
/// the start when negative), never at the name nor at the last argument (which could not be
/// followed by a key), as Redis searches.
fn keyword_at(request: &[&[u8]], keyword: &str, from: i32) -> Option<i64> {
    let count = request.len() as i64;
    let matches = |at: i64| super::args::is_option(request[at as usize], keyword);
    if from > 0 {
        (i64::from(from)..count - 1).find(|&at| matches(at))
    } else {
        let start = count + i64::from(from);
        if start >= count {
            return None;
        }
        (1..=start).rev().find(|&at| matches(at))
    }
}

/// The key specs of a command or subcommand, by its full name (`memory|usage`).
pub(crate) fn of(name: &str) -> &'static [KeySpec] {
    data::KEY_SPECS
        .binary_search_by(|(spec_name, _)| (*spec_name).cmp(name))
        .map_or(&[], |at| data::KEY_SPECS[at].1)
}

/// COMMAND INFO's key specs element (a set in RESP3, as Redis sends it).
pub(crate) fn write(reply: &mut Reply<'_>, specs: &[KeySpec]) {
    reply.set(specs.len());
    for spec in specs {
        spec.write(reply);
    }
}

/// The flags of the key at `position` of `request`: those of the first spec whose search finds
/// it, else of the last spec only the command can search (SORT's STORE). A spec whose flags
/// vary with the options (`variable_flags`: SET's GET, BITFIELD's writes) takes them from what
/// the command does to its keys with these options.
pub(crate) fn key_flags(
    spec: &CommandSpec,
    specs: &'static [KeySpec],
    request: &[&[u8]],
    position: usize,
) -> Vec<&'static str> {
    let found = specs
        .iter()
        .find(|key_spec| key_spec.positions(request).contains(&position))
        .or_else(|| {
            specs
                .iter()
                .rev()
                .find(|key_spec| key_spec.begin == Begin::Unknown)
        });
    let Some(key_spec) = found else {
        return Vec::new();
    };
    if !key_spec.flags.contains(&"variable_flags") {
        return key_spec.flags.to_vec();
    }
    match spec.varying_access.map(|access| access(request)) {
        Some(KeyAccess::WRITE) => vec!["OW", "update"],
        Some(KeyAccess::READ) => vec!["RO", "access"],
        _ => key_spec
            .flags
            .iter()
            .copied()
            .filter(|flag| *flag != "variable_flags")
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::table::COMMANDS;

    #[test]
    fn the_specs_are_sorted_and_name_commands_of_the_table() {
        for pair in data::KEY_SPECS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (name, _) in data::KEY_SPECS {
            let (command, subcommand) = name.split_once('|').unwrap_or((name, ""));
            let spec = COMMANDS
                .iter()
                .find(|spec| spec.name == command)
                .unwrap_or_else(|| panic!("{name} is no command"));
            assert!(
                subcommand.is_empty()
                    || spec
                        .subcommands
                        .iter()
                        .any(|sub| sub.name.eq_ignore_ascii_case(subcommand)),
                "{name} is no subcommand"
            );
        }
    }

    #[test]
    fn a_count_past_the_arguments_finds_only_the_keys_there_are() {
        let spec = of("zunionstore");
        let request: [&[u8]; 4] = [b"zunionstore", b"d", b"9223372036854775807", b"k"];
        let found: Vec<usize> = spec
            .iter()
            .flat_map(|key_spec| key_spec.positions(&request))
            .collect();
        assert_eq!(found, [1, 3]);
    }

    /// Where the table puts the keys and where the specs find them agree, for requests of
    /// every length the arity allows (up to 6 more), all of whose arguments are `1` (a count
    /// of one key).
    #[test]
    fn specs_find_the_keys_the_table_finds() {
        let one: &[u8] = b"1";
        let mut compared = 0;
        for spec in COMMANDS.iter().filter(|spec| spec.subcommands.is_empty()) {
            let specs = of(spec.name);
            if specs.is_empty()
                || specs
                    .iter()
                    .any(|key_spec| key_spec.begin == Begin::Unknown)
            {
                continue;
            }
            let least = spec.arity.unsigned_abs() as usize;
            let most = if spec.arity > 0 { least } else { least + 6 };
            for count in least..=most {
                let mut request: Vec<&[u8]> = vec![spec.name.as_bytes()];
                request.resize(count, one);
                let mut found: Vec<usize> = specs
                    .iter()
                    .flat_map(|key_spec| key_spec.positions(&request))
                    .collect();
                found.sort_unstable();
                found.dedup();
                assert_eq!(
                    found,
                    spec.key_positions(&request),
                    "{} with {count} arguments",
                    spec.name
                );
            }
            compared += 1;
        }
        assert!(compared > 100, "only {compared} commands compared");
    }
}
