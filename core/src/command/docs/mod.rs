//! COMMAND DOCS: each command's summary, the version that brought it, its group, its
//! complexity, and its arguments in Redis 7.0's structure (the tree `redis-cli` builds its
//! hints and `help` from). Each group's commands are in a file of their own; every command
//! and subcommand of the command table has exactly one entry (a test checks it).

mod bitmap;
mod cluster;
mod connection;
mod generic;
mod geo;
mod hash;
mod hyperloglog;
mod list;
mod pubsub;
mod scripting;
mod server;
mod set;
mod sorted_set;
mod string;
mod transactions;

use crate::reply::Reply;

/// What kind of value an argument is, as COMMAND DOCS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    /// A word that is the argument itself (`NX`).
    PureToken,
    /// One of the nested arguments.
    OneOf,
    /// All of the nested arguments, in order.
    Block,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Double => "double",
            Kind::Key => "key",
            Kind::Pattern => "pattern",
            Kind::UnixTime => "unix-time",
            Kind::PureToken => "pure-token",
            Kind::OneOf => "oneof",
            Kind::Block => "block",
        }
    }
}

const OPTIONAL: u8 = 1;
const MULTIPLE: u8 = 1 << 1;
const MULTIPLE_TOKEN: u8 = 1 << 2;

/// One argument of a command, possibly holding others (`OneOf`, `Block`).
#[derive(Debug)]
pub(crate) struct Arg {
    name: &'static str,
    kind: Kind,
    /// Which of the command's key specs finds it (a key, or a pattern naming keys).
    key_spec: Option<u8>,
    /// The word that comes before it (`EX seconds`), or that it is (a pure token).
    token: Option<&'static str>,
    since: Option<&'static str>,
    deprecated_since: Option<&'static str>,
    flags: u8,
    args: &'static [Arg],
}

const fn arg(kind: Kind, name: &'static str) -> Arg {
    Arg {
        name,
        kind,
        key_spec: None,
        token: None,
        since: None,
        deprecated_since: None,
        flags: 0,
        args: &[],
    }
}

const fn string(name: &'static str) -> Arg {
    arg(Kind::String, name)
}

const fn integer(name: &'static str) -> Arg {
    arg(Kind::Integer, name)
}

const fn double(name: &'static str) -> Arg {
    arg(Kind::Double, name)
}

const fn key(name: &'static str, spec: u8) -> Arg {
    arg(Kind::Key, name).key_spec(spec)
}

const fn pattern(name: &'static str) -> Arg {
    arg(Kind::Pattern, name)
}

const fn unix_time(name: &'static str) -> Arg {
    arg(Kind::UnixTime, name)
}

const fn pure(name: &'static str, token: &'static str) -> Arg {
    arg(Kind::PureToken, name).token(token)
}

const fn oneof(name: &'static str, args: &'static [Arg]) -> Arg {
    Arg {
        args,
        ..arg(Kind::OneOf, name)
    }
}

const fn block(name: &'static str, args: &'static [Arg]) -> Arg {
    Arg {
        args,
        ..arg(Kind::Block, name)
    }
}

impl Arg {
    const fn key_spec(self, index: u8) -> Arg {
        Arg {
            key_spec: Some(index),
            ..self
        }
    }

    const fn token(self, token: &'static str) -> Arg {
        Arg {
            token: Some(token),
            ..self
        }
    }

    const fn since(self, version: &'static str) -> Arg {
        Arg {
            since: Some(version),
            ..self
        }
    }

    const fn deprecated(self, version: &'static str) -> Arg {
        Arg {
            deprecated_since: Some(version),
            ..self
        }
    }

    const fn optional(self) -> Arg {
        Arg {
            flags: self.flags | OPTIONAL,
            ..self
        }
    }

    const fn multiple(self) -> Arg {
        Arg {
            flags: self.flags | MULTIPLE,
            ..self
        }
    }

    const fn multiple_token(self) -> Arg {
        Arg {
            flags: self.flags | MULTIPLE_TOKEN,
            ..self
        }
    }

    fn write(&self, reply: &mut Reply<'_>) {
        let flags: Vec<&str> = [
            (OPTIONAL, "optional"),
            (MULTIPLE, "multiple"),
            (MULTIPLE_TOKEN, "multiple_token"),
        ]
        .into_iter()
        .filter(|(flag, _)| self.flags & flag != 0)
        .map(|(_, name)| name)
        .collect();
        let key_spec = self.key_spec;
        let fields = 2
            + usize::from(key_spec.is_some())
            + usize::from(self.token.is_some())
            + usize::from(self.since.is_some())
            + usize::from(self.deprecated_since.is_some())
            + usize::from(!flags.is_empty())
            + usize::from(!self.args.is_empty());
        reply.map(fields);
        reply.bulk(b"name");
        reply.bulk(self.name.as_bytes());
        reply.bulk(b"type");
        reply.bulk(self.kind.name().as_bytes());
        if let Some(index) = key_spec {
            reply.bulk(b"key_spec_index");
            reply.integer(i64::from(index));
        }
        for (field, value) in [
            ("token", self.token),
            ("since", self.since),
            ("deprecated_since", self.deprecated_since),
        ] {
            if let Some(value) = value {
                reply.bulk(field.as_bytes());
                reply.bulk(value.as_bytes());
            }
        }
        if !flags.is_empty() {
            reply.bulk(b"flags");
            reply.set(flags.len());
            for flag in flags {
                reply.simple(flag);
            }
        }
        if !self.args.is_empty() {
            reply.bulk(b"arguments");
            reply.array(self.args.len());
            for arg in self.args {
                arg.write(reply);
            }
        }
    }
}

/// One command's or subcommand's documentation.
#[derive(Debug)]
pub(crate) struct Doc {
    /// As COMMAND LIST names it: `set`, `config|get`.
    pub(crate) name: &'static str,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    complexity: Option<&'static str>,
    deprecated_since: Option<&'static str>,
    /// Meant for the server's own use (a replica's commands and the like).
    syscmd: bool,
    args: &'static [Arg],
}

const fn doc(
    name: &'static str,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    args: &'static [Arg],
) -> Doc {
    Doc {
        name,
        group,
        since,
        summary,
        complexity: None,
        deprecated_since: None,
        syscmd: false,
        args,
    }
}

impl Doc {
    const fn complexity(self, complexity: &'static str) -> Doc {
        Doc {
            complexity: Some(complexity),
            ..self
        }
    }

    const fn deprecated(self, version: &'static str) -> Doc {
        Doc {
            deprecated_since: Some(version),
            ..self
        }
    }

    const fn syscmd(self) -> Doc {
        Doc {
            syscmd: true,
            ..self
        }
    }

    /// Its COMMAND DOCS map, with its subcommands' docs (`subcommands`) for a container.
    pub(crate) fn write(&self, reply: &mut Reply<'_>, subcommands: &[&Doc]) {
        let mut doc_flags = Vec::new();
        if self.deprecated_since.is_some() {
            doc_flags.push("deprecated");
        }
        if self.syscmd {
            doc_flags.push("syscmd");
        }
        let fields = 3
            + usize::from(self.complexity.is_some())
            + usize::from(!doc_flags.is_empty())
            + usize::from(self.deprecated_since.is_some())
            + usize::from(!self.args.is_empty())
            + usize::from(!subcommands.is_empty());
        reply.map(fields);
        for (field, value) in [
            ("summary", Some(self.summary)),
            ("since", Some(self.since)),
            ("group", Some(self.group)),
            ("complexity", self.complexity),
        ] {
            if let Some(value) = value {
                reply.bulk(field.as_bytes());
                reply.bulk(value.as_bytes());
            }
        }
        if !doc_flags.is_empty() {
            reply.bulk(b"doc_flags");
            reply.set(doc_flags.len());
            for flag in doc_flags {
                reply.simple(flag);
            }
        }
        if let Some(version) = self.deprecated_since {
            reply.bulk(b"deprecated_since");
            reply.bulk(version.as_bytes());
        }
        if !self.args.is_empty() {
            reply.bulk(b"arguments");
            reply.array(self.args.len());
            for arg in self.args {
                arg.write(reply);
            }
        }
        if !subcommands.is_empty() {
            reply.bulk(b"subcommands");
            reply.map(subcommands.len());
            for subcommand in subcommands {
                reply.bulk(subcommand.name.as_bytes());
                subcommand.write(reply, &[]);
            }
        }
    }
}

/// Every group's docs.
fn all() -> impl Iterator<Item = &'static Doc> {
    [
        bitmap::DOCS,
        cluster::DOCS,
        connection::DOCS,
        generic::DOCS,
        geo::DOCS,
        hash::DOCS,
        hyperloglog::DOCS,
        list::DOCS,
        pubsub::DOCS,
        scripting::DOCS,
        server::DOCS,
        set::DOCS,
        sorted_set::DOCS,
        string::DOCS,
        transactions::DOCS,
    ]
    .into_iter()
    .flatten()
}

/// The doc of a command or subcommand by its full name (`config|get`).
pub(crate) fn find(name: &str) -> Option<&'static Doc> {
    all().find(|doc| doc.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::table::COMMANDS;
    use std::collections::BTreeSet;

    #[test]
    fn every_command_and_subcommand_has_one_doc() {
        let mut documented = BTreeSet::new();
        for doc in all() {
            assert!(documented.insert(doc.name), "{} twice", doc.name);
        }
        let mut named = BTreeSet::new();
        for spec in COMMANDS {
            named.insert(spec.name.to_string());
            for subcommand in spec.subcommands {
                named.insert(format!(
                    "{}|{}",
                    spec.name,
                    subcommand.name.to_ascii_lowercase()
                ));
            }
        }
        let documented: BTreeSet<String> = documented.into_iter().map(String::from).collect();
        assert_eq!(
            named.difference(&documented).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "commands without docs"
        );
        assert_eq!(
            documented.difference(&named).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "docs without commands"
        );
    }

    #[test]
    fn nested_arguments_are_only_under_oneof_and_block() {
        fn check(args: &[Arg]) {
            for arg in args {
                let nests = matches!(arg.kind, Kind::OneOf | Kind::Block);
                assert_eq!(nests, !arg.args.is_empty(), "{}", arg.name);
                assert_eq!(
                    arg.kind == Kind::PureToken,
                    arg.kind == Kind::PureToken && arg.token.is_some(),
                    "{}",
                    arg.name
                );
                check(arg.args);
            }
        }
        for doc in all() {
            assert!(!doc.summary.is_empty(), "{}", doc.name);
            check(doc.args);
        }
    }
}
