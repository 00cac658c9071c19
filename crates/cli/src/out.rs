//! Standard output for the commands that print results. A reader that goes away early
//! (`soc-copilot investigate DIR | head -1`) closes the pipe: the next write fails with
//! EPIPE, which [`Stdout`] turns into [`StdoutClosed`] so `main` ends quietly (exit 0),
//! as command-line tools usually do, instead of printing `Broken pipe` as an error.

use std::io::{self, Write};

/// The reader of standard output has gone (EPIPE): not an error to report.
#[derive(Debug)]
pub(crate) struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Whether `e` (or anything in its chain) is [`StdoutClosed`].
pub(crate) fn is_stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<StdoutClosed>()
            || c.downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .is_some_and(|inner| inner.is::<StdoutClosed>())
    })
}

/// Maps EPIPE to an error carrying [`StdoutClosed`]; other errors pass unchanged.
fn mark(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(io::ErrorKind::BrokenPipe, StdoutClosed)
    } else {
        e
    }
}

/// Locked standard output whose EPIPE errors are [`StdoutClosed`].
pub(crate) struct Stdout(io::StdoutLock<'static>);

/// Standard output, locked for the caller.
pub(crate) fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(mark)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).map_err(mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_stdout_is_recognised() {
        let closed = anyhow::Error::new(mark(io::Error::from(io::ErrorKind::BrokenPipe)));
        assert!(is_stdout_closed(&closed));
        assert!(is_stdout_closed(&closed.context("writing")));
        assert!(is_stdout_closed(&anyhow::Error::new(StdoutClosed)));
        // A broken pipe elsewhere (a socket) is a real error.
        let socket = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(!is_stdout_closed(&socket));
        let other = anyhow::Error::new(mark(io::Error::from(io::ErrorKind::WriteZero)));
        assert!(!is_stdout_closed(&other));
    }
}
