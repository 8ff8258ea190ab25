//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! A HyperLogLog is a string holding Redis's bytes (store/hyperloglog.rs), so it is stored as
//! any string is and every string command reads it. These commands check the header first: a
//! string that is not one gets Redis's own WRONGTYPE text, a sparse one whose runs do not add
//! up gets `INVALIDOBJ`. As in Redis, every command here leaves the string `raw` (Redis
//! unshares the string before it reads it, and OBJECT ENCODING shows it).
//!
//! Changes go through the write path like any other: PFADD writes only when a register rises
//! (or it creates the key), PFMERGE always writes, and PFCOUNT of one key writes the cardinality
//! it computed into the header when the cached one was stale. Redis counts that last write as a
//! change (WATCH sees it) and sends `PFCOUNT key` to replicas and the append-only file, which
//! rebuilds the same bytes; it is recorded for propagation the same way here.
//!
//! Decision: a PFADD that meets a corrupted sparse HyperLogLog halfway through its elements
//! stores nothing, where Redis keeps the registers raised before the corruption was found,
//! without counting the change.

use rand_core::Rng;

use super::args::is_option;
use super::strings::raw_string_mut;
use super::{c_string, ArgCursor, CommandError, CommandResult, Ctx, WRONGTYPE};
use crate::notify;
use crate::store::hyperloglog::{self as hll, Corrupt, Encoding, REGISTERS};
use crate::value::Value;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";
const NO_SUCH_KEY: &str = "ERR The specified key does not exist";

impl From<Corrupt> for CommandError {
    fn from(_: Corrupt) -> CommandError {
        CORRUPT.into()
    }
}

/// The bytes of a HyperLogLog and its encoding; WRONGTYPE for a value of another kind, and
/// Redis's HyperLogLog text for a string that is not one. An integer-encoded string never is
/// (Redis looks at the encoding before the bytes).
fn hll_bytes(value: &Value) -> Result<(&[u8], Encoding), CommandError> {
    if !value.is_string() {
        return Err(WRONGTYPE.into());
    }
    let bytes = value.string_bytes().ok_or(CommandError::from(NOT_HLL))?;
    let encoding = hll::encoding(bytes).ok_or(CommandError::from(NOT_HLL))?;
    Ok((bytes, encoding))
}

/// Re-encodes the string at `key` as raw, its bytes unchanged (not a change): Redis unshares
/// the string a HyperLogLog command is about to read or write.
fn make_raw(ctx: &mut Ctx<'_, '_>, key: &[u8]) {
    let now = ctx.now.wall;
    if let Some(value) = ctx.keyspace.dbs[ctx.db].reencode(now, key) {
        value.make_raw_string();
    }
}

/// Stores `bytes` under `key`, in place of what was there (its TTL kept).
fn store(ctx: &mut Ctx<'_, '_>, key: &[u8], bytes: Vec<u8>) {
    let now = ctx.now.wall;
    let old = ctx.keyspace.dbs[ctx.db].set(now, key, Value::RawStr(Box::new(bytes)), true);
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
}

/// PFADD key [element ...]: 1 when the key was created or a register rose, else 0.
pub(crate) fn pfadd(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let elements = args.rest();
    let now = ctx.now.wall;
    let sparse_bytes_max = ctx.state.config.hll_sparse_bytes_max;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let updated = match db.get(now, key) {
        None => {
            let mut bytes = hll::new_sparse();
            for element in elements {
                hll::add(&mut bytes, element, sparse_bytes_max)?;
            }
            hll::invalidate_cache(&mut bytes);
            store(ctx, key, bytes);
            true
        }
        Some(value) => match hll_bytes(value)? {
            (bytes, Encoding::Dense) => {
                // Dense registers change in place: look first, with read access, whether any
                // rises, so that a PFADD of elements already counted is no change.
                let registers = &bytes[hll::HEADER_BYTES..];
                let rises: Vec<(usize, u8)> = elements
                    .map(hll::register_of)
                    .filter(|&(index, value)| hll::dense_get(registers, index) < value)
                    .collect();
                if rises.is_empty() {
                    make_raw(ctx, key);
                    false
                } else {
                    let bytes = raw_string_mut(db, now, key)?.expect("the key was just read");
                    for (index, value) in rises {
                        hll::raise(bytes, index, value, sparse_bytes_max)?;
                    }
                    hll::invalidate_cache(bytes);
                    true
                }
            }
            (bytes, Encoding::Sparse) => {
                // A sparse one is small (at most `hll-sparse-max-bytes` as written here): the
                // adds run on a copy, which is stored only when a register rose.
                let mut bytes = bytes.to_vec();
                let mut updated = false;
                for element in elements {
                    updated |= hll::add(&mut bytes, element, sparse_bytes_max)?;
                }
                if updated {
                    hll::invalidate_cache(&mut bytes);
                    store(ctx, key, bytes);
                } else {
                    make_raw(ctx, key);
                }
                updated
            }
        },
    };
    if updated {
        ctx.notify(notify::STRING, "pfadd", key);
    }
    ctx.reply.integer(i64::from(updated));
    Ok(())
}

/// PFCOUNT key [key ...]: the estimated cardinality of one HyperLogLog (cached in its header),
/// or of the union of several (missing keys count as empty).
pub(crate) fn pfcount(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let now = ctx.now.wall;
    if args.remaining() > 1 {
        let db = &mut ctx.keyspace.dbs[ctx.db];
        let mut max = Box::new([0u8; REGISTERS]);
        for key in args.rest() {
            if let Some(value) = db.get(now, key) {
                hll::merge_into(&mut max, hll_bytes(value)?.0)?;
            }
        }
        ctx.reply.integer(hll::count_registers(&max) as i64);
        return Ok(());
    }
    let key = args.next_bytes()?;
    let Some(value) = ctx.keyspace.dbs[ctx.db].get(now, key) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let (bytes, _) = hll_bytes(value)?;
    let counted = match hll::cached_cardinality(bytes) {
        Some(cardinality) => Ok((cardinality, false)),
        None => hll::count(bytes).map(|cardinality| (cardinality, true)),
    };
    make_raw(ctx, key);
    let (cardinality, stale) = counted?;
    if stale {
        let db = &mut ctx.keyspace.dbs[ctx.db];
        let bytes = raw_string_mut(db, now, key)?.expect("the key was just read");
        hll::set_cached_cardinality(bytes, cardinality);
        ctx.propagate(&[b"PFCOUNT", key]);
    }
    // The top bit is the "stale" flag, so a cached value fits an i64.
    ctx.reply.integer(cardinality as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]: the destination (itself a source) raised to the largest of
/// each register; dense if any source was.
pub(crate) fn pfmerge(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let now = ctx.now.wall;
    let sparse_bytes_max = ctx.state.config.hll_sparse_bytes_max;
    let destination = args.peek().expect("the arity requires a destination");
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let mut max = Box::new([0u8; REGISTERS]);
    let mut any_dense = false;
    for key in args.rest() {
        if let Some(value) = db.get(now, key) {
            let (bytes, encoding) = hll_bytes(value)?;
            any_dense |= encoding == Encoding::Dense;
            hll::merge_into(&mut max, bytes)?;
        }
    }
    let mut bytes = match db.get(now, destination) {
        Some(value) => hll_bytes(value)?.0.to_vec(),
        None => hll::new_sparse(),
    };
    if any_dense {
        hll::to_dense(&mut bytes)?;
    }
    for (index, &value) in max.iter().enumerate() {
        if value > 0 {
            hll::raise(&mut bytes, index, value, sparse_bytes_max)?;
        }
    }
    hll::invalidate_cache(&mut bytes);
    store(ctx, destination, bytes);
    // Redis names PFMERGE's event `pfadd`: a merge adds many elements at once.
    ctx.notify(notify::STRING, "pfadd", destination);
    ctx.reply.ok();
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Debug {
    GetRegisters,
    Decode,
    Encoding,
    ToDense,
}

/// PFDEBUG GETREG | DECODE | ENCODING | TODENSE key: the registers, the sparse opcodes as
/// text, the encoding, or a conversion to dense (1 if it converted). GETREG converts too. The
/// key is looked up and checked before the subcommand, as Redis does.
pub(crate) fn pfdebug(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let name = args.next_bytes()?;
    let key = args.next_bytes()?;
    let subcommand = [
        ("GETREG", Debug::GetRegisters),
        ("DECODE", Debug::Decode),
        ("ENCODING", Debug::Encoding),
        ("TODENSE", Debug::ToDense),
    ]
    .into_iter()
    .find(|(option, _)| is_option(name, option))
    .map(|(_, subcommand)| subcommand);
    let now = ctx.now.wall;
    let Some(value) = ctx.keyspace.dbs[ctx.db].get(now, key) else {
        return Err(NO_SUCH_KEY.into());
    };
    let (bytes, encoding) = hll_bytes(value)?;
    // What the subcommand needs of the bytes, read before the string is made raw.
    let converts = matches!(subcommand, Some(Debug::GetRegisters | Debug::ToDense));
    let dense = match encoding {
        Encoding::Sparse if converts => {
            let mut dense = bytes.to_vec();
            Some(hll::to_dense(&mut dense).map(|()| dense))
        }
        Encoding::Sparse | Encoding::Dense => None,
    };
    let registers = match (subcommand, &dense) {
        (Some(Debug::GetRegisters), Some(Ok(dense))) => Some(hll::registers(dense)),
        (Some(Debug::GetRegisters), None) => Some(hll::registers(bytes)),
        _ => None,
    };
    let decoded = match (subcommand, encoding) {
        (Some(Debug::Decode), Encoding::Sparse) => Some(hll::decode_sparse(bytes)),
        _ => None,
    };
    make_raw(ctx, key);
    let converted = match dense {
        Some(dense) => {
            // Redis counts the conversion as a change, so that replicas convert too.
            store(ctx, key, dense?);
            true
        }
        None => false,
    };
    match subcommand {
        Some(Debug::GetRegisters) => {
            let registers = registers.expect("read for GETREG")?;
            ctx.reply.array(REGISTERS);
            for &register in registers.iter() {
                ctx.reply.integer(i64::from(register));
            }
        }
        Some(Debug::ToDense) => ctx.reply.integer(i64::from(converted)),
        Some(Debug::Decode) => {
            let decoded = decoded.ok_or(CommandError::from("ERR HLL encoding is not sparse"))?;
            ctx.reply.bulk(decoded.as_bytes());
        }
        Some(Debug::Encoding) => ctx.reply.simple(match encoding {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }),
        None => {
            return Err(CommandError::concat(&[
                b"ERR Unknown PFDEBUG subcommand '",
                c_string(name),
                b"'",
            ]))
        }
    }
    Ok(())
}

/// Rounds of PFSELFTEST's register test, and the elements of its estimate test (Redis's).
const SELFTEST_REGISTER_ROUNDS: usize = 1000;
const SELFTEST_ELEMENTS: u64 = 10_000_000;

/// PFSELFTEST: sets every dense register to random values and reads them back, then adds ten
/// million elements to a dense and a sparse HyperLogLog, checking at every power of ten that
/// they agree and that the estimate is within six standard errors. Bounded work, as in Redis
/// (about a second).
pub(crate) fn pfselftest(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let random = &mut ctx.state.random;
    let mut registers = vec![0u8; hll::DENSE_BYTES - hll::HEADER_BYTES];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..SELFTEST_REGISTER_ROUNDS {
        for (index, slot) in expected.iter_mut().enumerate() {
            *slot = (random.next_u32() & 63) as u8;
            hll::dense_set(&mut registers, index, *slot);
        }
        for (index, &value) in expected.iter().enumerate() {
            let found = hll::dense_get(&registers, index);
            if found != value {
                return Err(CommandError::owned(format!(
                    "TESTFAILED Register {index} should be {value} but is {found}"
                )));
            }
        }
    }
    let sparse_bytes_max = ctx.state.config.hll_sparse_bytes_max;
    let mut dense = hll::new_sparse();
    hll::to_dense(&mut dense)?;
    let mut sparse = hll::new_sparse();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed = random.next_u64();
    let mut checkpoint = 1u64;
    for element in 1..=SELFTEST_ELEMENTS {
        let bytes = (element ^ seed).to_le_bytes();
        hll::add(&mut dense, &bytes, sparse_bytes_max)?;
        hll::add(&mut sparse, &bytes, sparse_bytes_max)?;
        if element != checkpoint {
            continue;
        }
        if (element as usize) < sparse_bytes_max / 2
            && hll::encoding(&sparse) != Some(Encoding::Sparse)
        {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = hll::count(&dense)?;
        if hll::count(&sparse)? != estimate {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        // At 10 a collision is likely enough to pass the general bound: Redis allows 1.
        let error_max = if element == 10 {
            1
        } else {
            (relative_error * 6.0 * element as f64).ceil() as u64
        };
        let error = estimate.abs_diff(element);
        if error > error_max {
            return Err(CommandError::owned(format!(
                "TESTFAILED Too big error. card:{element} abserr:{error}"
            )));
        }
        checkpoint *= 10;
    }
    ctx.reply.ok();
    Ok(())
}
