//! Handing freed heap memory back to the operating system after large one-off work.

/// Returns the allocator's free memory to the OS.
///
/// Parsing a large `listeners.toml` (100,000 listeners is 40 MB of text) builds intermediate
/// trees several times the size of what is kept. glibc keeps such freed memory mapped for
/// reuse, so without this the gateway would go on showing the parse's peak as its resident
/// size for the rest of its life.
#[allow(unsafe_code)]
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
