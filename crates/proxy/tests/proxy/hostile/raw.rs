//! A raw TCP client, for what HTTP clients refuse to send: conflicting framing, bytes that are
//! not allowed in headers, absolute-form targets, clients that send their head byte by byte.

use std::fmt;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a raw exchange may take before it counts as stalled.
const DEADLINE: Duration = Duration::from_secs(10);

/// What the gateway answered on one connection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Answer {
    /// The statuses of the responses, in order (several for pipelined requests).
    Statuses(Vec<u16>),
    /// The connection was closed without a response.
    Closed,
    /// Nothing happened before the deadline.
    Stalled,
}

impl Answer {
    pub fn first(&self) -> Option<u16> {
        match self {
            Answer::Statuses(statuses) => statuses.first().copied(),
            _ => None,
        }
    }

    pub fn statuses(&self) -> &[u16] {
        match self {
            Answer::Statuses(statuses) => statuses,
            _ => &[],
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Statuses(statuses) => {
                let text: Vec<String> = statuses.iter().map(u16::to_string).collect();
                write!(f, "{}", text.join("+"))
            }
            Answer::Closed => write!(f, "closed"),
            Answer::Stalled => write!(f, "stalled"),
        }
    }
}

/// Sends `bytes` on a new connection, then reads until the gateway closes it (send
/// `Connection: close` on the last request) and returns the statuses of what came back.
pub async fn exchange(addr: &str, bytes: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The gateway may refuse and close before everything is written (an oversized head).
    let _ = stream.write_all(bytes).await;
    read_to_close(&mut stream).await
}

pub async fn read_to_close(stream: &mut TcpStream) -> Answer {
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return if received.is_empty() { Answer::Stalled } else { statuses(&received) },
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
    statuses(&received)
}

fn statuses(received: &[u8]) -> Answer {
    // Responses follow each other's bodies directly; no body here contains a status line.
    let text = String::from_utf8_lossy(received);
    let found: Vec<u16> =
        text.match_indices("HTTP/1.").filter_map(|(at, _)| text.get(at + 9..at + 12)?.parse().ok()).collect();
    if found.is_empty() { Answer::Closed } else { Answer::Statuses(found) }
}

/// A slow client: `prefix` at once, then `slow` one byte every `pace`, stopping when the
/// gateway answers or closes. Returns the answer, how many slow bytes were sent, and how long
/// after the first byte the connection ended.
pub async fn trickle(addr: &str, prefix: &[u8], slow: &[u8], pace: Duration) -> (Answer, usize, Duration) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    if !prefix.is_empty() {
        let _ = stream.write_all(prefix).await;
        // A complete request in the prefix: wait for its response before going slow.
        if prefix.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            assert!(n > 0, "no answer to the complete request before the slow part");
        }
    }
    let mut received = Vec::new();
    for (sent, byte) in slow.iter().enumerate() {
        if stream.write_all(&[*byte]).await.is_err() {
            return (Answer::Closed, sent, started.elapsed());
        }
        tokio::select! {
            () = tokio::time::sleep(pace) => {}
            read = stream.read(&mut buffer) => {
                match read {
                    Ok(0) | Err(_) => return (statuses(&received), sent + 1, started.elapsed()),
                    Ok(n) => {
                        received.extend_from_slice(&buffer[..n]);
                        return (statuses(&received), sent + 1, started.elapsed());
                    }
                }
            }
        }
    }
    // Everything sent: wait (bounded) for the answer or the close.
    let answer = read_to_close(&mut stream).await;
    (answer, slow.len(), started.elapsed())
}
