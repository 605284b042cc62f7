//! A WebSocket client for tests (opened with `app.ws(user)`): waits for frames by type.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One live connection.
pub struct WsClient {
    stream: Stream,
    /// The highest `seq` seen.
    pub last_seq: u64,
    /// The history `last_seq` counts in, from the last `hello`.
    pub epoch: Option<u64>,
    /// Every frame received, in order.
    pub seen: Vec<Value>,
}

impl WsClient {
    pub async fn connect(port: u16, token: &str, last_seq: Option<u64>) -> WsClient {
        let mut url = format!("ws://127.0.0.1:{port}/api/v1/ws?token={token}");
        if let Some(seq) = last_seq {
            url.push_str(&format!("&last_seq={seq}"));
        }
        WsClient::open(&url).await
    }

    /// Reconnects (to the node on `port`) where `before` left off: its last `seq`, in the
    /// history of its last `hello`.
    pub async fn connect_after(port: u16, token: &str, before: &WsClient) -> WsClient {
        let epoch = before.epoch.expect("a hello was seen");
        WsClient::connect_at(port, token, epoch, before.last_seq).await
    }

    /// Reconnects (to the node on `port`) after `last_seq` of history `epoch`.
    pub async fn connect_at(port: u16, token: &str, epoch: u64, last_seq: u64) -> WsClient {
        WsClient::open(&format!(
            "ws://127.0.0.1:{port}/api/v1/ws?token={token}&last_seq={last_seq}&epoch={epoch}"
        ))
        .await
    }

    async fn open(url: &str) -> WsClient {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        WsClient {
            stream,
            last_seq: 0,
            epoch: None,
            seen: Vec::new(),
        }
    }

    /// A socket whose receive buffer is as small as the kernel allows, for a client that
    /// stops reading: the server's writes then block after a few kilobytes.
    pub async fn connect_small_buffer(port: u16, token: &str) -> WsClient {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let tcp = socket
            .connect(([127, 0, 0, 1], port).into())
            .await
            .expect("tcp connect");
        let url = format!("ws://127.0.0.1:{port}/api/v1/ws?token={token}");
        let (stream, _) =
            tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
                .await
                .expect("websocket handshake");
        WsClient {
            stream,
            last_seq: 0,
            epoch: None,
            seen: Vec::new(),
        }
    }

    /// Reads whatever arrives until the connection ends (answers true) or nothing comes for
    /// `quiet` (answers false); text frames are kept in `seen`.
    pub async fn read_until_closed(&mut self, quiet: Duration) -> bool {
        loop {
            match tokio::time::timeout(quiet, self.stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    self.seen
                        .push(serde_json::from_str(&text).expect("json frame"));
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => return true,
                Ok(Some(Ok(_))) => {}
                Err(_) => return false,
            }
        }
    }

    /// A socket with a browser's `Cookie` and `Origin` headers; a refused upgrade answers its
    /// HTTP status.
    pub async fn connect_with_cookie(
        port: u16,
        cookie: &str,
        origin: &str,
    ) -> Result<WsClient, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://127.0.0.1:{port}/api/v1/ws")
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        headers.insert("cookie", cookie.parse().expect("cookie header"));
        headers.insert("origin", origin.parse().expect("origin header"));
        match tokio_tungstenite::connect_async(request).await {
            Ok((stream, _)) => Ok(WsClient {
                stream,
                last_seq: 0,
                epoch: None,
                seen: Vec::new(),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("websocket connect: {e}"),
        }
    }

    /// Waits (up to five seconds) for the server to close the socket; answers the close code
    /// (`None` when the connection ended without a close frame).
    pub async fn closed(&mut self) -> Option<u16> {
        self.closed_within(Duration::from_secs(5)).await
    }

    /// [`WsClient::closed`], waiting up to `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.code.into()),
                Ok(Some(Ok(_))) => continue,
                Ok(_) => return None,
                Err(_) => panic!("the socket was not closed within {wait:?}"),
            }
        }
    }

    /// Sends a protocol-level ping and answers whether a pong with the same data came back
    /// (text frames meanwhile are kept in `seen`).
    pub async fn ping(&mut self, data: &[u8]) -> bool {
        self.stream
            .send(Message::Ping(data.to_vec()))
            .await
            .expect("send ping");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await {
                Ok(Some(Ok(Message::Pong(back)))) => return back == data,
                Ok(Some(Ok(Message::Text(text)))) => self
                    .seen
                    .push(serde_json::from_str(&text).expect("frames are JSON")),
                Ok(Some(Ok(_))) => continue,
                _ => return false,
            }
        }
    }

    /// The next text frame, or `None` after `wait` (the server's pings in between do not
    /// make it wait longer).
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(text) = msg {
                let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                if frame["type"] == "hello" {
                    self.epoch = frame["epoch"].as_u64();
                }
                if frame["type"] == "epoch" {
                    // Another history: its numbers start here.
                    self.epoch = frame["epoch"].as_u64();
                    self.last_seq = frame["seq"].as_u64().unwrap_or(0);
                } else if let Some(seq) = frame["seq"].as_u64() {
                    self.last_seq = self.last_seq.max(seq);
                }
                self.seen.push(frame.clone());
                return Some(frame);
            }
        }
    }

    /// Waits (up to five seconds) for the next frame of type `kind`, skipping others.
    pub async fn expect(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(frame) if frame["type"] == kind => return frame,
                Some(_) => continue,
                None => panic!("no `{kind}` frame within 5 s; saw {:#?}", self.seen),
            }
        }
    }

    /// Asserts no frame of type `kind` arrives within `wait`.
    pub async fn expect_none(&mut self, kind: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            if let Some(frame) = self.next(left).await {
                assert_ne!(frame["type"], kind, "unexpected frame {frame}");
            }
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string()))
            .await
            .expect("send");
    }

    pub async fn resume(&mut self, last_seq: u64) {
        self.send(json!({"type": "resume", "last_seq": last_seq}))
            .await;
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
