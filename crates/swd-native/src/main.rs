//! `swd-native`: create, inspect and sample SwD models on the CPU (flex) or a GPU (wgpu).

mod cli;
mod commands;
mod device;
mod interrupt;
mod kernels;
mod ranks;
mod report;
mod tuning;

use clap::Parser;

fn main() {
    // `swd-native info | head`: a closed pipe ends the program quietly, as for other Unix tools,
    // instead of a failed println! surfacing as an internal error.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Errors are reported as one line; a panic (a bug) gets one line too, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {}", swd_core::error::panic_message(info));
    }));
    let cli = cli::Cli::parse();
    let job = ranks::Job::start().unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    });
    if let Err(err) = cli.command.run(&job) {
        match job.world.size() {
            1 => eprintln!("error: {err:#}"),
            n => eprintln!("error: rank {} of {n}: {err:#}", job.world.rank()),
        }
        job.abort(1);
    }
}
