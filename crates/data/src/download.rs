//! Fetching the standard MNIST files from public mirrors, with short timeouts, a size limit
//! and a SHA-256 check, written atomically into a data directory. Without the `download`
//! cargo feature every request fails at once with a clear message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::atomic::write_atomically;
use crate::error::{DataError, Result};

/// A file of a remote data set with its published size and SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name, the same on every mirror and on disk.
    pub name: &'static str,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: &'static str,
}

/// The four gzip files of the full MNIST data set (60,000 training and 10,000 test digits)
/// with the sizes and SHA-256 digests published alongside common loaders.
pub const MNIST_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        bytes: 9_912_422,
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        bytes: 28_881,
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        bytes: 1_648_877,
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        bytes: 4_542,
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
];

/// Public mirrors of [`MNIST_FILES`], tried in order; each ends with `/`.
pub const MNIST_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Network limits of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Longest wait for a connection (DNS failures return at once).
    pub connect_timeout: Duration,
    /// Longest wait for any single read from the connection.
    pub read_timeout: Duration,
}

impl Default for DownloadOptions {
    /// 4 s to connect, 20 s per read.
    fn default() -> Self {
        DownloadOptions {
            connect_timeout: Duration::from_secs(4),
            read_timeout: Duration::from_secs(20),
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Makes sure every file of `files` is in `dir` with the right digest, downloading the
/// missing or corrupt ones from the first mirror that delivers them. Returns their paths.
///
/// A download is verified (size and SHA-256) in memory before it is written atomically, so
/// `dir` never holds a partial file. A file that no mirror delivers fails the whole call,
/// with every mirror's error in the message.
pub fn fetch_files(
    dir: &Path,
    files: &[RemoteFile],
    mirrors: &[&str],
    options: &DownloadOptions,
) -> Result<Vec<PathBuf>> {
    files
        .iter()
        .map(|file| fetch_file(dir, file, mirrors, options))
        .collect()
}

/// Ensures one verified file in `dir`, downloading it when needed.
fn fetch_file(
    dir: &Path,
    file: &RemoteFile,
    mirrors: &[&str],
    options: &DownloadOptions,
) -> Result<PathBuf> {
    let path = dir.join(file.name);
    if let Ok(existing) = std::fs::read(&path) {
        if verify(&existing, file).is_ok() {
            return Ok(path);
        }
    }

    let mut failures = Vec::new();
    for mirror in mirrors {
        let url = format!("{mirror}{}", file.name);
        match http_get(&url, file.bytes, options).and_then(|bytes| checked(&url, bytes, file)) {
            Ok(bytes) => {
                write_atomically(&path, |out| {
                    std::io::Write::write_all(out, &bytes).map_err(|e| DataError::io(&path, e))
                })?;
                return Ok(path);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    Err(DataError::Download {
        url: file.name.to_string(),
        problem: format!("no mirror delivered it ({})", failures.join("; ")),
    })
}

/// Passes `bytes` on when their size and digest are right; otherwise an error naming `url`.
fn checked(url: &str, bytes: Vec<u8>, file: &RemoteFile) -> Result<Vec<u8>> {
    verify(&bytes, file).map_err(|problem| DataError::Download {
        url: url.to_string(),
        problem,
    })?;
    Ok(bytes)
}

/// Checks the size and digest of downloaded or cached bytes.
fn verify(bytes: &[u8], file: &RemoteFile) -> std::result::Result<(), String> {
    if bytes.len() as u64 != file.bytes {
        return Err(format!(
            "expected {} bytes, got {}",
            file.bytes,
            bytes.len()
        ));
    }
    let digest = sha256_hex(bytes);
    if digest != file.sha256 {
        return Err(format!(
            "SHA-256 mismatch: expected {}, got {digest}",
            file.sha256
        ));
    }
    Ok(())
}

/// Downloads `url` into memory, refusing bodies longer than `max_bytes`.
#[cfg(feature = "download")]
fn http_get(url: &str, max_bytes: u64, options: &DownloadOptions) -> Result<Vec<u8>> {
    use std::io::Read;

    let failed = |problem: String| DataError::Download {
        url: url.to_string(),
        problem,
    };
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(options.connect_timeout)
        .timeout_read(options.read_timeout)
        .build();
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Status(code, _) => failed(format!("HTTP status {code}")),
        ureq::Error::Transport(t) => failed(match t.message() {
            Some(message) => format!("{}: {message}", t.kind()),
            None => t.kind().to_string(),
        }),
    })?;

    let mut body = Vec::new();
    response
        .into_reader()
        .take(max_bytes + 1)
        .read_to_end(&mut body)
        .map_err(|e| failed(format!("reading the response failed: {e}")))?;
    if body.len() as u64 > max_bytes {
        return Err(failed(format!("response exceeds {max_bytes} bytes")));
    }
    Ok(body)
}

/// Stand-in used when the crate is built without the `download` feature.
#[cfg(not(feature = "download"))]
fn http_get(url: &str, _max_bytes: u64, _options: &DownloadOptions) -> Result<Vec<u8>> {
    Err(DataError::Download {
        url: url.to_string(),
        problem: "gantry-data was built without the `download` feature".into(),
    })
}

#[cfg(all(test, feature = "download"))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// Serves `body` with `status` to each of `requests` connections on a loopback port;
    /// returns the mirror URL.
    fn serve(status: &'static str, body: Vec<u8>, requests: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&body).unwrap();
            }
        });
        url
    }

    fn remote(body: &[u8]) -> RemoteFile {
        let digest: &'static str = Box::leak(sha256_hex(body).into_boxed_str());
        RemoteFile {
            name: "file.gz",
            bytes: body.len() as u64,
            sha256: digest,
        }
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn falls_through_bad_mirrors_and_writes_verified_file() {
        let body = b"payload of the file".to_vec();
        let file = remote(&body);
        let missing = serve("404 Not Found", b"no".to_vec(), 1);
        let corrupt = serve("200 OK", b"payload of the fil!".to_vec(), 1);
        let good = serve("200 OK", body.clone(), 1);
        let dir = tempfile::tempdir().unwrap();

        let mirrors = [missing.as_str(), corrupt.as_str(), good.as_str()];
        let paths = fetch_files(dir.path(), &[file], &mirrors, &DownloadOptions::default());
        assert_eq!(std::fs::read(&paths.unwrap()[0]).unwrap(), body);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // A verified file on disk is not downloaded again: no mirror is reachable now.
        let again = fetch_files(
            dir.path(),
            &[file],
            &["http://127.0.0.1:9/"],
            &Default::default(),
        );
        assert!(again.is_ok());
    }

    #[test]
    fn checksum_mismatch_is_reported_and_nothing_written() {
        let file = remote(b"expected content");
        let mirror = serve("200 OK", b"tampered content".to_vec(), 1);
        let dir = tempfile::tempdir().unwrap();
        let err = fetch_files(dir.path(), &[file], &[&mirror], &DownloadOptions::default());
        let msg = err.unwrap_err().to_string();
        assert!(msg.contains("SHA-256 mismatch"), "{msg}");
        assert!(
            msg.starts_with("file.gz: no mirror delivered it (http://127.0.0.1:"),
            "{msg}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
