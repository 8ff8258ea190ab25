//! Keyspace notifications (`notify-keyspace-events`): a change to a key published as a pub/sub
//! message on `__keyspace@<db>__:<key>` (the event's name as the message) and on
//! `__keyevent@<db>__:<event>` (the key as the message), for the classes the setting names.
//!
//! Commands name their events as Redis 7.0 does, through `Ctx::notify`; keys removed by expiry
//! raise `expired` once they are actually gone (`Server::settle_keyspace`).

use crate::effects::{Effects, Receivers};
use crate::pubsub::PubSub;

/// One class of events, as a bit of the setting (Redis's `NOTIFY_*`).
pub(crate) type Class = u16;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub(crate) const KEYSPACE: Class = 1;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub(crate) const KEYEVENT: Class = 1 << 1;
/// `g`: DEL, EXPIRE, RENAME and the other commands on any type.
pub(crate) const GENERIC: Class = 1 << 2;
/// `$`: strings.
pub(crate) const STRING: Class = 1 << 3;
/// `l`: lists.
pub(crate) const LIST: Class = 1 << 4;
/// `s`: sets.
pub(crate) const SET: Class = 1 << 5;
/// `h`: hashes.
pub(crate) const HASH: Class = 1 << 6;
/// `z`: sorted sets.
pub(crate) const ZSET: Class = 1 << 7;
/// `x`: keys removed by expiry.
pub(crate) const EXPIRED: Class = 1 << 8;
/// `e`: keys removed by eviction.
pub(crate) const EVICTED: Class = 1 << 9;
/// `t`: streams.
const STREAM: Class = 1 << 10;
/// `m`: reads of a missing key.
const KEY_MISS: Class = 1 << 11;
/// `d`: modules.
const MODULE: Class = 1 << 12;
/// `n`: new keys.
pub(crate) const NEW: Class = 1 << 13;
/// `A`: every class of events but `m` and `n`.
const ALL: Class =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The classes in the order the setting is written back, `A` standing for `ALL`.
const CLASS_LETTERS: [(Class, char); 10] = [
    (GENERIC, 'g'),
    (STRING, '$'),
    (LIST, 'l'),
    (SET, 's'),
    (HASH, 'h'),
    (ZSET, 'z'),
    (EXPIRED, 'x'),
    (EVICTED, 'e'),
    (STREAM, 't'),
    (MODULE, 'd'),
];

/// Reads the setting's letters; None for a letter Redis does not know.
pub(crate) fn parse(text: &str) -> Option<Class> {
    let mut flags = 0;
    for letter in text.chars() {
        flags |= match letter {
            'A' => ALL,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            'm' => KEY_MISS,
            'n' => NEW,
            letter => CLASS_LETTERS.iter().find(|(_, known)| *known == letter)?.0,
        };
    }
    Some(flags)
}

/// The setting as CONFIG GET shows it: `A` or the class letters, then `K`, `E`, `m` (Redis
/// 7.0 leaves `n` out).
pub(crate) fn format(flags: Class) -> String {
    let mut text = String::new();
    if flags & ALL == ALL {
        text.push('A');
    } else {
        for (class, letter) in CLASS_LETTERS {
            if flags & class != 0 {
                text.push(letter);
            }
        }
    }
    for (class, letter) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & class != 0 {
            text.push(letter);
        }
    }
    text
}

/// Publishes `event` of `class` on `key` of database `db` where `flags` (the setting) asks
/// for it.
pub(crate) fn publish(
    effects: &mut Effects,
    pubsub: &PubSub,
    flags: Class,
    class: Class,
    db: usize,
    event: &str,
    key: &[u8],
) {
    if flags & class == 0 {
        return;
    }
    if flags & KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        publish_now(effects, pubsub, &channel, event.as_bytes());
    }
    if flags & KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        publish_now(effects, pubsub, channel.as_bytes(), key);
    }
}

/// A notification goes to the subscribers of its channel now (see `Effect::Publish`).
fn publish_now(effects: &mut Effects, pubsub: &PubSub, channel: &[u8], message: &[u8]) {
    let receivers: Receivers = pubsub
        .receivers(channel, false)
        .map(|receiver| (receiver.id, receiver.pattern.map(Box::from)))
        .collect();
    if !receivers.is_empty() {
        effects.publish_to(channel, message, false, None, receivers);
    }
}

#[cfg(test)]
mod tests {
    use super::{format, parse};

    #[test]
    fn the_setting_reads_and_writes_as_in_redis() {
        for (given, shown) in [
            ("KEA", "AKE"),
            ("Kg$", "g$K"),
            ("KEAmn", "AKEm"),
            ("", ""),
            ("Elx", "lxE"),
            ("g$lshzxetdK", "AK"),
        ] {
            assert_eq!(format(parse(given).unwrap()), shown, "{given}");
        }
        assert_eq!(parse("xyz"), None);
        assert_eq!(parse("K E"), None);
    }
}
