//! RESP2 replies as the model writes them, how a reply is matched, and how the simulator finds
//! where one reply ends in the server's send buffer.

/// What the model accepts for one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Exactly the bytes the model wrote to its output buffer.
    Exact,
    /// An integer reply within `low..=high` (DBSIZE counts keys that expired but that active
    /// expiry has not reached yet).
    IntRange(i64, i64),
    /// An array of bulk strings in any order (KEYS, SMEMBERS, HKEYS...): these, sorted.
    SortedBulks(Vec<Vec<u8>>),
    /// A flat array of pairs of bulk strings, the pairs in any order (HGETALL): these, sorted.
    SortedPairs(Vec<(Vec<u8>, Vec<u8>)>),
    /// Random picks (SRANDMEMBER, HRANDFIELD, SPOP): `count` groups of bulk strings (a member,
    /// or a field and its value), each one of `from` (sorted), all different when `distinct`;
    /// `single` is one bulk string, not an array.
    Picks {
        from: Vec<Vec<Vec<u8>>>,
        count: usize,
        distinct: bool,
        single: bool,
    },
    /// Exactly one of these replies (OBJECT ENCODING of a string or a sorted set, whose
    /// encodings the model does not follow).
    OneOf(Vec<Vec<u8>>),
    /// `-ERR Protocol error: ...` (what follows depends on the parser's position).
    ProtocolError,
    /// A book reply frame: an array of exactly these strings in any order (`keys`).
    BookKeys(Vec<Vec<u8>>),
    /// No reply now: a blocking command that found nothing waits (the world registers it with
    /// `Model::block` when the server leaves it unanswered).
    Blocks,
    /// EXEC's array, each element with its own expectation (and exact bytes) where one of
    /// them is not exact.
    Items(Vec<(Expect, Vec<u8>)>),
}

/// Writes RESP2 into a reused buffer.
pub struct Out<'a>(pub &'a mut Vec<u8>);

impl Out<'_> {
    pub fn simple(&mut self, text: &str) -> Expect {
        self.0.push(b'+');
        self.0.extend_from_slice(text.as_bytes());
        self.0.extend_from_slice(b"\r\n");
        Expect::Exact
    }

    pub fn ok(&mut self) -> Expect {
        self.simple("OK")
    }

    pub fn error(&mut self, text: &str) -> Expect {
        self.0.push(b'-');
        self.0.extend_from_slice(text.as_bytes());
        self.0.extend_from_slice(b"\r\n");
        Expect::Exact
    }

    pub fn int(&mut self, value: i64) -> Expect {
        self.0.push(b':');
        self.0.extend_from_slice(value.to_string().as_bytes());
        self.0.extend_from_slice(b"\r\n");
        Expect::Exact
    }

    pub fn nil(&mut self) -> Expect {
        self.0.extend_from_slice(b"$-1\r\n");
        Expect::Exact
    }

    pub fn bulk(&mut self, bytes: &[u8]) -> Expect {
        self.0.push(b'$');
        self.0.extend_from_slice(bytes.len().to_string().as_bytes());
        self.0.extend_from_slice(b"\r\n");
        self.0.extend_from_slice(bytes);
        self.0.extend_from_slice(b"\r\n");
        Expect::Exact
    }

    pub fn maybe_bulk(&mut self, bytes: Option<&[u8]>) -> Expect {
        match bytes {
            Some(bytes) => self.bulk(bytes),
            None => self.nil(),
        }
    }

    pub fn score(&mut self, score: f64) -> Expect {
        let mut text = Vec::new();
        crate::model::format_score(score, &mut text);
        self.bulk(&text)
    }

    pub fn array(&mut self, len: usize) -> Expect {
        self.0.push(b'*');
        self.0.extend_from_slice(len.to_string().as_bytes());
        self.0.extend_from_slice(b"\r\n");
        Expect::Exact
    }
}

/// Reads a decimal header line at `bytes[at..]`: the number and where the line ends.
fn header(bytes: &[u8], at: usize) -> Option<(i64, usize)> {
    let end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
    let text = std::str::from_utf8(&bytes[at + 1..end]).ok()?;
    Some((text.parse().ok()?, end + 2))
}

/// Length of the first complete reply in `bytes`, None if incomplete. Iterative: arrays add to a
/// count of elements still to read.
pub fn reply_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut remaining: u64 = 1;
    while remaining > 0 {
        remaining -= 1;
        match *bytes.get(at)? {
            b'+' | b'-' => {
                at += bytes[at..].windows(2).position(|w| w == b"\r\n")? + 2;
            }
            b':' => at = header(bytes, at)?.1,
            b'$' => {
                let (len, end) = header(bytes, at)?;
                at = if len < 0 { end } else { end + len as usize + 2 };
                if at > bytes.len() {
                    return None;
                }
            }
            b'*' => {
                let (len, end) = header(bytes, at)?;
                at = end;
                remaining += len.max(0) as u64;
            }
            other => panic!("reply starts with unexpected byte {other:#04x}"),
        }
    }
    Some(at)
}

/// The elements of an array of bulk strings.
pub fn bulks(reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (count, mut at) = header(reply, 0).filter(|_| reply[0] == b'*')?;
    let mut items = Vec::with_capacity(count.max(0) as usize);
    for _ in 0..count {
        let (len, end) = header(reply, at).filter(|_| reply[at] == b'$')?;
        items.push(reply.get(end..end + len as usize)?.to_vec());
        at = end + len as usize + 2;
    }
    Some(items)
}

/// The payload of a reply that is one bulk string.
pub fn bulk(reply: &[u8]) -> Option<Vec<u8>> {
    let (len, end) = header(reply, 0).filter(|_| reply[0] == b'$')?;
    let len = usize::try_from(len).ok()?;
    (reply.len() == end + len + 2).then(|| reply[end..end + len].to_vec())
}

/// An array reply's element count and where its first element starts.
pub fn array_body(reply: &[u8]) -> Option<(usize, usize)> {
    let (count, at) = header(reply, 0).filter(|&(count, _)| reply[0] == b'*' && count >= 0)?;
    Some((count as usize, at))
}

/// The elements of an array reply, each whole.
pub fn items(reply: &[u8]) -> Option<Vec<&[u8]>> {
    let (count, mut at) = header(reply, 0).filter(|&(count, _)| reply[0] == b'*' && count >= 0)?;
    let mut items = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = reply_len(&reply[at..])?;
        items.push(&reply[at..at + len]);
        at += len;
    }
    (at == reply.len()).then_some(items)
}

/// How many whole frames `bytes` holds, one after another.
fn frames(bytes: &[u8]) -> usize {
    let (mut count, mut at) = (0, 0);
    while let Some(len) = (at < bytes.len())
        .then(|| reply_len(&bytes[at..]))
        .flatten()
    {
        count += 1;
        at += len;
    }
    count
}

/// The length of `count` frames at the start of `bytes`, if they are all there.
fn frames_len(bytes: &[u8], count: usize) -> Option<usize> {
    let mut at = 0;
    for _ in 0..count {
        at += reply_len(bytes.get(at..).filter(|rest| !rest.is_empty())?)?;
    }
    Some(at)
}

/// A command's reply may be several frames: (UN)SUBSCRIBE confirms each name in one, and an
/// EXEC that ran one holds them all (its array counts commands, not frames, in Redis too).
/// The length of the reply at the start of `rest`, as long as the model's expectation is.
pub fn span(expect: &Expect, exact: &[u8], rest: &[u8]) -> Option<usize> {
    match expect {
        Expect::Exact => frames_len(rest, frames(exact).max(1)),
        Expect::Items(expected) => {
            let (_, mut at) = header(rest, 0).filter(|_| rest.first() == Some(&b'*'))?;
            for (expect, exact) in expected {
                at += span(expect, exact, rest.get(at..)?)?;
            }
            Some(at)
        }
        _ => reply_len(rest),
    }
}

/// EXEC's elements, each as many frames as its expectation (see `span`).
fn exec_items<'r>(reply: &'r [u8], expected: &[(Expect, Vec<u8>)]) -> Option<Vec<&'r [u8]>> {
    let (count, mut at) = header(reply, 0).filter(|_| reply[0] == b'*')?;
    if count != expected.len() as i64 {
        return None;
    }
    let mut items = Vec::with_capacity(expected.len());
    for (expect, exact) in expected {
        let len = span(expect, exact, &reply[at..])?;
        items.push(&reply[at..at + len]);
        at += len;
    }
    (at == reply.len()).then_some(items)
}

/// The bulk strings a random-pick reply names (see `Expect::Picks`), if it matches.
pub fn picked(expect: &Expect, reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    let Expect::Picks {
        from,
        count,
        distinct,
        single,
    } = expect
    else {
        return None;
    };
    let items = if *single {
        vec![bulk(reply)?]
    } else {
        bulks(reply)?
    };
    let group = from.first().map_or(1, Vec::len);
    if items.len() != count * group {
        return None;
    }
    let mut groups: Vec<&[Vec<u8>]> = items.chunks(group).collect();
    if !groups
        .iter()
        .all(|group| from.binary_search_by(|f| f.as_slice().cmp(group)).is_ok())
    {
        return None;
    }
    groups.sort();
    groups.dedup();
    (!*distinct || groups.len() == *count).then_some(items)
}

/// Does `reply` satisfy `expect` (with the model's bytes in `exact`)?
pub fn matches(expect: &Expect, exact: &[u8], reply: &[u8]) -> bool {
    match expect {
        Expect::Exact => reply == exact,
        Expect::IntRange(low, high) => header(reply, 0)
            .filter(|&(_, end)| reply[0] == b':' && end == reply.len())
            .is_some_and(|(value, _)| (*low..=*high).contains(&value)),
        Expect::SortedBulks(expected) => bulks(reply).is_some_and(|mut items| {
            items.sort();
            &items == expected
        }),
        Expect::SortedPairs(expected) => bulks(reply).is_some_and(|items| {
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = items
                .chunks(2)
                .map(|pair| (pair[0].clone(), pair.get(1).cloned().unwrap_or_default()))
                .collect();
            pairs.sort();
            items.len().is_multiple_of(2) && &pairs == expected
        }),
        Expect::Picks { .. } => picked(expect, reply).is_some(),
        Expect::OneOf(replies) => replies.iter().any(|one| one == reply),
        Expect::ProtocolError => reply.starts_with(b"-ERR Protocol error: "),
        Expect::Blocks => false,
        Expect::BookKeys(expected) => {
            crate::book::keys_of(reply).is_some_and(|keys| &keys == expected)
        }
        Expect::Items(expected) => exec_items(reply, expected).is_some_and(|replies| {
            expected
                .iter()
                .zip(replies)
                .all(|((expect, exact), reply)| matches(expect, exact, reply))
        }),
    }
}
