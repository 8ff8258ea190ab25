//! COMMAND DOCS of the sorted set commands.

use super::{block, doc, double, integer, key, oneof, pattern, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "bzmpop",
        "sorted-set",
        "7.0.0",
        "Pops members from the first non-empty sorted set among keys, waiting up to a timeout",
        &[
            double("timeout"),
            integer("numkeys"),
            key("key", 0).multiple(),
            oneof("where", &[pure("min", "MIN"), pure("max", "MAX")]),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(K)+O(M*log(N)) for K keys and M members popped"),
    doc(
        "bzpopmax",
        "sorted-set",
        "5.0.0",
        "Pops the top-scoring member of the first non-empty sorted set, waiting if none",
        &[key("key", 0).multiple(), double("timeout")],
    )
    .complexity("O(log(N)) where N is the size of the sorted set"),
    doc(
        "bzpopmin",
        "sorted-set",
        "5.0.0",
        "Pops the lowest-scoring member of the first non-empty sorted set, waiting if none",
        &[key("key", 0).multiple(), double("timeout")],
    )
    .complexity("O(log(N)) where N is the size of the sorted set"),
    doc(
        "zadd",
        "sorted-set",
        "1.2.0",
        "Inserts scored members into a sorted set or changes existing scores, with flags",
        &[
            key("key", 0),
            oneof("condition", &[pure("nx", "NX"), pure("xx", "XX")])
                .since("3.0.2")
                .optional(),
            oneof("comparison", &[pure("gt", "GT"), pure("lt", "LT")])
                .since("6.2.0")
                .optional(),
            pure("change", "CH").since("3.0.2").optional(),
            pure("increment", "INCR").since("3.0.2").optional(),
            block("score_member", &[double("score"), string("member")]).multiple(),
        ],
    )
    .complexity("O(log(N)) per member added or updated"),
    doc(
        "zcard",
        "sorted-set",
        "1.2.0",
        "Counts the members of a sorted set",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "zcount",
        "sorted-set",
        "2.0.0",
        "Counts sorted set members whose scores fall within a range",
        &[key("key", 0), double("min"), double("max")],
    )
    .complexity("O(log(N))"),
    doc(
        "zdiff",
        "sorted-set",
        "6.2.0",
        "Lists members of the first sorted set missing from the others, optionally with scores",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            pure("withscores", "WITHSCORES").optional(),
        ],
    )
    .complexity("O(L+(N-K)*log(N)), L total size, N first set, K result"),
    doc(
        "zdiffstore",
        "sorted-set",
        "6.2.0",
        "Computes a sorted set difference and saves it under a destination key",
        &[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multiple(),
        ],
    )
    .complexity("O(L+(N-K)*log(N)), L total size, N first set, K result"),
    doc(
        "zincrby",
        "sorted-set",
        "1.2.0",
        "Adds an amount to the score of a sorted set member",
        &[key("key", 0), integer("increment"), string("member")],
    )
    .complexity("O(log(N))"),
    doc(
        "zinter",
        "sorted-set",
        "6.2.0",
        "Lists members common to several sorted sets, combining their scores",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            integer("weight").token("WEIGHTS").optional().multiple(),
            oneof(
                "aggregate",
                &[pure("sum", "SUM"), pure("min", "MIN"), pure("max", "MAX")],
            )
            .token("AGGREGATE")
            .optional(),
            pure("withscores", "WITHSCORES").optional(),
        ],
    )
    .complexity("O(N*K)+O(M*log(M)), N smallest set, K sets, M result"),
    doc(
        "zintercard",
        "sorted-set",
        "7.0.0",
        "Computes the size of a sorted set intersection, stopping early at an optional limit",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            integer("limit").token("LIMIT").optional(),
        ],
    )
    .complexity("O(N*K) with N the smallest set size and K the number of sets"),
    doc(
        "zinterstore",
        "sorted-set",
        "2.0.0",
        "Computes the intersection of sorted sets and saves it under a destination key",
        &[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multiple(),
            integer("weight").token("WEIGHTS").optional().multiple(),
            oneof(
                "aggregate",
                &[pure("sum", "SUM"), pure("min", "MIN"), pure("max", "MAX")],
            )
            .token("AGGREGATE")
            .optional(),
        ],
    )
    .complexity("O(N*K)+O(M*log(M)), N smallest set, K sets, M result"),
    doc(
        "zlexcount",
        "sorted-set",
        "2.8.9",
        "Counts members between two lexicographic bounds in a sorted set",
        &[key("key", 0), string("min"), string("max")],
    )
    .complexity("O(log(N))"),
    doc(
        "zmpop",
        "sorted-set",
        "7.0.0",
        "Pops min- or max-scoring members from the first non-empty sorted set among keys",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            oneof("where", &[pure("min", "MIN"), pure("max", "MAX")]),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(K)+O(M*log(N)) for K keys and M members popped"),
    doc(
        "zmscore",
        "sorted-set",
        "6.2.0",
        "Looks up the scores of several members at once, nil for missing ones",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(N) where N is the number of members requested"),
    doc(
        "zpopmax",
        "sorted-set",
        "5.0.0",
        "Removes the top-scoring members of a sorted set and returns them with scores",
        &[key("key", 0), integer("count").optional()],
    )
    .complexity("O(M*log(N)) where M is the number popped"),
    doc(
        "zpopmin",
        "sorted-set",
        "5.0.0",
        "Removes the lowest-scoring members of a sorted set and returns them with scores",
        &[key("key", 0), integer("count").optional()],
    )
    .complexity("O(M*log(N)) where M is the number popped"),
    doc(
        "zquery",
        "sorted-set",
        "0.1.0",
        "Returns members with scores from a (score, member) position on, with offset and limit",
        &[
            key("key", 0),
            double("score"),
            string("member"),
            integer("offset"),
            integer("limit"),
        ],
    )
    .complexity("O(log(N)+O+M) for offset O and M members returned"),
    doc(
        "zrandmember",
        "sorted-set",
        "6.2.0",
        "Picks random members of a sorted set, optionally with their scores",
        &[
            key("key", 0),
            block(
                "options",
                &[
                    integer("count"),
                    pure("withscores", "WITHSCORES").optional(),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(N) where N is the count requested"),
    doc(
        "zrange",
        "sorted-set",
        "1.2.0",
        "Lists sorted set members in a rank, score or lex range, optionally reversed",
        &[
            key("key", 0),
            string("start"),
            string("stop"),
            oneof(
                "sortby",
                &[pure("byscore", "BYSCORE"), pure("bylex", "BYLEX")],
            )
            .since("6.2.0")
            .optional(),
            pure("rev", "REV").since("6.2.0").optional(),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .since("6.2.0")
                .optional(),
            pure("withscores", "WITHSCORES").optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number returned"),
    doc(
        "zrangebylex",
        "sorted-set",
        "2.8.9",
        "Lists members between two lexicographic bounds, for sets with equal scores",
        &[
            key("key", 0),
            string("min"),
            string("max"),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number returned")
    .deprecated("6.2.0"),
    doc(
        "zrangebyscore",
        "sorted-set",
        "1.0.5",
        "Lists members whose scores lie between two bounds, lowest first, with paging",
        &[
            key("key", 0),
            double("min"),
            double("max"),
            pure("withscores", "WITHSCORES").since("2.0.0").optional(),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number returned")
    .deprecated("6.2.0"),
    doc(
        "zrangestore",
        "sorted-set",
        "6.2.0",
        "Copies a rank, score or lex range of a sorted set into a destination key",
        &[
            key("dst", 0),
            key("src", 1),
            string("min"),
            string("max"),
            oneof(
                "sortby",
                &[pure("byscore", "BYSCORE"), pure("bylex", "BYLEX")],
            )
            .optional(),
            pure("rev", "REV").optional(),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number stored"),
    doc(
        "zrank",
        "sorted-set",
        "2.0.0",
        "Gives the zero-based rank of a member when ordered by ascending score",
        &[key("key", 0), string("member")],
    )
    .complexity("O(log(N))"),
    doc(
        "zrem",
        "sorted-set",
        "1.2.0",
        "Deletes members from a sorted set and reports how many were removed",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(M*log(N)) where M is the number of members removed"),
    doc(
        "zremrangebylex",
        "sorted-set",
        "2.8.9",
        "Deletes all members between two lexicographic bounds of a sorted set",
        &[key("key", 0), string("min"), string("max")],
    )
    .complexity("O(log(N)+M) where M is the number removed"),
    doc(
        "zremrangebyrank",
        "sorted-set",
        "2.0.0",
        "Deletes all sorted set members whose ranks lie within an index range",
        &[key("key", 0), integer("start"), integer("stop")],
    )
    .complexity("O(log(N)+M) where M is the number removed"),
    doc(
        "zremrangebyscore",
        "sorted-set",
        "1.2.0",
        "Deletes all sorted set members whose scores lie between two bounds",
        &[key("key", 0), double("min"), double("max")],
    )
    .complexity("O(log(N)+M) where M is the number removed"),
    doc(
        "zrevrange",
        "sorted-set",
        "1.2.0",
        "Lists sorted set members by rank range with the highest scores first",
        &[
            key("key", 0),
            integer("start"),
            integer("stop"),
            pure("withscores", "WITHSCORES").optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number returned")
    .deprecated("6.2.0"),
    doc(
        "zrevrangebylex",
        "sorted-set",
        "2.8.9",
        "Lists members between two lexicographic bounds in descending order",
        &[
            key("key", 0),
            string("max"),
            string("min"),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number returned")
    .deprecated("6.2.0"),
    doc(
        "zrevrangebyscore",
        "sorted-set",
        "2.2.0",
        "Lists members whose scores lie between two bounds, highest first, with paging",
        &[
            key("key", 0),
            double("max"),
            double("min"),
            pure("withscores", "WITHSCORES").optional(),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
        ],
    )
    .complexity("O(log(N)+M) where M is the number returned")
    .deprecated("6.2.0"),
    doc(
        "zrevrank",
        "sorted-set",
        "2.0.0",
        "Gives the zero-based rank of a member when ordered by descending score",
        &[key("key", 0), string("member")],
    )
    .complexity("O(log(N))"),
    doc(
        "zscan",
        "sorted-set",
        "2.8.0",
        "Walks through the members and scores of a sorted set with a cursor",
        &[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").optional(),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(1) per call; O(N) for a full iteration"),
    doc(
        "zscore",
        "sorted-set",
        "1.2.0",
        "Looks up the score of one sorted set member",
        &[key("key", 0), string("member")],
    )
    .complexity("O(1)"),
    doc(
        "zunion",
        "sorted-set",
        "6.2.0",
        "Lists members found in any of several sorted sets, combining their scores",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            integer("weight").token("WEIGHTS").optional().multiple(),
            oneof(
                "aggregate",
                &[pure("sum", "SUM"), pure("min", "MIN"), pure("max", "MAX")],
            )
            .token("AGGREGATE")
            .optional(),
            pure("withscores", "WITHSCORES").optional(),
        ],
    )
    .complexity("O(N)+O(M*log(M)), N total input size, M result size"),
    doc(
        "zunionstore",
        "sorted-set",
        "2.0.0",
        "Computes the union of sorted sets and saves it under a destination key",
        &[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multiple(),
            integer("weight").token("WEIGHTS").optional().multiple(),
            oneof(
                "aggregate",
                &[pure("sum", "SUM"), pure("min", "MIN"), pure("max", "MAX")],
            )
            .token("AGGREGATE")
            .optional(),
        ],
    )
    .complexity("O(N)+O(M*log(M)), N total input size, M result size"),
];
