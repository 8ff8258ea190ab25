//! The snapshot against a model: a copy of the keyspace taken when it began. Random writes,
//! expiry, rehashing, flushes and swaps between random steps; directed cases for the slot moves;
//! the work per step.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::store::set::{self, SetMut};

/// Key -> (value, deadline): what a snapshot must hand out.
type Model = BTreeMap<Vec<u8>, (Value, Option<UnixMillis>)>;
/// What a snapshot handed out, in order.
type Visited = Vec<(Vec<u8>, Value, Option<UnixMillis>)>;

const START: UnixMillis = UnixMillis::from_millis(1_000_000);

fn key(number: u32) -> Vec<u8> {
    format!("key:{number}").into_bytes()
}

/// Every stored entry, expired or not, with its deadline.
fn image_of(db: &Db) -> Model {
    db.keys
        .iter()
        .map(|(key, value)| (key.to_vec(), (value.clone(), db.expiry(key))))
        .collect()
}

fn step(db: &mut Db, budget: usize, visited: &mut Visited) -> bool {
    db.snapshot_step(budget, |key, value, deadline, _clock| {
        visited.push((key.to_vec(), value.clone(), deadline))
    })
}

fn step_to_end(db: &mut Db, budget: usize, visited: &mut Visited) {
    let steps_max = db.len() + 1_000;
    for _ in 0..steps_max {
        if step(db, budget, visited) {
            assert!(!db.snapshot_running());
            return;
        }
    }
    panic!("a snapshot ends within {steps_max} steps");
}

/// Every key of the model exactly once, as it was; nothing else.
fn compare(visited: &Visited, model: &Model) -> Result<(), String> {
    let mut seen = Model::new();
    for (key, value, deadline) in visited {
        let name = String::from_utf8_lossy(key);
        if seen
            .insert(key.clone(), (value.clone(), *deadline))
            .is_some()
        {
            return Err(format!("{name} visited twice"));
        }
        match model.get(key) {
            None => return Err(format!("{name} visited but created after the beginning")),
            Some(expected) if *expected != (value.clone(), *deadline) => {
                return Err(format!(
                    "{name} visited as {value:?} {deadline:?}, was {expected:?}"
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(missed) = model.keys().find(|key| !seen.contains_key(*key)) {
        return Err(format!("{} never visited", String::from_utf8_lossy(missed)));
    }
    Ok(())
}

fn string(text: &str) -> Value {
    Value::from_bytes(text.as_bytes())
}

/// A keyspace of `count` short strings, every third with a deadline.
fn filled(seed: u64, count: u32) -> Db {
    let mut db = Db::new(seed);
    for number in 0..count {
        let deadline =
            (number % 3 == 0).then(|| UnixMillis::from_millis(2_000_000 + i64::from(number)));
        db.set_with_expiry(START, &key(number), string(&format!("v{number}")), deadline);
    }
    db
}

fn snapshot_of(db: &Db) -> &Snapshot {
    db.snapshot.as_deref().expect("a snapshot runs")
}

/// The change a test makes through `modify`: a string grows by a byte, an integer by one.
fn change_in_place(value: &mut Value) {
    match value {
        Value::Int(number) => *number = number.wrapping_add(1),
        Value::Str(_) | Value::RawStr(_) => {
            value.make_raw_string();
            let Value::RawStr(bytes) = value else {
                unreachable!("made raw just above")
            };
            bytes.push(b'+');
        }
        other => panic!("the tests store strings only, not {other:?}"),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set {
        db: usize,
        key: u32,
        value: u32,
        ttl: Option<i64>,
    },
    SetKeepTtl {
        db: usize,
        key: u32,
        value: u32,
    },
    Modify {
        db: usize,
        key: u32,
    },
    Remove {
        db: usize,
        key: u32,
    },
    SetExpiry {
        db: usize,
        key: u32,
        ttl: i64,
    },
    ClearExpiry {
        db: usize,
        key: u32,
    },
    /// A read, which deletes the key if its deadline has passed (lazy expiry).
    Read {
        db: usize,
        key: u32,
    },
    Advance {
        millis: i64,
    },
    ExpireStep {
        db: usize,
        keys_max: usize,
    },
    Rehash {
        db: usize,
        buckets: usize,
    },
    /// Many inserts, so that the table grows.
    InsertMany {
        db: usize,
        from: u32,
        count: u32,
    },
    /// Many removals, so that the table shrinks.
    RemoveMany {
        db: usize,
        from: u32,
        count: u32,
    },
    Flush {
        db: usize,
    },
    Swap,
    Begin {
        db: usize,
    },
    Step {
        which: usize,
        budget: usize,
    },
    Abort {
        which: usize,
    },
}

const KEYS: u32 = 1_500;

fn op() -> impl Strategy<Value = Op> {
    let db = || 0..2usize;
    // Mostly a few hot keys, so that one key is changed, removed and created again.
    let key = || prop_oneof![0..24u32, 0..KEYS];
    prop_oneof![
        6 => (db(), key(), any::<u32>(), prop::option::of(-5..40i64))
            .prop_map(|(db, key, value, ttl)| Op::Set { db, key, value, ttl }),
        2 => (db(), key(), any::<u32>()).prop_map(|(db, key, value)| Op::SetKeepTtl { db, key, value }),
        4 => (db(), key()).prop_map(|(db, key)| Op::Modify { db, key }),
        4 => (db(), key()).prop_map(|(db, key)| Op::Remove { db, key }),
        3 => (db(), key(), -5..40i64).prop_map(|(db, key, ttl)| Op::SetExpiry { db, key, ttl }),
        2 => (db(), key()).prop_map(|(db, key)| Op::ClearExpiry { db, key }),
        3 => (db(), key()).prop_map(|(db, key)| Op::Read { db, key }),
        2 => (0..20i64).prop_map(|millis| Op::Advance { millis }),
        2 => (db(), 0..50usize).prop_map(|(db, keys_max)| Op::ExpireStep { db, keys_max }),
        2 => (db(), 0..8usize).prop_map(|(db, buckets)| Op::Rehash { db, buckets }),
        1 => (db(), 0..KEYS, 0..600u32).prop_map(|(db, from, count)| Op::InsertMany { db, from, count }),
        1 => (db(), 0..KEYS, 0..900u32).prop_map(|(db, from, count)| Op::RemoveMany { db, from, count }),
        1 => db().prop_map(|db| Op::Flush { db }),
        1 => Just(Op::Swap),
        2 => db().prop_map(|db| Op::Begin { db }),
        10 => (any::<usize>(), 1..40usize).prop_map(|(which, budget)| Op::Step { which, budget }),
        1 => any::<usize>().prop_map(|which| Op::Abort { which }),
    ]
}

/// A snapshot in progress in the test: its model and what it handed out so far.
struct Run {
    model: Model,
    visited: Visited,
}

struct World {
    /// The two numbered keyspaces the writes go to.
    dbs: [Db; 2],
    /// Keyspaces flushed away with a running snapshot: only stepped from then on.
    detached: Vec<Db>,
    /// By the tag each snapshot began with.
    runs: BTreeMap<usize, Run>,
    next_tag: usize,
    now: UnixMillis,
}

impl World {
    fn new(seed: u64, initial: u32) -> World {
        World {
            dbs: [filled(seed, initial), Db::new(seed ^ 1)],
            detached: Vec::new(),
            runs: BTreeMap::new(),
            next_tag: 0,
            now: START,
        }
    }

    fn begin(&mut self, db: usize) {
        if self.dbs[db].snapshot_running() {
            return;
        }
        let tag = self.next_tag;
        self.next_tag += 1;
        let model = image_of(&self.dbs[db]);
        self.runs.insert(
            tag,
            Run {
                model,
                visited: Vec::new(),
            },
        );
        self.dbs[db].snapshot_begin(tag);
        assert_eq!(self.dbs[db].snapshot_origin(), Some(tag));
    }

    fn running(&mut self) -> Vec<&mut Db> {
        running(&mut self.dbs, &mut self.detached)
    }

    fn step(&mut self, which: usize, budget: usize) -> Result<(), String> {
        let mut running = running(&mut self.dbs, &mut self.detached);
        if running.is_empty() {
            return Ok(());
        }
        let count = running.len();
        let db = &mut running[which % count];
        let tag = db.snapshot_origin().expect("running");
        let run = self.runs.get_mut(&tag).expect("every snapshot has its run");
        if step(db, budget, &mut run.visited) {
            let run = self.runs.remove(&tag).expect("just used");
            compare(&run.visited, &run.model)?;
        }
        self.detached.retain(Db::snapshot_running);
        Ok(())
    }

    fn apply(&mut self, op: Op) -> Result<(), String> {
        let now = self.now;
        let deadline = |ttl: i64| UnixMillis::from_millis(now.as_millis() + ttl);
        match op {
            Op::Set {
                db,
                key: k,
                value,
                ttl,
            } => {
                let value = if value % 2 == 0 {
                    string(&value.to_string())
                } else {
                    string(&format!("v{value}"))
                };
                self.dbs[db].set_with_expiry(now, &key(k), value, ttl.map(deadline));
            }
            Op::SetKeepTtl { db, key: k, value } => {
                self.dbs[db].set(now, &key(k), string(&format!("kept{value}")), true);
            }
            Op::Modify { db, key: k } => {
                if let Some(value) = self.dbs[db].modify(now, &key(k)) {
                    change_in_place(value);
                }
            }
            Op::Remove { db, key: k } => {
                self.dbs[db].remove(now, &key(k));
            }
            Op::SetExpiry { db, key: k, ttl } => {
                self.dbs[db].set_expiry(&key(k), deadline(ttl));
            }
            Op::ClearExpiry { db, key: k } => {
                self.dbs[db].clear_expiry(&key(k));
            }
            Op::Read { db, key: k } => {
                self.dbs[db].get(now, &key(k));
            }
            Op::Advance { millis } => self.now = deadline(millis),
            Op::ExpireStep { db, keys_max } => {
                self.dbs[db].expire_step(now, keys_max);
            }
            Op::Rehash { db, buckets } => {
                self.dbs[db].rehash_step(buckets);
            }
            Op::InsertMany { db, from, count } => {
                for k in from..(from + count).min(KEYS) {
                    self.dbs[db].set(now, &key(k), string(&format!("many{k}")), false);
                }
            }
            Op::RemoveMany { db, from, count } => {
                for k in from..(from + count).min(KEYS) {
                    self.dbs[db].remove(now, &key(k));
                }
            }
            Op::Flush { db } => {
                let old = self.dbs[db].flush(now);
                assert!(self.dbs[db].is_empty() && !self.dbs[db].snapshot_running());
                if old.snapshot_running() {
                    self.detached.push(old);
                }
            }
            Op::Swap => {
                let [first, second] = &mut self.dbs;
                first.swap_contents(second, now);
            }
            Op::Begin { db } => self.begin(db),
            Op::Step { which, budget } => self.step(which, budget)?,
            Op::Abort { which } => {
                let mut running = self.running();
                if !running.is_empty() {
                    let count = running.len();
                    let db = &mut running[which % count];
                    let tag = db.snapshot_origin().expect("running");
                    db.snapshot_abort();
                    assert!(!db.snapshot_running());
                    self.runs.remove(&tag);
                    self.detached.retain(Db::snapshot_running);
                }
            }
        }
        for db in self.dbs.iter().chain(&self.detached) {
            db.check_invariants();
        }
        Ok(())
    }

    /// Steps every running snapshot to its end and checks it.
    fn finish(&mut self) -> Result<(), String> {
        while !self.running().is_empty() {
            self.step(0, 16)?;
        }
        assert!(self.runs.is_empty(), "every run ended with its snapshot");
        Ok(())
    }
}

fn running<'w>(dbs: &'w mut [Db; 2], detached: &'w mut [Db]) -> Vec<&'w mut Db> {
    dbs.iter_mut()
        .chain(detached.iter_mut())
        .filter(|db| db.snapshot_running())
        .collect()
}

fn run_world(seed: u64, initial: u32, begin_both: bool, ops: Vec<Op>) -> Result<(), String> {
    let mut world = World::new(seed, initial);
    world.begin(0);
    if begin_both {
        world.begin(1);
    }
    for op in ops {
        world.apply(op)?;
    }
    world.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Each snapshot hands out exactly the keyspace as it was when it began, whatever happened
    /// between its steps.
    #[test]
    fn a_snapshot_is_the_keyspace_at_its_beginning(
        seed: u64,
        initial in 0..800u32,
        begin_both: bool,
        ops in prop::collection::vec(op(), 0..160),
    ) {
        if let Err(error) = run_world(seed, initial, begin_both, ops) {
            prop_assert!(false, "{}", error);
        }
    }
}

/// The checker catches a value changed behind the write path's back.
#[test]
fn the_checker_fails_on_a_change_the_snapshot_missed() {
    let mut db = filled(7, 50);
    let model = image_of(&db);
    db.snapshot_begin(0);
    let (unvisited, _) = db.keys.entry_in_slot(49);
    let unvisited = unvisited.to_vec();
    *db.keys.get_mut(&unvisited).expect("stored") = string("changed unseen");
    let mut visited = Vec::new();
    step_to_end(&mut db, 10, &mut visited);
    let error = compare(&visited, &model).expect_err("the change must show");
    assert!(error.contains("visited as"), "{error}");

    let mut twice = visited.clone();
    twice.push(visited[0].clone());
    assert!(compare(&twice, &image_of(&db)).is_err());
}

/// Removing a visited key moves the last entry into its slot; that entry, not visited yet, must
/// not fall into the part already walked.
#[test]
fn a_removal_below_the_cursor_keeps_the_last_entry_to_visit() {
    let mut db = filled(11, 100);
    let model = image_of(&db);
    db.snapshot_begin(0);
    let mut visited = Vec::new();
    // Two units an entry: ten entries.
    assert!(!step(&mut db, 20, &mut visited));
    assert_eq!(visited.len(), 10);
    assert_eq!(snapshot_of(&db).cursor, 10);
    let (first, _) = db.keys.entry_in_slot(0);
    let first = first.to_vec();
    let (last, _) = db.keys.entry_in_slot(99);
    let last = last.to_vec();
    db.remove(START, &first).expect("stored");
    assert!(
        snapshot_of(&db).cursor <= db.keys.slot_of(&last).expect("stored"),
        "the moved entry is still ahead of the cursor"
    );
    assert!(
        snapshot_of(&db).pending.is_empty(),
        "a visited key needs no image"
    );
    step_to_end(&mut db, 20, &mut visited);
    compare(&visited, &model).unwrap();
}

/// A key removed and created again before its visit is visited once, as it was.
#[test]
fn a_key_removed_and_created_again_is_visited_as_it_was() {
    let mut db = filled(13, 40);
    let model = image_of(&db);
    db.snapshot_begin(0);
    let mut visited = Vec::new();
    assert!(!step(&mut db, 10, &mut visited));
    let (unvisited, _) = db.keys.entry_in_slot(30);
    let unvisited = unvisited.to_vec();
    db.remove(START, &unvisited).expect("stored");
    db.set_expiring(START, &unvisited, string("new"), UnixMillis::from_millis(5));
    db.modify(START, &unvisited).map(change_in_place);
    step_to_end(&mut db, 10, &mut visited);
    compare(&visited, &model).unwrap();
    let times = visited
        .iter()
        .filter(|(key, _, _)| *key == unvisited)
        .count();
    assert_eq!(times, 1);
}

/// A key changed after its visit keeps no image and is not visited again.
#[test]
fn a_change_after_the_visit_costs_no_image() {
    let mut db = filled(17, 40);
    let model = image_of(&db);
    db.snapshot_begin(0);
    let mut visited = Vec::new();
    assert!(!step(&mut db, 10, &mut visited));
    let seen = visited[0].0.clone();
    db.modify(START, &seen).map(change_in_place);
    db.set_expiry(&seen, UnixMillis::from_millis(9));
    assert!(snapshot_of(&db).pending.is_empty());
    step_to_end(&mut db, 10, &mut visited);
    compare(&visited, &model).unwrap();
}

/// A key changed before its visit is kept once, however often it changes.
#[test]
fn a_key_changed_before_its_visit_is_kept_once() {
    let mut db = filled(19, 40);
    let model = image_of(&db);
    db.snapshot_begin(3);
    let (unvisited, _) = db.keys.entry_in_slot(20);
    let unvisited = unvisited.to_vec();
    for _ in 0..5 {
        db.modify(START, &unvisited).map(change_in_place);
        db.clear_expiry(&unvisited);
    }
    assert_eq!(snapshot_of(&db).pending.len(), 1);
    let mut visited = Vec::new();
    step_to_end(&mut db, 7, &mut visited);
    compare(&visited, &model).unwrap();
}

/// Keys whose deadline had passed but were still stored are visited, as Redis's fork writes them.
#[test]
fn keys_expired_but_stored_at_the_beginning_are_visited() {
    let mut db = filled(23, 30);
    let later = UnixMillis::from_millis(3_000_000);
    let model = image_of(&db);
    assert!(model
        .values()
        .any(|(_, deadline)| deadline.is_some_and(|at| at < later)));
    db.snapshot_begin(0);
    let mut visited = Vec::new();
    assert!(!step(&mut db, 4, &mut visited));
    // Expiry removes them between the steps, lazily and actively.
    db.get(later, &key(27));
    db.expire_step(later, 1_000);
    assert_eq!(db.expires_count(), 0);
    step_to_end(&mut db, 4, &mut visited);
    compare(&visited, &model).unwrap();
}

/// FLUSHDB: the snapshot goes with the contents, and the emptied keyspace starts afresh.
#[test]
fn a_flushed_keyspace_keeps_its_snapshot() {
    let mut db = filled(29, 60);
    let model = image_of(&db);
    db.snapshot_begin(4);
    let mut visited = Vec::new();
    assert!(!step(&mut db, 10, &mut visited));
    let mut old = db.flush(START);
    assert!(!db.snapshot_running());
    assert_eq!(old.snapshot_origin(), Some(4));
    db.set(START, &key(1), string("after the flush"), false);
    db.snapshot_begin(4);
    let mut visited_new = Vec::new();
    step_to_end(&mut db, 10, &mut visited_new);
    assert_eq!(visited_new.len(), 1);
    step_to_end(&mut old, 10, &mut visited);
    compare(&visited, &model).unwrap();
}

/// SWAPDB: each snapshot follows the contents it was taken of.
#[test]
fn after_swapdb_each_snapshot_follows_its_contents() {
    let mut first = filled(31, 50);
    let mut second = filled(37, 8);
    let (first_model, second_model) = (image_of(&first), image_of(&second));
    first.snapshot_begin(0);
    second.snapshot_begin(1);
    let (mut first_visited, mut second_visited) = (Vec::new(), Vec::new());
    assert!(!step(&mut first, 10, &mut first_visited));
    first.swap_contents(&mut second, START);
    assert_eq!(second.snapshot_origin(), Some(0));
    assert_eq!(first.snapshot_origin(), Some(1));
    second.remove(START, &key(49));
    first.set(START, &key(100), string("new"), false);
    step_to_end(&mut second, 10, &mut first_visited);
    step_to_end(&mut first, 10, &mut second_visited);
    compare(&first_visited, &first_model).unwrap();
    compare(&second_visited, &second_model).unwrap();
}

#[test]
#[should_panic(expected = "running already")]
fn a_second_snapshot_of_a_keyspace_is_refused() {
    let mut db = filled(41, 3);
    db.snapshot_begin(0);
    db.snapshot_begin(0);
}

#[test]
fn an_aborted_snapshot_keeps_nothing() {
    let mut db = filled(43, 20);
    db.snapshot_begin(0);
    db.modify(START, &key(5)).map(change_in_place);
    db.snapshot_abort();
    assert!(!db.snapshot_running());
    db.remove(START, &key(6));
    db.check_invariants();
    db.snapshot_begin(1);
    let model = image_of(&db);
    let mut visited = Vec::new();
    step_to_end(&mut db, 5, &mut visited);
    compare(&visited, &model).unwrap();
}

#[test]
fn an_empty_keyspace_completes_at_the_first_step() {
    let mut db = Db::new(47);
    db.snapshot_begin(0);
    let mut visited = Vec::new();
    assert!(step(&mut db, 1, &mut visited));
    assert!(visited.is_empty() && !db.snapshot_running());
}

/// The work one entry costs, counted independently of `value_work` for the values tests store.
fn expected_work(value: &Value) -> usize {
    let units = match value {
        Value::Int(_) => 1,
        Value::Str(_) | Value::RawStr(_) => {
            let bytes = value.string_bytes().expect("a string").len();
            bytes.div_ceil(1024).max(1)
        }
        Value::Set(table) => table.len(),
        other => panic!("the tests store strings and sets only, not {other:?}"),
    };
    1 + units
}

fn big_set(members: usize) -> Value {
    let mut value = set::empty_for(b"member:0", 5);
    let mut set = SetMut::of(&mut value).expect("a set");
    for number in 0..members {
        set.add(format!("member:{number}").as_bytes(), 512, 5);
    }
    value
}

/// A value bigger than the budget takes a step of its own; the steps around it keep to the budget.
#[test]
fn a_huge_value_exceeds_the_budget_only_by_itself() {
    let mut db = filled(53, 30);
    db.set(START, b"huge set", big_set(5_000), false);
    db.set(START, b"huge string", string(&"x".repeat(64 * 1024)), false);
    db.set(START, &key(3), string("after"), false);
    let model = image_of(&db);
    db.snapshot_begin(0);
    let mut visited = Vec::new();
    let mut steps = Vec::new();
    loop {
        let before = visited.len();
        let complete = step(&mut db, 10, &mut visited);
        steps.push(visited[before..].to_vec());
        if complete {
            break;
        }
    }
    compare(&visited, &model).unwrap();
    let mut huge_steps = 0;
    for step in &steps {
        let work: usize = step.iter().map(|(_, value, _)| expected_work(value)).sum();
        if work > 10 {
            huge_steps += 1;
            assert_eq!(step.len(), 1, "an entry over the budget is visited alone");
        }
    }
    assert_eq!(huge_steps, 2);
    assert!(steps.iter().flatten().any(
        |(key, _, _)| key == b"huge set" && expected_work(&model[&b"huge set"[..]].0) == 5_001
    ));
}

#[derive(Debug, Clone)]
enum Write {
    Set { key: u32, bytes: usize },
    Remove { key: u32 },
    Grow { key: u32 },
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        (0..300u32, 0..5_000usize).prop_map(|(key, bytes)| Write::Set { key, bytes }),
        (0..300u32).prop_map(|key| Write::Remove { key }),
        (0..300u32).prop_map(|key| Write::Grow { key }),
    ]
}

proptest! {
    /// Every step does at most its budget of work, or visits one entry alone, and always makes
    /// progress; pending images count as much as stored entries.
    #[test]
    fn the_work_per_step_is_bounded(
        seed: u64,
        sizes in prop::collection::vec(0..10_000usize, 0..300),
        budget in 1..64usize,
        writes in prop::collection::vec(prop::collection::vec(write(), 0..6), 0..400),
    ) {
        let mut db = Db::new(seed);
        for (number, bytes) in sizes.iter().enumerate() {
            db.set(START, &key(number as u32), string(&"b".repeat(*bytes)), false);
        }
        let model = image_of(&db);
        db.snapshot_begin(0);
        let mut visited = Vec::new();
        let mut writes = writes.into_iter();
        loop {
            let before = visited.len();
            let complete = step(&mut db, budget, &mut visited);
            let this_step = &visited[before..];
            let work: usize = this_step.iter().map(|(_, value, _)| expected_work(value)).sum();
            prop_assert!(!this_step.is_empty() || complete);
            prop_assert!(work <= budget || this_step.len() == 1, "{} units in {} entries", work, this_step.len());
            if complete {
                break;
            }
            for write in writes.next().unwrap_or_default() {
                match write {
                    Write::Set { key: k, bytes } => {
                        db.set(START, &key(k), string(&"s".repeat(bytes)), false);
                    }
                    Write::Remove { key: k } => {
                        db.remove(START, &key(k));
                    }
                    Write::Grow { key: k } => {
                        db.modify(START, &key(k)).map(change_in_place);
                    }
                }
            }
        }
        if let Err(error) = compare(&visited, &model) {
            prop_assert!(false, "{}", error);
        }
    }
}
