//! Work spread over the machine's cores, with results in input order.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads used at most: the work handed out (matching packages, rendering findings)
/// gains little beyond a few.
pub const MAX_THREADS: usize = 4;

/// How many threads to use for `chunks` units of work.
fn threads(chunks: usize) -> usize {
    // Asked once: the answer reads the cgroup's CPU quota from /proc and /sys.
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    cores.min(MAX_THREADS).min(chunks).max(1)
}

/// `f` of each chunk of `chunk` items, in the order of the chunks. The calling thread
/// and up to [`MAX_THREADS`] - 1 helpers take the next chunk as they finish one, so uneven
/// chunks still keep every core busy. With one core (or one chunk), or when no helper
/// thread can be started, everything runs on the calling thread. A panic in `f` is
/// re-raised here.
pub fn map_chunks<T, R, F>(items: &[T], chunk: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let chunks: Vec<&[T]> = items.chunks(chunk.max(1)).collect();
    let threads = threads(chunks.len());
    if threads <= 1 {
        return chunks.into_iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut mine = Vec::new();
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(c) else {
                return mine;
            };
            mine.push((c, f(chunk)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let mut done = work();
        for helper in helpers {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(c, _)| *c);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_input_order() {
        let items: Vec<u32> = (0..10_000).collect();
        let sums = map_chunks(&items, 7, |c| c.iter().map(|&x| u64::from(x)).sum::<u64>());
        let expected: Vec<u64> = items
            .chunks(7)
            .map(|c| c.iter().map(|&x| u64::from(x)).sum())
            .collect();
        assert_eq!(sums, expected);
        assert!(map_chunks(&[] as &[u32], 7, |c| c.len()).is_empty());
    }

    #[test]
    #[should_panic(expected = "chunk 3")]
    fn a_panic_reaches_the_caller() {
        let items: Vec<usize> = (0..100).collect();
        map_chunks(&items, 10, |c| {
            if c[0] == 30 {
                panic!("chunk 3");
            }
        });
    }
}
