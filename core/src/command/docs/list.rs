//! COMMAND DOCS of the list commands.

use super::{doc, double, integer, key, oneof, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "blmove",
        "list",
        "6.2.0",
        "Moves an element between lists, waiting up to a timeout if the source is empty",
        &[
            key("source", 0),
            key("destination", 1),
            oneof("wherefrom", &[pure("left", "LEFT"), pure("right", "RIGHT")]),
            oneof("whereto", &[pure("left", "LEFT"), pure("right", "RIGHT")]),
            double("timeout"),
        ],
    )
    .complexity("O(1)"),
    doc(
        "blmpop",
        "list",
        "7.0.0",
        "Pops elements from the first non-empty list among keys, waiting up to a timeout",
        &[
            double("timeout"),
            integer("numkeys"),
            key("key", 0).multiple(),
            oneof("where", &[pure("left", "LEFT"), pure("right", "RIGHT")]),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(N+M) where N is the number of keys and M the elements popped"),
    doc(
        "blpop",
        "list",
        "2.0.0",
        "Pops from the head of the first non-empty list, waiting up to a timeout if all are empty",
        &[key("key", 0).multiple(), double("timeout")],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "brpop",
        "list",
        "2.0.0",
        "Pops from the tail of the first non-empty list, waiting up to a timeout if all are empty",
        &[key("key", 0).multiple(), double("timeout")],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "brpoplpush",
        "list",
        "2.2.0",
        "Moves the tail of one list to the head of another, waiting if the source is empty",
        &[key("source", 0), key("destination", 1), double("timeout")],
    )
    .complexity("O(1)")
    .deprecated("6.2.0"),
    doc(
        "lindex",
        "list",
        "1.0.0",
        "Fetches the list element at a position, counting negatives from the tail",
        &[key("key", 0), integer("index")],
    )
    .complexity("O(N) where N is the number of elements traversed"),
    doc(
        "linsert",
        "list",
        "2.2.0",
        "Puts a new element next to the first occurrence of a pivot value in a list",
        &[
            key("key", 0),
            oneof("where", &[pure("before", "BEFORE"), pure("after", "AFTER")]),
            string("pivot"),
            string("element"),
        ],
    )
    .complexity("O(N) where N is the elements traversed to find the pivot"),
    doc(
        "llen",
        "list",
        "1.0.0",
        "Counts the elements in a list",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "lmove",
        "list",
        "6.2.0",
        "Pops an element from one end of a list and pushes it onto an end of another",
        &[
            key("source", 0),
            key("destination", 1),
            oneof("wherefrom", &[pure("left", "LEFT"), pure("right", "RIGHT")]),
            oneof("whereto", &[pure("left", "LEFT"), pure("right", "RIGHT")]),
        ],
    )
    .complexity("O(1)"),
    doc(
        "lmpop",
        "list",
        "7.0.0",
        "Pops elements from either end of the first non-empty list among the given keys",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            oneof("where", &[pure("left", "LEFT"), pure("right", "RIGHT")]),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(N+M) where N is the number of keys and M the elements popped"),
    doc(
        "lpop",
        "list",
        "1.0.0",
        "Takes one or more elements off the head of a list and returns them",
        &[key("key", 0), integer("count").since("6.2.0").optional()],
    )
    .complexity("O(N) where N is the number of elements popped"),
    doc(
        "lpos",
        "list",
        "6.0.6",
        "Finds the positions of elements equal to a value, with rank, count and scan limits",
        &[
            key("key", 0),
            string("element"),
            integer("rank").token("RANK").optional(),
            integer("num-matches").token("COUNT").optional(),
            integer("len").token("MAXLEN").optional(),
        ],
    )
    .complexity("O(N) where N is the length of the list"),
    doc(
        "lpush",
        "list",
        "1.0.0",
        "Inserts elements at the head of a list, creating the list if needed",
        &[key("key", 0), string("element").multiple()],
    )
    .complexity("O(1) per element"),
    doc(
        "lpushx",
        "list",
        "2.2.0",
        "Inserts elements at the head of a list, but only if the list exists",
        &[key("key", 0), string("element").multiple()],
    )
    .complexity("O(1) per element"),
    doc(
        "lrange",
        "list",
        "1.0.0",
        "Lists the elements between two inclusive indexes of a list",
        &[key("key", 0), integer("start"), integer("stop")],
    )
    .complexity("O(S+N) where S is the start offset and N the elements returned"),
    doc(
        "lrem",
        "list",
        "1.0.0",
        "Deletes occurrences of a value from a list, limited by a count and direction",
        &[key("key", 0), integer("count"), string("element")],
    )
    .complexity("O(N+M) where N is the list length and M the elements removed"),
    doc(
        "lset",
        "list",
        "1.0.0",
        "Replaces the list element at a given index with a new value",
        &[key("key", 0), integer("index"), string("element")],
    )
    .complexity("O(N) where N is the list length; O(1) at either end"),
    doc(
        "ltrim",
        "list",
        "1.0.0",
        "Keeps only the elements within an index range of a list, dropping the rest",
        &[key("key", 0), integer("start"), integer("stop")],
    )
    .complexity("O(N) where N is the number of elements removed"),
    doc(
        "rpop",
        "list",
        "1.0.0",
        "Takes one or more elements off the tail of a list and returns them",
        &[key("key", 0), integer("count").since("6.2.0").optional()],
    )
    .complexity("O(N) where N is the number of elements popped"),
    doc(
        "rpoplpush",
        "list",
        "1.2.0",
        "Moves the last element of a list to the head of another list",
        &[key("source", 0), key("destination", 1)],
    )
    .complexity("O(1)")
    .deprecated("6.2.0"),
    doc(
        "rpush",
        "list",
        "1.0.0",
        "Adds elements to the tail of a list, creating the list if needed",
        &[key("key", 0), string("element").multiple()],
    )
    .complexity("O(1) per element"),
    doc(
        "rpushx",
        "list",
        "2.2.0",
        "Adds elements to the tail of a list, but only if the list exists",
        &[key("key", 0), string("element").multiple()],
    )
    .complexity("O(1) per element"),
];
