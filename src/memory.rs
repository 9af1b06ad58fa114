//! Handing freed heap memory back to the operating system after large one-off work.

/// Returns the allocators' free memory to the OS: mimalloc's (the binary's global allocator)
/// and glibc's (SQLite's C code allocates there).
///
/// Parsing a large `listeners.toml` (100,000 listeners is 40 MB of text) builds intermediate
/// trees several times the size of what is kept. Both allocators keep such freed memory
/// mapped for reuse, so without this the gateway would go on showing the parse's peak as its
/// resident size for the rest of its life. mimalloc collects the calling thread's heap (the
/// one the parse ran on) and segments abandoned by threads that have ended.
#[allow(unsafe_code)]
pub fn release_free_memory() {
    // SAFETY: mi_collect only walks mimalloc's own heaps and segments; it has no preconditions.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
