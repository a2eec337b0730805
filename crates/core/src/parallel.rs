//! Splitting work over the machine's cores without a thread pool.

/// Run `f` on consecutive chunks of `items`, one chunk per core (at most 8), and return the
/// results in the order of the chunks. Inputs of at most `min_chunk` items run on the calling
/// thread. A panic in a chunk is resumed on the caller.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], min_chunk: usize, f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = items.len().div_ceil(threads).max(min_chunk.max(1));
    if items.len() <= chunk {
        return vec![f(items)];
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.chunks(chunk).map(|part| scope.spawn(move || f(part))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::map_chunks;

    #[test]
    fn chunks_come_back_in_order_and_cover_everything() {
        let items: Vec<u32> = (0..10_000).collect();
        let parts = map_chunks(&items, 10, |part| part.to_vec());
        assert_eq!(parts.concat(), items);
        assert_eq!(map_chunks(&items[..5], 10, |part| part.len()), [5], "small inputs stay in one chunk");
        assert_eq!(map_chunks::<u32, usize>(&[], 10, |part| part.len()), [0]);
    }
}
