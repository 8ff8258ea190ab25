//! The book's thread pool for freeing big values: a queue, a condition variable, a few worker
//! threads, and a clean shutdown that drains the queue.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use ferrodis_core::Garbage;

struct Queue {
    items: VecDeque<Garbage>,
    stopping: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Values queued or being dropped right now.
    outstanding: AtomicUsize,
}

pub struct LazyFreePool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl LazyFreePool {
    pub fn new(threads: usize) -> LazyFreePool {
        assert!(threads >= 1);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                stopping: false,
            }),
            ready: Condvar::new(),
            outstanding: AtomicUsize::new(0),
        });
        let workers = (0..threads)
            .map(|number| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("lazy-free-{number}"))
                    .spawn(move || work(&shared))
                    .expect("spawn a lazy-free worker")
            })
            .collect();
        LazyFreePool { shared, workers }
    }

    /// Queues `garbage` to be dropped by a worker.
    pub fn free(&self, garbage: Garbage) {
        self.shared.outstanding.fetch_add(1, Ordering::Relaxed);
        let mut queue = self.shared.queue.lock().expect("lazy-free queue lock");
        queue.items.push_back(garbage);
        drop(queue);
        self.shared.ready.notify_one();
    }

    /// True when no value is waiting or being dropped.
    pub fn is_idle(&self) -> bool {
        self.shared.outstanding.load(Ordering::Relaxed) == 0
    }
}

impl Drop for LazyFreePool {
    /// Finishes the queue, then joins every worker.
    fn drop(&mut self) {
        if let Ok(mut queue) = self.shared.queue.lock() {
            queue.stopping = true;
        }
        self.shared.ready.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Freeing is background work. On Linux the workers take the `SCHED_IDLE` policy: a woken worker
/// never preempts the event loop, and it runs on the core time the loop and the rest of the
/// machine leave. The scheduler can still pick a just-woken worker once on the loop's core when
/// the loop has run past its share, and only a tick (4 ms here) or a yield gives the core back;
/// hence the pieces and yields in `work`. At nice 19 a woken worker took the loop's core until
/// the next tick far more often. If the policy is refused, nice 19. Other systems keep the
/// default priority.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a valid sched_param that outlives the call; pid 0 is this thread.
        #[allow(unsafe_code)]
        let idle = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0;
        if idle {
            return;
        }
        // Failure leaves the default priority, which is still correct.
        let _ = rustix::process::setpriority_process(None, 19);
    }
}

fn work(shared: &Shared) {
    lower_own_priority();
    loop {
        let mut garbage = {
            let mut queue = shared.queue.lock().expect("lazy-free queue lock");
            loop {
                if let Some(garbage) = queue.items.pop_front() {
                    break garbage;
                }
                if queue.stopping {
                    return;
                }
                queue = shared.ready.wait(queue).expect("lazy-free queue lock");
            }
        };
        // A piece at a time, yielding between pieces: the scheduler can give the core back to
        // the event loop after each piece instead of at its next tick.
        while garbage.free_step() {
            std::thread::yield_now();
        }
        shared.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}
