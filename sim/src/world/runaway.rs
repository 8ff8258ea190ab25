//! A script that runs away, and SCRIPT KILL. In a seed that draws it, before any client
//! connects, one probe connection lowers `busy-reply-threshold` to 10 ms (1,000,000 Lua
//! instructions) and another sends an endless script: the script is suspended, the first
//! connection gets `-BUSY` for anything but SCRIPT KILL, the timer resumes the script for a few
//! slices, SCRIPT KILL stops it, its caller gets the kill error, and the server answers again.
//! Everything the script does is counted in instructions, so the same seed replays it exactly,
//! which `--check-determinism` checks through the trace.

use ferrodis_core::ConnectionId;

use super::{Failure, Owner, World};
use crate::reply::reply_len;

const BUSY: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const KILLED: &[u8] = b"-ERR Script killed by user with SCRIPT KILL... script: ";
/// Timer calls for the killed script to notice: the hook looks every 10,000 instructions.
const KILL_TIMER_CALLS_MAX: usize = 8;

fn request(args: &[&[u8]]) -> Vec<u8> {
    let args: Vec<Vec<u8>> = args.iter().map(|arg| arg.to_vec()).collect();
    let mut bytes = Vec::new();
    super::encode(&args, &mut bytes);
    bytes
}

impl World<'_> {
    pub fn runaway_script(&mut self) -> Result<(), Failure> {
        if self.server.aof_broken() {
            // PING would be refused (MISCONF) rather than answered BUSY.
            return Ok(());
        }
        let Some(admin) = self.open(Owner::Probe)? else {
            return Ok(());
        };
        let Some(runner) = self.open(Owner::Probe)? else {
            return self.close(admin);
        };
        self.ask(
            admin,
            &[b"CONFIG", b"SET", b"busy-reply-threshold", b"10"],
            b"+OK\r\n",
        )?;
        self.send(
            runner,
            &[b"EVAL", b"local i = 0 while true do i = i + 1 end", b"0"],
        )?;
        self.ask(admin, &[b"PING"], BUSY)?;
        for _ in 0..self.rng.range(0, 4) {
            self.advance(1, 0);
            self.timers(false)?;
        }
        if !self.server.reply_pending(runner).is_empty() {
            return Err(Failure::WrongReply(
                "an endless script answered before SCRIPT KILL".into(),
            ));
        }
        self.ask(admin, &[b"SCRIPT", b"KILL"], b"+OK\r\n")?;
        for _ in 0..KILL_TIMER_CALLS_MAX {
            if !self.server.reply_pending(runner).is_empty() {
                break;
            }
            self.timers(false)?;
        }
        let reply = self.take_reply(runner);
        if !reply.starts_with(KILLED) {
            return Err(Failure::WrongReply(format!(
                "the killed script's caller got {}",
                reply.escape_ascii()
            )));
        }
        self.ask(admin, &[b"PING"], b"+PONG\r\n")?;
        self.ask(
            admin,
            &[b"CONFIG", b"SET", b"busy-reply-threshold", b"5000"],
            b"+OK\r\n",
        )?;
        self.coverage.runaway_scripts += 1;
        self.close(runner)?;
        self.close(admin)
    }

    pub(super) fn send(&mut self, id: ConnectionId, args: &[&[u8]]) -> Result<(), Failure> {
        let bytes = request(args);
        self.trace.bytes(&bytes);
        let taken = self.server.connection_receive(self.now, id, &bytes);
        assert_eq!(taken, bytes.len());
        self.drain()
    }

    /// Sends one command and checks its whole reply.
    fn ask(&mut self, id: ConnectionId, args: &[&[u8]], expected: &[u8]) -> Result<(), Failure> {
        self.send(id, args)?;
        let reply = self.take_reply(id);
        if reply != expected {
            return Err(Failure::WrongReply(format!(
                "{:?} during a runaway script: got {}, expected {}",
                String::from_utf8_lossy(args[0]),
                reply.escape_ascii(),
                expected.escape_ascii()
            )));
        }
        Ok(())
    }

    /// The first complete reply in `id`'s send buffer, taken out (empty if there is none).
    pub(super) fn take_reply(&mut self, id: ConnectionId) -> Vec<u8> {
        if self.release_held(id).is_err() {
            return Vec::new();
        }
        let buffer = self.server.send_buffer(id);
        let Some(len) = reply_len(buffer) else {
            return Vec::new();
        };
        let reply = buffer[..len].to_vec();
        self.trace.bytes(&reply);
        self.server.connection_sent(self.now, id, len);
        reply
    }
}
