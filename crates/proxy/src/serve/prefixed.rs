//! The first bytes of a connection, read under a deadline before hyper sees them.
//!
//! hyper-util's automatic HTTP/1.1-or-HTTP/2 detection reads until it can tell the HTTP/2
//! preface from anything else, with no deadline of its own, and hyper's header read timeout
//! only starts after it: a client that connected and sent nothing, or half the preface, held
//! its connection for ever. The listener reads those bytes itself, under the header read
//! timeout, and hands hyper a stream that replays them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads until the bytes are the whole HTTP/2 preface or differ from it (at most 24 bytes); an
/// empty answer means the client closed without sending anything.
pub(super) async fn first_bytes<I: AsyncRead + Unpin>(io: &mut I) -> io::Result<Vec<u8>> {
    let mut buffer = [0u8; H2_PREFACE.len()];
    let mut filled = 0;
    while let Some(free) = buffer.get_mut(filled..) {
        let read = io.read(free).await?;
        if read == 0 {
            break;
        }
        filled += read;
        if filled >= H2_PREFACE.len() || buffer.get(..filled) != H2_PREFACE.get(..filled) {
            break;
        }
    }
    Ok(buffer.get(..filled).unwrap_or_default().to_vec())
}

/// `inner`, with `prefix` read first.
pub(super) struct Prefixed<I> {
    prefix: Vec<u8>,
    read: usize,
    inner: I,
}

impl<I> Prefixed<I> {
    pub fn new(prefix: Vec<u8>, inner: I) -> Self {
        Prefixed { prefix, read: 0, inner }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Prefixed<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(rest) = this.prefix.get(this.read..)
            && !rest.is_empty()
        {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(rest.get(..n).unwrap_or_default());
            this.read += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Prefixed<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_bytes_stop_where_http1_and_http2_part_and_are_replayed() {
        let request = b"GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n";
        let (mut client, mut server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut client, request).await.unwrap();
        drop(client);
        let first = first_bytes(&mut server).await.unwrap();
        assert!(!first.is_empty() && first.len() <= H2_PREFACE.len(), "{first:?}");
        let mut replayed = Vec::new();
        Prefixed::new(first, server).read_to_end(&mut replayed).await.unwrap();
        assert_eq!(replayed, request, "nothing lost, nothing doubled");

        let (mut client, mut server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut client, H2_PREFACE).await.unwrap();
        assert_eq!(first_bytes(&mut server).await.unwrap(), H2_PREFACE);

        let (client, mut server) = tokio::io::duplex(64);
        drop(client);
        assert!(first_bytes(&mut server).await.unwrap().is_empty());
    }
}
