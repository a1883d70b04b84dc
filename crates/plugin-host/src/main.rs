//! `arsync-plugin-host <library>`: loads one arsync plugin library in its own process and
//! serves the agent over stdin/stdout in JSON lines (see `arsync_runtime::wire`).
//!
//! Before loading the library it moves the protocol channel to private file descriptors and
//! points the process's stdout at stderr and its stdin at `/dev/null`, so nothing a plugin
//! prints or reads can corrupt the channel; what it prints reaches arsync's log through
//! stderr. This binary owns only that process setup; the protocol lives in `arsync-runtime`.
#![allow(unsafe_code)]
#![deny(missing_docs)]

use std::io::{BufReader, Write};
use std::path::PathBuf;

/// A crashing plugin should not leave core files of arsync's size in the working folder.
#[cfg(unix)]
fn no_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads the struct we pass and only affects this process.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
}

#[cfg(unix)]
fn protected_channel() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain fd syscalls on descriptors this process owns; every result is checked.
    unsafe {
        let proto_in = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        let proto_out = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if proto_in < 0 || proto_out < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::close(null);
        }
        Ok((
            std::fs::File::from_raw_fd(proto_in),
            std::fs::File::from_raw_fd(proto_out),
        ))
    }
}

fn main() {
    let Some(library) = std::env::args_os().nth(1).map(PathBuf::from) else {
        let _ = writeln!(
            std::io::stderr(),
            "usage: arsync-plugin-host <plugin library>\n(started by arsync for connections with isolation = \"process\")"
        );
        std::process::exit(64);
    };
    #[cfg(unix)]
    no_core_dumps();
    #[cfg(unix)]
    let (input, output): (Box<dyn std::io::BufRead + Send>, Box<dyn Write + Send>) =
        match protected_channel() {
            Ok((i, o)) => (Box::new(BufReader::new(i)), Box::new(o)),
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "arsync-plugin-host: cannot set up the channel: {e}"
                );
                std::process::exit(70);
            }
        };
    #[cfg(not(unix))]
    let (input, output): (Box<dyn std::io::BufRead + Send>, Box<dyn Write + Send>) = (
        Box::new(BufReader::new(std::io::stdin())),
        Box::new(std::io::stdout()),
    );
    let code = arsync_runtime::child::serve(&library, input, output);
    std::process::exit(code);
}
