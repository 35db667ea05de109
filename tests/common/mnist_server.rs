//! A tiny HTTP/1.1 server on 127.0.0.1 for the download tests. It serves the real MNIST files
//! from `../shared/data/mnist` under three prefixes:
//! - `/good/<name>`: the file as it is;
//! - `/corrupt/<name>`: the file with bytes flipped in the middle;
//! - `/truncated/<name>`: announces the full length, sends half, closes the connection.
//!
//! Anything else is a 404. The server thread stops after `max_requests` requests or when the
//! handle is dropped, so no test leaves a loop running.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The folder with the real MNIST files; panics with a message if it is missing.
pub fn shared_mnist_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    assert!(
        dir.join("train-images-idx3-ubyte.gz").is_file(),
        "real MNIST is needed at {} (the four .gz files); it ships beside the project in CI",
        dir.display()
    );
    dir
}

/// A running test server.
pub struct Server {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    stop: Arc<AtomicBool>,
    /// Requests served so far.
    pub served: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server that answers at most `max_requests` requests.
    pub fn start(max_requests: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let base = format!("http://{}/", listener.local_addr().expect("local addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let data = shared_mnist_dir();
        let (stop2, served2) = (stop.clone(), served.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) && served2.load(Ordering::Relaxed) < max_requests {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served2.fetch_add(1, Ordering::Relaxed);
                        let _ = handle(stream, &data);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            base,
            stop,
            served,
            thread: Some(thread),
        }
    }

    /// The URL prefix of one of the behaviours ("good", "corrupt", "truncated").
    pub fn mirror(&self, behaviour: &str) -> String {
        format!("{}{behaviour}/", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(stream: TcpStream, data: &std::path::Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (behaviour, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    let file = data.join(name);
    if name.contains("..") || name.contains('/') || !file.is_file() {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    }
    let mut bytes = std::fs::read(&file)?;
    let header = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    match behaviour {
        "good" => {
            out.write_all(header(bytes.len()).as_bytes())?;
            out.write_all(&bytes)?;
        }
        "corrupt" => {
            let (mid, len) = (bytes.len() / 2, bytes.len());
            for b in &mut bytes[mid..(mid + 16).min(len)] {
                *b ^= 0x5a;
            }
            out.write_all(header(bytes.len()).as_bytes())?;
            out.write_all(&bytes)?;
        }
        "truncated" => {
            out.write_all(header(bytes.len()).as_bytes())?;
            out.write_all(&bytes[..bytes.len() / 2])?;
        }
        _ => {
            out.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
        }
    }
    out.flush()?;
    Ok(())
}
