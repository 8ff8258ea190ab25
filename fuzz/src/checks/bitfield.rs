//! The bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITFIELD and BITFIELD_RO) on one key of a
//! real core server, every reply compared byte for byte with `Model`: the string as a plain
//! vector of bits, and field arithmetic done on wide integers, a field's bits taken one by one.
//! Also the body of the proptest in `core/tests/bits.rs`.

use ferrodis_core::{Config, ConnectionId, Instant, Now, Output, Server, UnixMillis};

use super::input::Input;

const OPS_MAX: usize = 48;
/// Offsets stay within the first bits, so that operations meet; `#` indexes within the first
/// fields.
const OFFSET_BITS_MAX: u32 = 300;
const FIELD_INDEX_MAX: u32 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, Debug)]
pub enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub action: Action,
    pub signed: bool,
    /// 1 to 64 signed, 1 to 63 unsigned.
    pub width: u32,
    pub offset: u32,
    /// Given as `#offset`: the offset-th field of this width.
    pub indexed: bool,
    /// An OVERFLOW option given just before this operation.
    pub overflow: Option<Overflow>,
}

#[derive(Clone, Debug)]
pub enum Op {
    /// SET k bytes: any string, integers included.
    Set(Vec<u8>),
    Del,
    SetBit {
        offset: u32,
        on: bool,
    },
    GetBit {
        offset: u32,
    },
    /// BITCOUNT k [start end [BIT]]
    BitCount {
        range: Option<(i64, i64, bool)>,
    },
    /// BITPOS k bit [start [end BIT|BYTE]]: an end only with a start.
    BitPos {
        bit: bool,
        start: Option<i64>,
        end: Option<(i64, bool)>,
    },
    BitField {
        fields: Vec<Field>,
        read_only: bool,
    },
}

/// The key as bits, most significant first in each byte; None when missing.
#[derive(Default)]
pub struct Model {
    bits: Option<Vec<bool>>,
}

fn integer(value: i128) -> String {
    format!(":{value}\r\n")
}

impl Model {
    fn bits(&self) -> &[bool] {
        self.bits.as_deref().unwrap_or(&[])
    }

    fn bit(&self, offset: u64) -> bool {
        self.bits().get(offset as usize).copied().unwrap_or(false)
    }

    fn write_bit(&mut self, offset: u64, on: bool) {
        let bits = self.bits.get_or_insert_with(Vec::new);
        let len = (offset as usize / 8 + 1) * 8;
        if bits.len() < len {
            bits.resize(len, false);
        }
        bits[offset as usize] = on;
    }

    /// Redis's index rules, written out: negative counts from the end, then clamp.
    fn range(start: i64, end: i64, units: i128) -> Option<(i128, i128)> {
        let (mut start, mut end) = (i128::from(start), i128::from(end));
        if start < 0 {
            start += units;
        }
        if end < 0 {
            end += units;
        }
        start = start.max(0);
        end = end.max(0).min(units - 1);
        (start <= end).then_some((start, end))
    }

    /// The expected reply to `op`, after applying it.
    pub fn apply(&mut self, op: &Op) -> String {
        match op {
            Op::Set(bytes) => {
                let bits = bytes
                    .iter()
                    .flat_map(|byte| (0..8).map(move |place| byte & (0x80 >> place) != 0))
                    .collect();
                self.bits = Some(bits);
                "+OK\r\n".into()
            }
            Op::Del => integer(i128::from(self.bits.take().is_some())),
            Op::SetBit { offset, on } => {
                let old = self.bit(u64::from(*offset));
                self.write_bit(u64::from(*offset), *on);
                integer(i128::from(old))
            }
            Op::GetBit { offset } => integer(i128::from(self.bit(u64::from(*offset)))),
            Op::BitCount { range } => {
                let bits = self.bits();
                let bytes = bits.len() as i128 / 8;
                let count = match range {
                    _ if self.bits.is_none() => 0,
                    None => bits.iter().filter(|&&bit| bit).count(),
                    Some((start, end, _)) if *start < 0 && *end < 0 && start > end => 0,
                    Some((start, end, in_bits)) => {
                        let units = if *in_bits { bytes * 8 } else { bytes };
                        let per_unit = if *in_bits { 1 } else { 8 };
                        match Model::range(*start, *end, units) {
                            None => 0,
                            Some((first, last)) => (first * per_unit..(last + 1) * per_unit)
                                .filter(|&bit| bits[bit as usize])
                                .count(),
                        }
                    }
                };
                integer(count as i128)
            }
            Op::BitPos { bit, start, end } => {
                let Some(bits) = &self.bits else {
                    return integer(if *bit { -1 } else { 0 });
                };
                let bytes = bits.len() as i128 / 8;
                let in_bits = end.is_some_and(|(_, in_bits)| in_bits);
                let units = if in_bits { bytes * 8 } else { bytes };
                let per_unit = if in_bits { 1 } else { 8 };
                let last_given = end.map_or(-1, |(end, _)| end);
                let Some((first, last)) = Model::range(start.unwrap_or(0), last_given, units)
                else {
                    return integer(-1);
                };
                let found = (first * per_unit..(last + 1) * per_unit)
                    .find(|&index| bits[index as usize] == *bit);
                integer(match found {
                    Some(index) => index,
                    // Without an end, zeros continue past the string.
                    None if !*bit && end.is_none() => bytes * 8,
                    None => -1,
                })
            }
            Op::BitField { fields, read_only } => self.bitfield(fields, *read_only),
        }
    }

    fn field_value(&self, offset: u64, width: u32, signed: bool) -> i128 {
        let mut value: i128 = 0;
        for place in 0..u64::from(width) {
            value = value * 2 + i128::from(self.bit(offset + place));
        }
        if signed && self.bit(offset) {
            value -= 1i128 << width;
        }
        value
    }

    fn bitfield(&mut self, fields: &[Field], read_only: bool) -> String {
        let writes = fields
            .iter()
            .any(|field| !matches!(field.action, Action::Get));
        if read_only && writes {
            return "-ERR BITFIELD_RO only supports the GET subcommand\r\n".into();
        }
        // The key is created, and grown to the last written byte, before anything runs.
        for field in fields {
            if !matches!(field.action, Action::Get) {
                let last = field_offset(field) + u64::from(field.width) - 1;
                let old = self.bit(last);
                self.write_bit(last, old);
            }
        }
        let mut reply = format!("*{}\r\n", fields.len());
        let mut overflow = Overflow::Wrap;
        for field in fields {
            overflow = field.overflow.unwrap_or(overflow);
            let (offset, width, signed) = (field_offset(field), field.width, field.signed);
            let old = self.field_value(offset, width, signed);
            let (wanted, reply_old) = match field.action {
                Action::Get => {
                    reply += &integer(old);
                    continue;
                }
                // Redis reads the value as a 64-bit unsigned integer for an unsigned field.
                Action::Set(value) if !signed => (i128::from(value as u64), true),
                Action::Set(value) => (i128::from(value), true),
                Action::IncrBy(increment) => (old + i128::from(increment), false),
            };
            let (min, max) = if signed {
                (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
            } else {
                (0, (1i128 << width) - 1)
            };
            // Redis 7.0 saturates a signed SET below max - i64::MAX (where its `max - value`
            // wraps) at the maximum.
            let wanted = match field.action {
                Action::Set(value)
                    if signed
                        && width < 64
                        && overflow == Overflow::Sat
                        && i128::from(value) < max - i128::from(i64::MAX) =>
                {
                    max + 1
                }
                _ => wanted,
            };
            let new = if (min..=max).contains(&wanted) {
                wanted
            } else {
                match overflow {
                    Overflow::Fail => {
                        reply += "$-1\r\n";
                        continue;
                    }
                    Overflow::Sat => wanted.clamp(min, max),
                    // The low bits of the two's complement, read back as the field reads them.
                    Overflow::Wrap => {
                        let mut low: i128 = 0;
                        for place in (0..width).rev() {
                            low = low * 2 + ((wanted >> place) & 1);
                        }
                        if signed && (wanted >> (width - 1)) & 1 == 1 {
                            low -= 1i128 << width;
                        }
                        low
                    }
                }
            };
            for place in 0..u64::from(width) {
                let bit = (new >> (u64::from(width) - 1 - place)) & 1 == 1;
                self.write_bit(offset + place, bit);
            }
            reply += &integer(if reply_old { old } else { new });
        }
        reply
    }
}

fn field_offset(field: &Field) -> u64 {
    if field.indexed {
        u64::from(field.offset) * u64::from(field.width)
    } else {
        u64::from(field.offset)
    }
}

/// The request's arguments for `op` on key `k`.
pub fn args(op: &Op) -> Vec<Vec<u8>> {
    fn text(value: impl std::fmt::Display) -> Vec<u8> {
        value.to_string().into_bytes()
    }
    let unit = |in_bits: bool| text(if in_bits { "BIT" } else { "BYTE" });
    let mut args = Vec::new();
    match op {
        Op::Set(bytes) => args.extend([text("SET"), text("k"), bytes.clone()]),
        Op::Del => args.extend([text("DEL"), text("k")]),
        Op::SetBit { offset, on } => {
            args.extend([text("SETBIT"), text("k"), text(offset), text(u8::from(*on))]);
        }
        Op::GetBit { offset } => args.extend([text("GETBIT"), text("k"), text(offset)]),
        Op::BitCount { range } => {
            args.extend([text("BITCOUNT"), text("k")]);
            if let Some((start, end, in_bits)) = range {
                args.extend([text(start), text(end), unit(*in_bits)]);
            }
        }
        Op::BitPos { bit, start, end } => {
            args.extend([text("BITPOS"), text("k"), text(u8::from(*bit))]);
            args.extend(start.map(text));
            if let Some((end, in_bits)) = end {
                args.extend([text(end), unit(*in_bits)]);
            }
        }
        Op::BitField { fields, read_only } => {
            let name = if *read_only {
                "BITFIELD_RO"
            } else {
                "BITFIELD"
            };
            args.extend([text(name), text("k")]);
            for field in fields {
                if let Some(overflow) = field.overflow {
                    args.extend([text("OVERFLOW"), text(format!("{overflow:?}"))]);
                }
                let sign = if field.signed { 'i' } else { 'u' };
                let hash = if field.indexed { "#" } else { "" };
                let (name, value) = match field.action {
                    Action::Get => ("GET", None),
                    Action::Set(value) => ("SET", Some(value)),
                    Action::IncrBy(value) => ("INCRBY", Some(value)),
                };
                args.extend([
                    text(name),
                    text(format!("{sign}{}", field.width)),
                    text(format!("{hash}{}", field.offset)),
                ]);
                args.extend(value.map(text));
            }
        }
    }
    args
}

/// Runs `ops` on a fresh server and on the model; panics at the first differing reply.
pub fn check(ops: &[Op]) {
    let now = Now::new(
        Instant::from_millis(0),
        UnixMillis::from_millis(1_700_000_000_000),
    );
    let mut server = Server::new(Config::default(), now);
    let id = server
        .connection_open(now, "127.0.0.1:1")
        .expect("a connection");
    let mut model = Model::default();
    for op in ops {
        let reply = call(&mut server, now, id, &args(op));
        expect_reply(&mut model, op, &reply);
    }
    server.check_invariants();
}

/// Applies `op` to the model and panics, naming the operation, unless `reply` is its reply.
pub fn expect_reply(model: &mut Model, op: &Op, reply: &[u8]) {
    let expected = model.apply(op);
    assert_eq!(String::from_utf8_lossy(reply), expected, "{op:?}");
}

fn call(server: &mut Server, now: Now, id: ConnectionId, args: &[Vec<u8>]) -> Vec<u8> {
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg);
        request.extend_from_slice(b"\r\n");
    }
    assert_eq!(server.connection_receive(now, id, &request), request.len());
    while let Some(output) = server.poll_output() {
        assert!(!matches!(output, Output::Close { .. }), "closed: {args:?}");
    }
    let reply = server.send_buffer(id).to_vec();
    server.connection_sent(now, id, reply.len());
    while server.poll_output().is_some() {}
    reply
}

/// A number at the edges more often than not: 0, ±1, the extremes of fields and of i64.
fn number(input: &mut Input) -> i64 {
    match input.below(6) {
        0 => i64::from(input.u8() as i8),
        1 => i64::from(input.u16() as i16),
        2 => i64::MAX - i64::from(input.u8()),
        3 => i64::MIN + i64::from(input.u8()),
        4 => (1i64 << input.below(64)).wrapping_sub(i64::from(input.below(3) as u8)),
        _ => -(1i64 << input.below(63)) + i64::from(input.below(3) as u8) - 1,
    }
}

fn field(input: &mut Input) -> Field {
    let signed = input.bool();
    let width = 1 + input.below(if signed { 64 } else { 63 }) as u32;
    let indexed = input.below(4) == 0;
    let offset = if indexed {
        input.below(FIELD_INDEX_MAX as usize) as u32
    } else {
        u32::from(input.u16()) % OFFSET_BITS_MAX
    };
    let action = match input.below(3) {
        0 => Action::Get,
        1 => Action::Set(number(input)),
        _ => Action::IncrBy(number(input)),
    };
    let overflow = match input.below(6) {
        0 => Some(Overflow::Wrap),
        1 => Some(Overflow::Sat),
        2 => Some(Overflow::Fail),
        _ => None,
    };
    Field {
        action,
        signed,
        width,
        offset,
        indexed,
        overflow,
    }
}

/// An operation drawn from fuzzer bytes.
pub fn op(input: &mut Input) -> Op {
    let offset = |input: &mut Input| u32::from(input.u16()) % OFFSET_BITS_MAX;
    let index = |input: &mut Input| i64::from(input.u8() as i8);
    match input.below(8) {
        0 => Op::Set(input.bytes(12).to_vec()),
        1 => Op::Del,
        2 => Op::SetBit {
            offset: offset(input),
            on: input.bool(),
        },
        3 => Op::GetBit {
            offset: offset(input),
        },
        4 => Op::BitCount {
            range: input
                .bool()
                .then(|| (index(input), index(input), input.bool())),
        },
        5 => {
            let bit = input.bool();
            let start = input.bool().then(|| index(input));
            // BITPOS takes an end only after a start.
            let end = (start.is_some() && input.bool()).then(|| (index(input), input.bool()));
            Op::BitPos { bit, start, end }
        }
        _ => {
            let count = 1 + input.below(4);
            Op::BitField {
                fields: (0..count).map(|_| field(input)).collect(),
                read_only: input.below(4) == 0,
            }
        }
    }
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let mut ops = Vec::new();
    while !input.is_empty() && ops.len() < OPS_MAX {
        ops.push(op(&mut input));
    }
    check(&ops);
}
