//! Our structures beside the obvious library baseline, so that their cost is visible:
//! `cargo bench -p ferrodis-core`. Compare the rows of a group, not absolute times. Baselines:
//! hashbrown for the hashtable, BTreeMap for the AVL tree, BinaryHeap for the TTL heap, and the
//! redis-protocol crate for the RESP parser and encoder.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hint::black_box;

use ferrodis_core::protocol::resp::{Limits, Parse, RequestParser};
use ferrodis_core::reply::Reply;
use ferrodis_core::store::avl::Avl;
use ferrodis_core::store::hashtable::HashTable;
use ferrodis_core::store::heap::{HeapItem, TtlHeap};
use ferrodis_core::{Config, Instant, Now, Server, UnixMillis};

fn main() {
    divan::main();
}

const N: usize = 100_000;

fn keys() -> Vec<Vec<u8>> {
    (0..N)
        .map(|number| format!("key:{number:07}").into_bytes())
        .collect()
}

mod hashtable {
    use super::*;

    #[divan::bench]
    fn ours_insert(bencher: divan::Bencher) {
        let keys = keys();
        bencher.bench_local(|| {
            let mut table = HashTable::new(1);
            for key in &keys {
                table.insert(key, 1u64);
            }
            table
        });
    }

    #[divan::bench]
    fn hashbrown_insert(bencher: divan::Bencher) {
        let keys = keys();
        bencher.bench_local(|| {
            let mut table: hashbrown::HashMap<Box<[u8]>, u64, foldhash::fast::FixedState> =
                hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(1));
            for key in &keys {
                table.insert(key.as_slice().into(), 1u64);
            }
            table
        });
    }

    #[divan::bench]
    fn ours_get(bencher: divan::Bencher) {
        let keys = keys();
        let mut table = HashTable::new(1);
        for key in &keys {
            table.insert(key, 1u64);
        }
        bencher.bench_local(|| {
            keys.iter()
                .filter(|key| table.get(black_box(key)).is_some())
                .count()
        });
    }

    #[divan::bench]
    fn hashbrown_get(bencher: divan::Bencher) {
        let keys = keys();
        let mut table: hashbrown::HashMap<Box<[u8]>, u64, foldhash::fast::FixedState> =
            hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(1));
        for key in &keys {
            table.insert(key.as_slice().into(), 1u64);
        }
        bencher.bench_local(|| {
            keys.iter()
                .filter(|key| table.get(black_box(key.as_slice())).is_some())
                .count()
        });
    }
}

mod ordered {
    use super::*;

    fn numbers() -> Vec<u64> {
        // A fixed scramble, so inserts are not in order.
        (0..N as u64)
            .map(|number| number.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20)
            .collect()
    }

    #[divan::bench]
    fn avl_insert(bencher: divan::Bencher) {
        let numbers = numbers();
        bencher.bench_local(|| {
            let mut tree = Avl::default();
            for &number in &numbers {
                tree.insert(number);
            }
            tree
        });
    }

    #[divan::bench]
    fn btreemap_insert(bencher: divan::Bencher) {
        let numbers = numbers();
        bencher.bench_local(|| {
            let mut tree = BTreeMap::new();
            for &number in &numbers {
                tree.insert(number, ());
            }
            tree
        });
    }

    /// The point of the AVL: rank of an element in O(log n). BTreeMap has to count.
    #[divan::bench]
    fn avl_rank_1000(bencher: divan::Bencher) {
        let numbers = numbers();
        let mut tree = Avl::default();
        let ids: Vec<_> = numbers.iter().map(|&number| tree.insert(number)).collect();
        bencher.bench_local(|| {
            ids.iter()
                .take(1000)
                .map(|&id| tree.rank(black_box(id)))
                .sum::<usize>()
        });
    }

    #[divan::bench]
    fn btreemap_rank_1000(bencher: divan::Bencher) {
        let numbers = numbers();
        let tree: BTreeMap<u64, ()> = numbers.iter().map(|&number| (number, ())).collect();
        bencher.bench_local(|| {
            numbers
                .iter()
                .take(1000)
                .map(|number| tree.range(..black_box(*number)).count())
                .sum::<usize>()
        });
    }
}

mod heap {
    use super::*;

    #[divan::bench]
    fn ttl_heap_push_pop(bencher: divan::Bencher) {
        let keys = keys();
        bencher.bench_local(|| {
            let mut heap = TtlHeap::default();
            let mut moved = |_: &[u8], _: usize| {};
            for (index, key) in keys.iter().enumerate() {
                let deadline = (index as i64).wrapping_mul(7919) % 100_003;
                heap.push(
                    HeapItem {
                        deadline,
                        key: key.as_slice().into(),
                    },
                    &mut moved,
                );
            }
            while !heap.is_empty() {
                heap.remove(0, &mut moved);
            }
        });
    }

    #[divan::bench]
    fn binary_heap_push_pop(bencher: divan::Bencher) {
        let keys = keys();
        bencher.bench_local(|| {
            let mut heap = BinaryHeap::new();
            for (index, key) in keys.iter().enumerate() {
                let deadline = (index as i64).wrapping_mul(7919) % 100_003;
                heap.push(Reverse((deadline, Box::<[u8]>::from(key.as_slice()))));
            }
            while heap.pop().is_some() {}
        });
    }
}

mod resp {
    use super::*;

    fn pipeline() -> Vec<u8> {
        let mut bytes = Vec::new();
        for number in 0..1000 {
            let key = format!("key:{number:07}");
            bytes.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$3\r\nabc\r\n",
                    key.len()
                )
                .as_bytes(),
            );
        }
        bytes
    }

    /// Parsing 1000 pipelined SETs.
    #[divan::bench]
    fn parse_pipeline(bencher: divan::Bencher) {
        let bytes = pipeline();
        let limits = Limits::default();
        bencher.bench_local(|| {
            let mut parser = RequestParser::default();
            let mut commands = 0;
            while let Parse::Command = parser.parse(black_box(&bytes), &limits) {
                commands += parser.args(&bytes).len();
            }
            commands
        });
    }

    /// The same 1000 SETs through redis-protocol's zero-copy decoder (ranges into the buffer,
    /// like ours), one frame at a time.
    #[divan::bench]
    fn parse_pipeline_redis_protocol(bencher: divan::Bencher) {
        let bytes = pipeline();
        bencher.bench_local(|| {
            let mut offset = 0;
            let mut commands = 0;
            while let Ok(Some((frame, used))) =
                redis_protocol::resp2::decode::decode_range(black_box(&bytes[offset..]))
            {
                if let redis_protocol::resp2::types::RangeFrame::Array(args) = frame {
                    commands += args.len();
                }
                offset += used;
            }
            commands
        });
    }

    /// Members and scores of a ZRANGE 0 9 WITHSCORES reply.
    fn zrange_reply() -> Vec<Vec<u8>> {
        (0..10)
            .flat_map(|number| {
                [
                    format!("member:{number:04}").into_bytes(),
                    format!("{}", number * 3).into_bytes(),
                ]
            })
            .collect()
    }

    /// Encoding 1000 replies of 20 bulk strings (ZRANGE 0 9 WITHSCORES) into one buffer.
    #[divan::bench]
    fn encode_replies(bencher: divan::Bencher) {
        let items = zrange_reply();
        let mut out = Vec::new();
        bencher.bench_local(|| {
            out.clear();
            for _ in 0..1000 {
                let mut reply = Reply::new(&mut out, false);
                reply.array(items.len());
                for item in &items {
                    reply.bulk(black_box(item));
                }
            }
            out.len()
        });
    }

    /// The same 1000 replies through redis-protocol's encoder of borrowed frames (the frames
    /// are built once, outside the loop; the buffer is sized once, as its encoder requires).
    #[divan::bench]
    fn encode_replies_redis_protocol(bencher: divan::Bencher) {
        use redis_protocol::resp2::types::BorrowedFrame;
        let items = zrange_reply();
        let frames: Vec<BorrowedFrame<'_>> = items
            .iter()
            .map(|item| BorrowedFrame::BulkString(item))
            .collect();
        let reply = BorrowedFrame::Array(&frames);
        let len = reply.encode_len(false);
        let mut out = vec![0u8; len * 1000];
        bencher.bench_local(|| {
            let mut offset = 0;
            for _ in 0..1000 {
                offset += redis_protocol::resp2::encode::encode_borrowed(
                    &mut out[offset..],
                    black_box(&reply),
                    false,
                )
                .expect("sized for it");
            }
            offset
        });
    }

    /// 1000 pipelined SETs then 1000 GETs through the whole core: parse, execute, encode.
    #[divan::bench]
    fn server_set_get_pipeline(bencher: divan::Bencher) {
        let sets = pipeline();
        let mut gets = Vec::new();
        for number in 0..1000 {
            let key = format!("key:{number:07}");
            gets.extend_from_slice(
                format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).as_bytes(),
            );
        }
        let now = Now::new(Instant::from_millis(0), UnixMillis::from_millis(0));
        let mut server = Server::new(Config::default(), now);
        let id = server.connection_open(now, "bench").unwrap();
        bencher.bench_local(|| {
            for request in [&sets, &gets] {
                server.connection_receive(now, id, request);
                let written = server.send_buffer(id).len();
                server.connection_sent(now, id, written);
                while server.poll_output().is_some() {}
            }
        });
    }
}
