//! The data directory: Loupe's own state on disk and the lock that gives one Loupe process
//! exclusive use of it.
//!
//! ```text
//! <data dir>/
//!   loupe.lock   held (flock) for the life of the process; holds its pid for the error message
//!   secret       generated LOUPE_SECRET (mode 0600) when none is configured
//!   postgres/    the embedded cluster (PGDATA), owned by the OS user Postgres runs as
//!   run/         the embedded cluster's unix socket
//! ```

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::RngCore;

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("data directory {path} is already in use by another Loupe process{}; stop it, or give this one its own --data-dir / LOUPE_DATA_DIR", pid.as_deref().map(|p| format!(" (pid {p})")).unwrap_or_default())]
    InUse { path: PathBuf, pid: Option<String> },
    #[error("cannot use data directory {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// An open, exclusively locked data directory. The lock is released when this is dropped (or
/// when the process dies, however it dies: it is an OS file lock, not a marker file).
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: File,
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io { path: path.to_path_buf(), source }
}

impl DataDir {
    /// Creates the directory if needed and takes its lock.
    pub fn open(path: &Path) -> Result<DataDir, DataDirError> {
        if !path.exists() {
            fs::create_dir_all(path).map_err(io_error(path))?;
            // Traversable by others so that an unprivileged Postgres user can reach postgres/
            // below it when Loupe runs as root; files inside stay private by their own modes.
            fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(io_error(path))?;
        }
        let root = fs::canonicalize(path).map_err(io_error(path))?;
        let lock_path = root.join("loupe.lock");
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(&lock_path)
            .map_err(io_error(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = Some(pid.trim().to_string()).filter(|p| !p.is_empty());
                return Err(DataDirError::InUse { path: root, pid });
            }
            Err(TryLockError::Error(source)) => return Err(DataDirError::Io { path: lock_path, source }),
        }
        lock.set_len(0).map_err(io_error(&lock_path))?;
        lock.rewind().map_err(io_error(&lock_path))?;
        write!(lock, "{}", std::process::id()).map_err(io_error(&lock_path))?;
        Ok(DataDir { root, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn postgres_dir(&self) -> PathBuf {
        self.root.join("postgres")
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    /// The configured secret if any, else the one stored in `secret`, created on first use.
    /// Media attachments' files (`media::MediaStore`).
    pub fn media_dir(&self) -> PathBuf {
        self.root.join("media")
    }

    pub fn secret(&self, configured: Option<&str>) -> Result<String, DataDirError> {
        if let Some(secret) = configured {
            return Ok(secret.to_string());
        }
        let path = self.root.join("secret");
        match fs::read_to_string(&path) {
            Ok(stored) if !stored.trim().is_empty() => return Ok(stored.trim().to_string()),
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(DataDirError::Io { path, source }),
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_error(&path))?;
        file.write_all(secret.as_bytes()).and_then(|_| file.sync_all()).map_err(io_error(&path))?;
        tracing::info!(path = %path.display(), "generated a new LOUPE_SECRET");
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_reports_in_use_with_pid() {
        let temp = tempfile::tempdir().unwrap();
        let first = DataDir::open(temp.path()).unwrap();
        let error = DataDir::open(temp.path()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("already in use"), "{message}");
        assert!(message.contains(&std::process::id().to_string()), "{message}");
        drop(first);
        DataDir::open(temp.path()).expect("lock is released on drop");
    }

    #[test]
    fn secret_is_generated_once_and_private() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(&temp.path().join("nested/data")).unwrap();
        let generated = dir.secret(None).unwrap();
        assert_eq!(generated.len(), 64);
        assert_eq!(dir.secret(None).unwrap(), generated);
        let mode = fs::metadata(dir.path().join("secret")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(dir.secret(Some("configured")).unwrap(), "configured");
    }
}
