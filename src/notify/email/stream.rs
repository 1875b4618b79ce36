//! The TCP (and implicit-TLS) stream handed to lettre, with `TCP_NODELAY` set.
//!
//! May touch: the network (connect to the relay). lettre 0.11 writes every SMTP command, and the
//! final `.` of the data, in its own small write without `TCP_NODELAY`; Nagle then holds each
//! write until the previous one is ACKed and the relay delays that ACK (~40 ms on Linux), so a
//! message took ~44 ms on loopback. lettre accepts a caller-made stream
//! (`AsyncSmtpConnection::connect_with_transport`), so we connect ourselves and set the option.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

#[allow(deprecated)] // lettre's own TLS wrapper: public, deprecated only as "not meant to be".
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncTokioStream, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Why the relay could not be reached: before lettre runs, errors are plain I/O; the implicit
/// TLS handshake goes through lettre and keeps its error (classified like lettre's own).
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// TCP connect (or name resolution) failed.
    Io(io::Error),
    /// lettre's TLS handshake failed.
    Smtp(lettre::transport::smtp::Error),
}

/// Connects to `host:port` with `TCP_NODELAY`; with `implicit` set, runs the TLS handshake
/// (lettre's rustls set-up, so certificate checks and the extra root CA are unchanged) before a
/// single byte of SMTP is read.
pub(crate) async fn connect(
    host: &str,
    port: u16,
    implicit: Option<&TlsParameters>,
) -> Result<Box<dyn AsyncTokioStream>, ConnectError> {
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(ConnectError::Io)?;
    tcp.set_nodelay(true).map_err(ConnectError::Io)?;
    let Some(params) = implicit else {
        return Ok(Box::new(tcp));
    };
    #[allow(deprecated)]
    let mut s = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
    s.upgrade_tls(params.clone())
        .await
        .map_err(ConnectError::Smtp)?;
    Ok(Box::new(ImplicitTls(s)))
}

/// lettre's TLS stream (futures-io traits) seen through tokio's traits, so it can be passed
/// back to `connect_with_transport`. STARTTLS needs no wrapper: lettre upgrades the plain
/// stream in place.
#[allow(deprecated)]
#[derive(Debug)]
struct ImplicitTls(AsyncNetworkStream);

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        match futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, dst) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}
