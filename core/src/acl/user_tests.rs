//! Selectors against a model of the rules, key patterns against globs, rule errors.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::acl::category::{self, Categories};
use crate::command::COMMANDS;

/// Every command's and subcommand's full name with its categories, read from the table
/// directly (not through the ids).
fn names() -> Vec<(String, Option<String>, Categories)> {
    let mut names = Vec::new();
    for spec in COMMANDS {
        names.push((spec.name.to_string(), None, spec.categories()));
        for sub in spec.subcommands {
            let full = format!("{}|{}", spec.name, sub.name.to_ascii_lowercase());
            names.push((full, Some(spec.name.to_string()), sub.categories));
        }
    }
    names
}

/// The model: the set of full names allowed, changed rule by rule as Redis documents.
fn apply_to_model(model: &mut BTreeSet<String>, rule: &str) {
    let all = names();
    let (allow, target) = rule.split_at(1);
    let allow = allow == "+";
    let touched: Vec<String> = match target.strip_prefix('@') {
        Some("all") => all.iter().map(|(name, ..)| name.clone()).collect(),
        Some(category) => {
            let wanted = Categories::by_name(category.as_bytes()).unwrap();
            // A command in the category brings its subcommands with it.
            let mut touched = Vec::new();
            for (name, parent, categories) in &all {
                if categories.intersects(wanted) {
                    touched.push(name.clone());
                    if parent.is_none() {
                        let prefix = format!("{name}|");
                        touched.extend(
                            all.iter()
                                .filter(|(sub, ..)| sub.starts_with(&prefix))
                                .map(|(sub, ..)| sub.clone()),
                        );
                    }
                }
            }
            touched
        }
        None => {
            let prefix = format!("{target}|");
            all.iter()
                .map(|(name, ..)| name.clone())
                .filter(|name| name == target || name.starts_with(&prefix))
                .collect()
        }
    };
    for name in touched {
        if allow {
            model.insert(name);
        } else {
            model.remove(&name);
        }
    }
}

fn rule() -> impl Strategy<Value = String> {
    let all = names();
    let categories: Vec<&str> = category::ALL.iter().map(|(_, name)| *name).collect();
    (any::<bool>(), 0..3u8, any::<prop::sample::Index>()).prop_map(move |(allow, kind, index)| {
        let sign = if allow { '+' } else { '-' };
        match kind {
            0 => format!("{sign}@{}", index.get(&categories)),
            1 if index.index(8) == 0 => format!("{sign}@all"),
            _ => format!("{sign}{}", index.get(&all).0),
        }
    })
}

proptest! {
    #[test]
    fn rules_allow_what_the_model_allows_and_describe_themselves(
        rules in prop::collection::vec(rule(), 0..12),
    ) {
        let mut selector = Selector::default();
        selector.apply(b"~*").unwrap();
        selector.apply(b"&*").unwrap();
        let mut model = BTreeSet::new();
        for rule in &rules {
            selector.apply(rule.as_bytes()).unwrap();
            apply_to_model(&mut model, rule);
        }
        for spec in COMMANDS {
            if spec.flags.contains(Flags::NO_AUTH) {
                continue;
            }
            let request: Vec<&[u8]> = vec![spec.name.as_bytes(), b"k", b"v", b"w"];
            if spec.subcommands.is_empty() {
                let allowed = model.contains(spec.name);
                prop_assert_eq!(selector.check(spec, &request).is_ok(), allowed, "{}", spec.name);
            }
            for sub in spec.subcommands {
                let request: Vec<&[u8]> = vec![spec.name.as_bytes(), sub.name.as_bytes(), b"k"];
                let full = format!("{}|{}", spec.name, sub.name.to_ascii_lowercase());
                prop_assert_eq!(selector.check(spec, &request).is_ok(), model.contains(&full), "{}", full);
            }
        }
        // What the selector says of itself rebuilds it.
        let described = selector.describe_commands();
        let mut rebuilt = Selector::default();
        for word in described.split(|&byte| byte == b' ') {
            rebuilt.apply(word).unwrap();
        }
        let described = String::from_utf8_lossy(&described);
        prop_assert_eq!(rebuilt.commands, selector.commands, "{}", described);
        prop_assert_eq!(rebuilt.all_future, selector.all_future);
    }

    #[test]
    fn key_patterns_allow_what_they_match_with_the_access_they_grant(
        patterns in prop::collection::vec(("(%R|%W|%RW|)", "[ab]{0,2}[*?]?"), 0..4),
        key in "[ab]{0,3}",
    ) {
        let mut selector = Selector::default();
        let mut accepted = Vec::new();
        for (access, pattern) in &patterns {
            let prefix = if access.is_empty() { "~".to_string() } else { format!("{access}~") };
            // `~*` is `allkeys`, after which a pattern is refused.
            match selector.apply(format!("{prefix}{pattern}").as_bytes()) {
                Ok(()) => accepted.push((access, pattern)),
                Err(error) => prop_assert_eq!(error, RuleError::KeyAfterAllKeys),
            }
        }
        // `~*` allows every key, the empty one too (which no glob matches, as in Redis).
        let all_keys = accepted
            .iter()
            .any(|(access, pattern)| access.is_empty() && pattern.as_str() == "*");
        for (needed, letter) in [(KeyAccess::READ, 'R'), (KeyAccess::WRITE, 'W')] {
            let expected = all_keys || accepted.iter().any(|(access, pattern)| {
                (access.is_empty() || access.contains(letter))
                    && glob_match(pattern.as_bytes(), key.as_bytes(), false)
            });
            prop_assert_eq!(selector.allows_key(key.as_bytes(), needed), expected);
        }
    }
}

#[test]
fn rule_errors_leave_nothing_half_done() {
    let mut user = User::new(b"u", false);
    assert_eq!(user.apply(b"~*", false), Ok(()));
    assert_eq!(user.apply(b"~a", false), Err(RuleError::KeyAfterAllKeys));
    assert_eq!(user.apply(b"<nope", false), Err(RuleError::NoSuchPassword));
    assert_eq!(user.apply(b"#abc", false), Err(RuleError::BadHash));
    assert_eq!(
        user.apply(b"+client|id|x", false),
        Err(RuleError::FirstArgOfSubcommand)
    );
    assert_eq!(
        user.apply(b"+nosuch", false),
        Err(RuleError::UnknownCommand)
    );
    assert_eq!(user.apply(b"bogus", false), Err(RuleError::Syntax));
    assert_eq!(user.apply(b">pw", false), Ok(()));
    assert!(!user.accepts(b"pw"), "off users cannot log in");
    user.apply(b"on", false).unwrap();
    assert!(user.accepts(b"pw"));
    assert!(!user.accepts(b"other"));
    assert_eq!(user.passwords(), [hash_password(b"pw")]);
    user.apply(b"nopass", false).unwrap();
    assert!(user.accepts(b"anything"));
}
