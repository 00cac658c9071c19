//! Connections the ingest server can count and cut.
//!
//! Axum's graceful shutdown waits for every open connection without limit. [`Tracked`]
//! wraps the listener so that [`super::run`] knows how many connections are still open
//! when its grace period is over, and can close them: after [`Connections::cut`], every
//! read or write on them fails, which ends the connection (and the request it was
//! serving).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// The open connections of one server: their number, and the switch that cuts them.
#[derive(Debug, Clone, Default)]
pub(super) struct Connections {
    open: Arc<AtomicUsize>,
    cut: CancellationToken,
}

impl Connections {
    /// Connections accepted and not yet closed.
    pub(super) fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Makes every read and write on the open (and any later) connections fail.
    pub(super) fn cut(&self) {
        self.cut.cancel();
    }
}

/// A TCP listener whose connections are counted in, and can be cut by, [`Connections`].
#[derive(Debug)]
pub(super) struct Tracked {
    inner: TcpListener,
    conns: Connections,
}

impl Tracked {
    pub(super) fn new(inner: TcpListener, conns: Connections) -> Self {
        Self { inner, conns }
    }
}

impl axum::serve::Listener for Tracked {
    type Io = TrackedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // The TCP listener's own `accept` retries (and backs off on) accept errors.
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        self.conns.open.fetch_add(1, Ordering::Relaxed);
        let stream = TrackedStream {
            inner: io,
            cut: self.conns.cut.clone(),
            cut_wait: Box::pin(self.conns.cut.clone().cancelled_owned()),
            _open: OpenGuard(self.conns.open.clone()),
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Decrements the open count when the connection is dropped.
#[derive(Debug)]
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One accepted connection: a TCP stream that fails once the connections are cut.
pub(super) struct TrackedStream {
    inner: TcpStream,
    cut: CancellationToken,
    /// Wakes a pending read or write when the connections are cut.
    cut_wait: Pin<Box<WaitForCancellationFutureOwned>>,
    _open: OpenGuard,
}

impl std::fmt::Debug for TrackedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackedStream")
            .field("inner", &self.inner)
            .field("cut", &self.cut.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl TrackedStream {
    /// `Err` once the connections are cut; otherwise registers the task to be woken then.
    fn check_cut(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        // The cancellation future is never polled again once it has completed.
        if self.cut.is_cancelled() || self.cut_wait.as_mut().poll(cx).is_ready() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the ingest shutdown grace period is over",
            ));
        }
        Ok(())
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check_cut(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = this.check_cut(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = this.check_cut(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check_cut(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
