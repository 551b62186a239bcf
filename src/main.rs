use std::process::ExitCode;

// The run allocates many small strings and vectors (metadata, facts, findings); mimalloc
// makes that markedly cheaper than the system allocator (deno's audit: about 1.3x faster).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (mimalloc.h).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (v2 and v3).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> ExitCode {
    // Give freed memory back at once rather than after 10 ms: deno's peak memory drops from
    // about 53 MiB to 35 MiB for a few milliseconds.
    // SAFETY: a plain setter of one of mimalloc's global options, before any thread starts.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    ExitCode::from(cargo_vendor_audit::run(
        std::env::args_os(),
        &mut out,
        &mut err,
    ))
}
