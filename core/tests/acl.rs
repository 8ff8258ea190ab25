//! ACL as the core does it without a disk: ACL SAVE and ACL LOAD ask the driver for the file
//! and answer when it has, users from `user` lines and `requirepass`, the default user and new
//! connections, and passwords drawn from the seeded source.

mod common;

use common::Harness;
use ferrodis_core::{CloseReason, Config, DiskRequest, DiskToken, Output};

fn with_acl_file() -> Config {
    Config {
        dir: "data".to_string(),
        aclfile: Some("users.acl".to_string()),
        ..Config::default()
    }
}

/// The disk requests the server asked for since the last call.
fn disk_requests(harness: &mut Harness) -> Vec<(DiskToken, DiskRequest)> {
    let outputs = std::mem::take(&mut harness.outputs);
    let mut requests = Vec::new();
    for output in outputs {
        match output {
            Output::Disk { token, request } => requests.push((token, request)),
            other => harness.outputs.push(other),
        }
    }
    requests
}

#[test]
fn acl_save_and_load_wait_for_the_driver_and_answer_with_what_it_did() {
    let mut harness = Harness::new(with_acl_file());
    let admin = harness.open();
    assert_eq!(
        harness.command(admin, "ACL SETUSER alice on >secret ~a* +get"),
        "+OK\r\n"
    );
    // SAVE: one request to replace the file with every user's line; no reply until done.
    assert_eq!(harness.command(admin, "ACL SAVE"), "");
    let requests = disk_requests(&mut harness);
    let [(token, DiskRequest::Replace { path, bytes })] = requests.as_slice() else {
        panic!("{requests:?}");
    };
    assert_eq!(path, "data/users.acl");
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(
        text,
        "user alice on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~a* \
         resetchannels -@all +get\nuser default on nopass ~* &* +@all\n"
    );
    // Another command waits behind the save's reply.
    harness.send(admin, &common::request(&[b"PING"]));
    assert_eq!(harness.take_replies(admin), "");
    harness.server.disk_done(harness.now, *token, Ok(()));
    harness.drain();
    // The commands sent meanwhile run from the next timer.
    harness.run_timers();
    assert_eq!(harness.take_replies(admin), "+OK\r\n+PONG\r\n");
    // A failed write is reported, never taken for success.
    harness.command(admin, "ACL SAVE");
    let (token, _) = disk_requests(&mut harness).remove(0);
    harness.server.disk_done(
        harness.now,
        token,
        Err("No space left on device".to_string()),
    );
    harness.drain();
    assert_eq!(
        harness.take_replies(admin),
        "-ERR There was an error trying to save the ACLs. Please check the server logs for \
         more information\r\n"
    );

    // LOAD: alice's session goes (its user was replaced), the default user's stays.
    let session = harness.open();
    assert_eq!(harness.command(session, "AUTH alice secret"), "+OK\r\n");
    harness.outputs.clear();
    assert_eq!(harness.command(admin, "ACL LOAD"), "");
    let requests = disk_requests(&mut harness);
    let [(token, DiskRequest::Read { path })] = requests.as_slice() else {
        panic!("{requests:?}");
    };
    assert_eq!(path, "data/users.acl");
    let file = b"user bob on nopass ~* +@all\n".to_vec();
    harness.server.disk_read_done(harness.now, *token, Ok(file));
    harness.drain();
    assert_eq!(harness.take_replies(admin), "+OK\r\n");
    assert_eq!(harness.closes(), vec![(session, CloseReason::Killed)]);
    assert_eq!(
        harness.command(admin, "ACL USERS"),
        "*2\r\n$3\r\nbob\r\n$7\r\ndefault\r\n"
    );
    // A file that does not parse changes nothing.
    harness.command(admin, "ACL LOAD");
    let (token, _) = disk_requests(&mut harness).remove(0);
    harness
        .server
        .disk_read_done(harness.now, token, Ok(b"user carol +nosuch\n".to_vec()));
    harness.drain();
    let refused = harness.take_replies(admin);
    assert!(
        refused.starts_with("-ERR users.acl:1: Error in applying operation '+nosuch'"),
        "{refused}"
    );
    assert_eq!(
        harness.command(admin, "ACL USERS"),
        "*2\r\n$3\r\nbob\r\n$7\r\ndefault\r\n"
    );
}

#[test]
fn without_an_acl_file_save_and_load_are_refused() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    for command in ["ACL SAVE", "ACL LOAD"] {
        let reply = harness.command(admin, command);
        assert!(
            reply.starts_with("-ERR This Redis instance is not configured to use an ACL file."),
            "{reply}"
        );
    }
    assert!(disk_requests(&mut harness).is_empty());
}

#[test]
fn user_lines_and_requirepass_decide_who_a_new_connection_is() {
    let mut config = Config {
        requirepass: Some(b"pw".to_vec()),
        ..Config::default()
    };
    config
        .add_user_line("worker on >w ~job:* +@list +ping")
        .unwrap();
    assert!(config.add_user_line("worker on").is_err(), "a second line");
    assert!(config.add_user_line("x +nosuch").is_err());
    assert!(config.add_user_line("x (~a").is_err());
    let mut harness = Harness::new(config);
    let client = harness.open();
    assert_eq!(
        harness.command(client, "PING"),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(harness.command(client, "AUTH worker w"), "+OK\r\n");
    assert_eq!(harness.command(client, "LPUSH job:1 a"), ":1\r\n");
    assert_eq!(
        harness.command(client, "LPUSH other a"),
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
    );
    assert_eq!(
        harness.command(client, "GET job:1"),
        "-NOPERM this user has no permissions to run the 'get' command\r\n"
    );
    // CLIENT KILL USER closes the user's connections.
    let admin = harness.open();
    assert_eq!(harness.command(admin, "AUTH pw"), "+OK\r\n");
    harness.outputs.clear();
    assert_eq!(harness.command(admin, "CLIENT KILL USER worker"), ":1\r\n");
    assert_eq!(
        harness.closes(),
        vec![(client, ferrodis_core::CloseReason::Killed)]
    );
    let client = harness.open();
    assert_eq!(harness.command(client, "AUTH worker w"), "+OK\r\n");
    // RESET goes back to the default user, who needs its password.
    assert_eq!(harness.command(client, "RESET"), "+RESET\r\n");
    assert_eq!(
        harness.command(client, "PING"),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(harness.command(client, "AUTH pw"), "+OK\r\n");
    assert_eq!(harness.command(client, "ACL WHOAMI"), "$7\r\ndefault\r\n");
    // Without the password, the default user logs everyone in again.
    assert_eq!(
        harness.command(client, "CONFIG SET requirepass "),
        "+OK\r\n"
    );
    let next = harness.open();
    assert_eq!(harness.command(next, "PING"), "+PONG\r\n");
}

#[test]
fn generated_passwords_come_from_the_seeded_source() {
    let passwords = |seed: u64| {
        let mut harness = Harness::new(Config {
            seed,
            ..Config::default()
        });
        let client = harness.open();
        (0..3)
            .map(|_| harness.command(client, "ACL GENPASS"))
            .collect::<Vec<_>>()
    };
    let first = passwords(1);
    assert_eq!(first, passwords(1), "the same seed, the same passwords");
    assert_ne!(first, passwords(2));
    assert_ne!(first[0], first[1]);
    assert!(first[0].starts_with("$64\r\n"), "{}", first[0]);
}

/// `redis.acl_check_cmd` answers for the script's user, and refuses a command there is not.
#[test]
fn scripts_ask_whether_their_user_may_run_a_command() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    harness.command(client, "ACL SETUSER bob on >123 +@scripting +set ~x*");
    assert_eq!(harness.command(client, "AUTH bob 123"), "+OK\r\n");
    let check = |harness: &mut Harness, body: &str| {
        let body = format!("return redis.acl_check_cmd({body})");
        harness.send(client, &common::request(&[b"EVAL", body.as_bytes(), b"0"]));
        harness.take_replies(client)
    };
    assert_eq!(check(&mut harness, "'set', 'xx', 1"), ":1\r\n");
    assert_eq!(check(&mut harness, "'hset', 'xx', 'f', 1"), "$-1\r\n");
    assert_eq!(check(&mut harness, "'set', 'yy', 1"), "$-1\r\n");
    let invalid = check(&mut harness, "'invalid-cmd', 'arg'");
    assert!(
        invalid.starts_with("-ERR Invalid command passed to redis.acl_check_cmd() script: "),
        "{invalid}"
    );
}
