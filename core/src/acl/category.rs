//! ACL command categories (`@read`, `@string`, ...): a set of them per command. The command
//! table declares each command's own ones (its data type, `@keyspace`, `@dangerous`); the rest
//! follow from its flags as in Redis (`write` gives `@write`, `fast` gives `@fast`, anything
//! not fast is `@slow`, ...).

/// A set of categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Categories(u32);

pub(crate) const NONE: Categories = Categories(0);
pub(crate) const KEYSPACE: Categories = Categories(1);
pub(crate) const READ: Categories = Categories(1 << 1);
pub(crate) const WRITE: Categories = Categories(1 << 2);
pub(crate) const SET: Categories = Categories(1 << 3);
pub(crate) const SORTEDSET: Categories = Categories(1 << 4);
pub(crate) const LIST: Categories = Categories(1 << 5);
pub(crate) const HASH: Categories = Categories(1 << 6);
pub(crate) const STRING: Categories = Categories(1 << 7);
pub(crate) const BITMAP: Categories = Categories(1 << 8);
pub(crate) const HYPERLOGLOG: Categories = Categories(1 << 9);
pub(crate) const GEO: Categories = Categories(1 << 10);
pub(crate) const STREAM: Categories = Categories(1 << 11);
pub(crate) const PUBSUB: Categories = Categories(1 << 12);
pub(crate) const ADMIN: Categories = Categories(1 << 13);
pub(crate) const FAST: Categories = Categories(1 << 14);
pub(crate) const SLOW: Categories = Categories(1 << 15);
pub(crate) const BLOCKING: Categories = Categories(1 << 16);
pub(crate) const DANGEROUS: Categories = Categories(1 << 17);
pub(crate) const CONNECTION: Categories = Categories(1 << 18);
pub(crate) const TRANSACTION: Categories = Categories(1 << 19);
pub(crate) const SCRIPTING: Categories = Categories(1 << 20);

/// Every category with its name, in the order ACL CAT lists them (Redis's).
pub(crate) const ALL: [(Categories, &str); 21] = [
    (KEYSPACE, "keyspace"),
    (READ, "read"),
    (WRITE, "write"),
    (SET, "set"),
    (SORTEDSET, "sortedset"),
    (LIST, "list"),
    (HASH, "hash"),
    (STRING, "string"),
    (BITMAP, "bitmap"),
    (HYPERLOGLOG, "hyperloglog"),
    (GEO, "geo"),
    (STREAM, "stream"),
    (PUBSUB, "pubsub"),
    (ADMIN, "admin"),
    (FAST, "fast"),
    (SLOW, "slow"),
    (BLOCKING, "blocking"),
    (DANGEROUS, "dangerous"),
    (CONNECTION, "connection"),
    (TRANSACTION, "transaction"),
    (SCRIPTING, "scripting"),
];

impl Categories {
    pub(crate) const fn or(self, other: Categories) -> Categories {
        Categories(self.0 | other.0)
    }

    /// Whether any of `other`'s categories is here.
    pub(crate) const fn intersects(self, other: Categories) -> bool {
        self.0 & other.0 != 0
    }

    /// The category named `name` (without its `@`), ignoring ASCII case.
    pub(crate) fn by_name(name: &[u8]) -> Option<Categories> {
        ALL.iter()
            .find(|(_, known)| known.as_bytes().eq_ignore_ascii_case(name))
            .map(|(category, _)| *category)
    }

    /// The names of the categories here, in ACL CAT's order.
    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        ALL.into_iter()
            .filter(move |(category, _)| self.intersects(*category))
            .map(|(_, name)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        let mut seen = NONE;
        for (category, name) in ALL {
            assert!(!seen.intersects(category), "{name} shares a bit");
            seen = seen.or(category);
            assert_eq!(
                Categories::by_name(name.to_uppercase().as_bytes()),
                Some(category)
            );
            assert_eq!(category.names().collect::<Vec<_>>(), vec![name]);
        }
        assert_eq!(Categories::by_name(b"all"), None);
        assert_eq!(
            READ.or(ADMIN).names().collect::<Vec<_>>(),
            vec!["read", "admin"]
        );
    }
}
