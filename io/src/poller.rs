//! Readiness polling for the event loop, level-triggered, keyed by a `usize`.
//!
//! On Linux this is epoll through `rustix`: one `epoll_wait` per loop turn. The `polling` crate,
//! used on other systems, arms a timerfd and re-arms its notifier around every wait (a
//! `timerfd_settime`, two `epoll_ctl` and a `read` besides the `epoll_wait`); at one request per
//! turn those four calls were a third of the server's system calls. The loop's timers are
//! milliseconds, which `epoll_wait` takes directly, and it needs no cross-thread wake-up (the
//! signal pipe is a registered source like any other).

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use ferrodis_core::Interest;

#[cfg(target_os = "linux")]
pub use self::epoll::Poller;
#[cfg(not(target_os = "linux"))]
pub use self::portable::Poller;

/// One ready source: its key and what it is ready for. A hang-up or an error counts as both
/// readable and writable, so that the next read or write finds out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    pub key: usize,
    pub readable: bool,
    pub writable: bool,
}

/// The sources found ready by one wait.
pub struct Events {
    list: Vec<Ready>,
}

/// Ready sources reported per wait; more stay ready and come back next turn (level-triggered).
const EVENTS_PER_WAIT_MAX: usize = 1024;

impl Events {
    pub fn new() -> Events {
        Events {
            list: Vec::with_capacity(EVENTS_PER_WAIT_MAX),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Ready> + '_ {
        self.list.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The timeout in whole milliseconds rounded up, so that a deadline is never woken for early.
fn timeout_millis(timeout: Option<Duration>) -> Option<u64> {
    timeout.map(|timeout| {
        let millis = timeout.as_millis();
        let rounded = if timeout > Duration::from_millis(millis as u64) {
            millis + 1
        } else {
            millis
        };
        u64::try_from(rounded).unwrap_or(u64::MAX)
    })
}

#[cfg(target_os = "linux")]
mod epoll {
    use rustix::buffer::spare_capacity;
    use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
    use rustix::event::Timespec;

    use super::*;

    /// Longest single wait; a longer timeout just means one more turn.
    const WAIT_MILLIS_MAX: u64 = i32::MAX as u64;

    pub struct Poller {
        epoll: std::os::fd::OwnedFd,
        /// The kernel's event records, refilled by each wait.
        raw: Vec<epoll::Event>,
    }

    fn flags_for(interest: Interest) -> EventFlags {
        let mut flags = EventFlags::empty();
        if interest.read {
            flags |= EventFlags::IN | EventFlags::RDHUP;
        }
        if interest.write {
            flags |= EventFlags::OUT;
        }
        flags
    }

    impl Poller {
        pub fn new() -> io::Result<Poller> {
            Ok(Poller {
                epoll: epoll::create(CreateFlags::CLOEXEC)?,
                raw: Vec::with_capacity(EVENTS_PER_WAIT_MAX),
            })
        }

        /// Starts watching `source` under `key`.
        ///
        /// # Safety
        /// `source` must be deleted before it is closed (the portable backend relies on it;
        /// epoll itself forgets a closed descriptor).
        #[allow(unsafe_code)]
        pub unsafe fn add(
            &mut self,
            source: &impl AsFd,
            key: usize,
            interest: Interest,
        ) -> io::Result<()> {
            let data = EventData::new_u64(key as u64);
            Ok(epoll::add(&self.epoll, source, data, flags_for(interest))?)
        }

        pub fn modify(
            &mut self,
            source: &impl AsFd,
            key: usize,
            interest: Interest,
        ) -> io::Result<()> {
            let data = EventData::new_u64(key as u64);
            Ok(epoll::modify(
                &self.epoll,
                source,
                data,
                flags_for(interest),
            )?)
        }

        pub fn delete(&mut self, source: &impl AsFd) -> io::Result<()> {
            Ok(epoll::delete(&self.epoll, source)?)
        }

        /// Waits until a source is ready or `timeout` passes (`None`: no timeout). Fills
        /// `events`; an interrupted wait returns `ErrorKind::Interrupted` with no events.
        pub fn wait(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
            events.list.clear();
            self.raw.clear();
            let timespec = timeout_millis(timeout).map(|millis| {
                let millis = millis.min(WAIT_MILLIS_MAX);
                Timespec {
                    tv_sec: (millis / 1000) as _,
                    tv_nsec: ((millis % 1000) * 1_000_000) as _,
                }
            });
            epoll::wait(
                &self.epoll,
                spare_capacity(&mut self.raw),
                timespec.as_ref(),
            )?;
            let read_flags = EventFlags::IN
                | EventFlags::RDHUP
                | EventFlags::HUP
                | EventFlags::ERR
                | EventFlags::PRI;
            let write_flags = EventFlags::OUT | EventFlags::HUP | EventFlags::ERR;
            events.list.extend(self.raw.iter().map(|event| {
                let flags = event.flags;
                Ready {
                    key: event.data.u64() as usize,
                    readable: flags.intersects(read_flags),
                    writable: flags.intersects(write_flags),
                }
            }));
            Ok(())
        }
    }
}

/// The `polling` crate: kqueue, event ports, epoll. Built on Linux for its tests only.
#[cfg(any(not(target_os = "linux"), test))]
mod portable {
    use std::os::fd::AsRawFd;

    use polling::{Event, PollMode};

    use super::*;

    pub struct Poller {
        poller: polling::Poller,
        raw: polling::Events,
    }

    fn event_for(key: usize, interest: Interest) -> Event {
        match (interest.read, interest.write) {
            (true, true) => Event::all(key),
            (true, false) => Event::readable(key),
            (false, true) => Event::writable(key),
            (false, false) => Event::none(key),
        }
    }

    impl Poller {
        pub fn new() -> io::Result<Poller> {
            Ok(Poller {
                poller: polling::Poller::new()?,
                raw: polling::Events::with_capacity(
                    std::num::NonZeroUsize::new(EVENTS_PER_WAIT_MAX).expect("not zero"),
                ),
            })
        }

        /// Starts watching `source` under `key`.
        ///
        /// # Safety
        /// `source` must be deleted before it is closed.
        #[allow(unsafe_code)]
        pub unsafe fn add(
            &mut self,
            source: &impl AsFd,
            key: usize,
            interest: Interest,
        ) -> io::Result<()> {
            // SAFETY: the caller deletes `source` before closing it.
            unsafe {
                self.poller.add_with_mode(
                    source.as_fd().as_raw_fd(),
                    event_for(key, interest),
                    PollMode::Level,
                )
            }
        }

        pub fn modify(
            &mut self,
            source: &impl AsFd,
            key: usize,
            interest: Interest,
        ) -> io::Result<()> {
            self.poller
                .modify_with_mode(source, event_for(key, interest), PollMode::Level)
        }

        pub fn delete(&mut self, source: &impl AsFd) -> io::Result<()> {
            self.poller.delete(source)
        }

        pub fn wait(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
            events.list.clear();
            self.raw.clear();
            let timeout = timeout_millis(timeout).map(Duration::from_millis);
            self.poller.wait(&mut self.raw, timeout)?;
            events.list.extend(self.raw.iter().map(|event| Ready {
                key: event.key,
                readable: event.readable,
                writable: event.writable,
            }));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use super::*;

    const READ: Interest = Interest {
        read: true,
        write: false,
    };
    const BOTH: Interest = Interest {
        read: true,
        write: true,
    };
    const NONE: Interest = Interest {
        read: false,
        write: false,
    };

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (client, server)
    }

    /// Waits up to a second for the readiness of `key` (loopback delivers at once).
    fn ready_of(
        wait: &mut dyn FnMut(&mut Events, Option<Duration>) -> io::Result<()>,
        key: usize,
    ) -> Option<Ready> {
        let mut events = Events::new();
        wait(&mut events, Some(Duration::from_secs(1))).unwrap();
        let found = events.iter().find(|ready| ready.key == key);
        found
    }

    /// The same script against a backend: level-triggered reads and writes, interest changes,
    /// hang-ups, timeouts.
    macro_rules! backend_behaves {
        ($poller:ty) => {{
            let mut poller = <$poller>::new().unwrap();
            let (mut client, mut server) = pair();
            #[allow(unsafe_code)]
            // SAFETY: deleted below before the streams drop.
            unsafe {
                poller.add(&server, 7, READ).unwrap();
            }
            // Nothing to read: the wait times out empty.
            let mut events = Events::new();
            poller
                .wait(&mut events, Some(Duration::from_millis(20)))
                .unwrap();
            assert_eq!(events.iter().count(), 0);
            // Bytes arrive: readable, and still readable next wait while unread (level).
            client.write_all(b"ping").unwrap();
            let mut wait = |events: &mut Events, timeout| poller.wait(events, timeout);
            let ready = ready_of(&mut wait, 7).expect("readable");
            assert!(ready.readable && !ready.writable);
            assert!(ready_of(&mut wait, 7).is_some_and(|ready| ready.readable));
            let mut buffer = [0u8; 16];
            assert_eq!(server.read(&mut buffer).unwrap(), 4);
            // Asking for writes too: an empty send buffer is writable at once.
            poller.modify(&server, 7, BOTH).unwrap();
            let mut wait = |events: &mut Events, timeout| poller.wait(events, timeout);
            let ready = ready_of(&mut wait, 7).expect("writable");
            assert!(ready.writable && !ready.readable);
            // No interest: quiet even with bytes waiting.
            poller.modify(&server, 7, NONE).unwrap();
            client.write_all(b"more").unwrap();
            let mut events = Events::new();
            poller
                .wait(&mut events, Some(Duration::from_millis(20)))
                .unwrap();
            assert_eq!(events.iter().count(), 0);
            // The peer hangs up: reported as readable.
            poller.modify(&server, 7, READ).unwrap();
            drop(client);
            let mut wait = |events: &mut Events, timeout| poller.wait(events, timeout);
            assert!(ready_of(&mut wait, 7).is_some_and(|ready| ready.readable));
            poller.delete(&server).unwrap();
            let mut events = Events::new();
            poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
            assert_eq!(events.iter().count(), 0);
        }};
    }

    #[test]
    fn portable_backend_behaves() {
        backend_behaves!(portable::Poller);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn epoll_backend_behaves() {
        backend_behaves!(epoll::Poller);
    }

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_millis(None), None);
        assert_eq!(timeout_millis(Some(Duration::ZERO)), Some(0));
        assert_eq!(timeout_millis(Some(Duration::from_micros(1))), Some(1));
        assert_eq!(timeout_millis(Some(Duration::from_millis(5))), Some(5));
        assert_eq!(timeout_millis(Some(Duration::from_micros(5001))), Some(6));
    }
}
