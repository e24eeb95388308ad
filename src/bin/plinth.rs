//! The `plinth` binary. The command line lives in the library
//! (`src/cli.rs`), so tests can run it in-process.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned};
use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};

/// mimalloc rather than glibc's malloc: allocation and freeing were half of
/// an ARM run's cycles and a fifth of a small file's (issue #20).
///
/// The `mimalloc` crate's allocator asks for every block by its alignment
/// (`mi_malloc_aligned`), a longer path than `mi_malloc`'s. Every mimalloc
/// block is aligned to at least a word (8 bytes), which is all almost every
/// Rust allocation asks for: those take the short path, the rest the aligned
/// one (on a Bicep run, instructions fell by a few percent).
struct Mimalloc;

/// What every block `mi_malloc` returns is aligned to.
const WORD: usize = 8;

// SAFETY: each method hands the layout's size (and, past a word, its
// alignment) to the mimalloc call that honours it, and frees and resizes
// only blocks mimalloc returned, as `GlobalAlloc` requires.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: see the impl.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

fn main() -> std::process::ExitCode {
    plinth::cli::main()
}
