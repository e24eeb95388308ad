//! The one door through which plinth reads files: which files it may read,
//! how it opens them, and how their bytes become text.
//!
//! plinth runs on pull requests, so the tree it checks may be hostile. A
//! file is read only when it is a regular file under one of the run's roots
//! (the folders of the paths given on the command line — widened to the git
//! work tree that holds them, if any — and the folder of the config that
//! applies), with no symbolic link on the way below the
//! root, or when the user named it (`--config`, `--var-file`, `--baseline`,
//! `--rules`). FIFOs, devices and sockets are never opened; sizes are
//! checked from metadata before a read and again by a bounded read.
//!
//! This module does not decide what a refused file means: the front-ends
//! treat its value as unknown and report the [`Refusal`] as a problem at
//! the place that asked for it. Walking folders is `discover`'s job.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diagnostic::{Code, Problem, display_path};
use crate::span::Span;

/// No config may raise `max_file_bytes` above this (1 GiB): a larger value
/// is a config error, so no single read can take more memory than this.
pub const MAX_FILE_BYTES_CAP: u64 = 1 << 30;

/// `limits.max_file_bytes` when the config says nothing (32 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// The problem code of a file refused because it lies outside the roots.
pub const OUTSIDE: Code = Code::PathOutside;
/// The problem code of a file refused because it is a link, a FIFO, a
/// device, a socket or a folder.
pub const NOT_REGULAR: Code = Code::NotRegularFile;
/// The problem code of a file whose bytes are not text plinth can decode.
pub const UNDECODABLE: Code = Code::DecodeError;

/// Why a file was not read.
#[derive(Debug)]
pub enum Refusal {
    /// Resolves outside every root.
    Outside(PathBuf),
    /// A component at or below the root is a symbolic link.
    Link(PathBuf),
    /// Not a regular file: what it is instead ("a FIFO", "a device", …).
    Special(&'static str),
    /// Larger than the limit: its size in bytes as far as it was measured.
    TooBig(u64),
    /// The file does not exist.
    Missing,
    Io(std::io::Error),
}

impl Refusal {
    pub fn code(&self) -> Code {
        match self {
            Refusal::Outside(_) => OUTSIDE,
            Refusal::Link(_) | Refusal::Special(_) => NOT_REGULAR,
            Refusal::TooBig(_) => crate::diagnostic::LIMIT_EXCEEDED,
            Refusal::Missing | Refusal::Io(_) => Code::IoError,
        }
    }

    /// The problem for a refusal to read `path`, asked for by `what`
    /// ("module `x`", "parameter file") at `at` (the asking file and span;
    /// the refused file itself when nothing asked).
    pub fn problem(&self, path: &Path, what: &str, at: (&Path, Option<Span>)) -> Problem {
        let shown = display_path(path);
        let mut problem =
            Problem::new(self.code(), format!("{what} `{shown}` not read: {self}")).at(at.0, at.1);
        match self {
            Refusal::Outside(_) | Refusal::Link(_) | Refusal::Special(_) => {
                problem = problem.with_help(
                    "plinth reads only regular files under the paths it checks, never through a \
                     link; what the file would decide is unknown to the rules",
                );
            }
            Refusal::TooBig(_) => {
                problem = problem.with_help("raise `limits.max_file_bytes` in .plinth.yaml");
            }
            Refusal::Missing | Refusal::Io(_) => {}
        }
        problem
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Outside(_) => write!(f, "it lies outside the paths being checked"),
            Refusal::Link(link) => write!(
                f,
                "`{}` is a symbolic link, and links are not followed",
                display_path(link)
            ),
            Refusal::Special(kind) => write!(f, "not a regular file ({kind})"),
            Refusal::TooBig(size) => write!(f, "it is larger than max_file_bytes ({size} bytes)"),
            Refusal::Missing => write!(f, "no such file or directory"),
            Refusal::Io(err) => write!(f, "{err}"),
        }
    }
}

impl From<std::io::Error> for Refusal {
    fn from(err: std::io::Error) -> Refusal {
        match err.kind() {
            std::io::ErrorKind::NotFound => Refusal::Missing,
            _ => Refusal::Io(err),
        }
    }
}

/// `a/./b/../c` → `a/c`, lexically, as Terraform and Bicep resolve module
/// paths: a `..` removes the name before it, never another `..`
/// (`../../x` stays `../../x`), and nothing remains as `.`. Every module
/// path, parameter file and discovered file goes through here, so one
/// file has one name however it is reached.
pub fn normalize(path: &Path) -> PathBuf {
    if is_normal(path) {
        return path.to_path_buf();
    }
    normalize_components(path)
}

/// Whether `path` is spelled as [`normalize`] would spell it: no `.` or
/// `..` name, no empty name (`a//b`, a trailing `/`). Most paths are (the
/// walk's, and module paths once joined), and a scan of their bytes costs
/// a fraction of splitting them into components and joining them again.
#[cfg(unix)]
fn is_normal(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    let names = bytes.strip_prefix(b"/").unwrap_or(bytes);
    if bytes.len() == 1 && names.is_empty() {
        return true; // `/`
    }
    !names.is_empty()
        && names
            .split(|b| *b == b'/')
            .all(|name| !matches!(name, b"" | b"." | b".."))
}

/// Elsewhere (prefixes, two separators) every path takes the long way.
#[cfg(not(unix))]
fn is_normal(_: &Path) -> bool {
    false
}

fn normalize_components(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Whether `path` names something at or below `folder`, both normalized
/// (`.` holds every relative path that does not climb out of it).
pub fn is_within(path: &Path, folder: &Path) -> bool {
    let (path, folder) = (normalize(path), normalize(folder));
    if folder == Path::new(".") {
        return path.is_relative() && !path.starts_with("..");
    }
    path.starts_with(folder)
}

/// The absolute, normalized form of `path` (from the working directory),
/// without touching the file system.
/// The work tree of the git repository that holds `folder` (the nearest
/// folder at or above it with a `.git` entry), if any. A path checked inside
/// a repository reaches the whole repository: `source = "../../modules/net"`
/// from `envs/prod` is the common Terraform layout, and pre-commit names
/// single files. What a repository holds is what the pull request wrote,
/// never the runner's own files, so widening the root to it leaks nothing.
fn repository_of(folder: &Path) -> Option<PathBuf> {
    folder
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

/// Fewer folders than this are seeded ([`Confinement::seed`]) on one
/// thread: starting threads costs more than a few hundred paths do.
const SEED_IN_PARALLEL_FROM: usize = 512;

/// `path` made absolute (against the working folder) and normalized.
pub fn absolute(path: &Path) -> PathBuf {
    // Most paths asked for are the walk's, absolute and normal already:
    // copied once, not rebuilt a name at a time and copied again.
    if path.is_absolute() && is_normal(path) {
        return path.to_path_buf();
    }
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// What a file is when it is not a regular file, from its metadata.
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a folder");
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a file")
}

/// Opens a regular file for reading and reads at most `max_bytes` of it.
/// `follow` says whether a link as the last component is followed (only for
/// files the user named). A FIFO or device is never opened: its metadata is
/// checked first, the open neither follows a link nor blocks, and the opened
/// file is checked again (the name may have been swapped in between).
pub fn read_regular(path: &Path, max_bytes: u64, follow: bool) -> Result<Vec<u8>, Refusal> {
    let meta = if follow {
        std::fs::metadata(path)?
    } else {
        std::fs::symlink_metadata(path)?
    };
    if meta.file_type().is_symlink() {
        return Err(Refusal::Link(path.to_path_buf()));
    }
    if let Some(kind) = special_kind(&meta) {
        return Err(Refusal::Special(kind));
    }
    if meta.len() > max_bytes {
        return Err(Refusal::TooBig(meta.len()));
    }
    let file = open_no_block(path, follow)?;
    let opened = file.metadata()?;
    if let Some(kind) = special_kind(&opened) {
        return Err(Refusal::Special(kind));
    }
    let mut bytes = Vec::with_capacity(opened.len().min(max_bytes) as usize);
    // The size is checked again while reading: a file may grow.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(Refusal::TooBig(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_no_block(path: &Path, follow: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_block(path: &Path, _follow: bool) -> std::io::Result<File> {
    File::open(path)
}

/// Writes `text` to `path` (the baseline) whole or not at all: into a new
/// file beside it, then renamed over it. A link, FIFO or device at `path` is
/// refused, never written through.
pub fn write_replacing(path: &Path, text: &str) -> Result<(), Refusal> {
    use std::io::Write;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(Refusal::Link(path.to_path_buf())),
        Ok(meta) => {
            if let Some(kind) = special_kind(&meta) {
                return Err(Refusal::Special(kind));
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err.into()),
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.plinth-{}", std::process::id()));
    // `create_new` refuses whatever already sits at the temporary name,
    // a link included.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(Refusal::Io(err));
    }
    Ok(())
}

/// Where a file may be read from in one run.
#[derive(Debug, Default)]
pub struct Confinement {
    /// Absolute, normalized folders; `None`: any path (library use and unit
    /// tests; links and special files are still refused).
    roots: Option<Vec<PathBuf>>,
    /// Files and folders the user named: read wherever they are.
    named: Vec<PathBuf>,
    max_file_bytes: u64,
    /// Folders already found not to be links in this run, with the length
    /// of the root they were checked below: a Bicep module or Terraform
    /// module read by many units is checked once, not once per read (the
    /// run's files do not change under it). A folder is kept only once every
    /// folder between it and that root is, so a file whose own folder is
    /// kept needs no other lookup.
    folders: std::sync::RwLock<foldhash::HashMap<PathBuf, usize>>,
    /// Refusals met where no caller could report them (`file()` in an
    /// expression, an optional lock file), drained by the pipeline.
    notes: Mutex<Vec<Problem>>,
}

impl Confinement {
    /// Anything may be read, within `max_file_bytes`.
    pub fn unconfined(max_file_bytes: u64) -> Confinement {
        Confinement {
            max_file_bytes,
            ..Confinement::default()
        }
    }

    /// Reads confined to `roots` (folders; a file stands for its folder)
    /// and to the files and folders in `named`.
    pub fn new(roots: &[PathBuf], named: &[PathBuf], max_file_bytes: u64) -> Confinement {
        let roots = roots
            .iter()
            .map(|root| {
                let is_dir = std::fs::metadata(root).is_ok_and(|m| m.is_dir());
                let folder = match root.parent() {
                    _ if is_dir => root.as_path(),
                    Some(parent) if !parent.as_os_str().is_empty() => parent,
                    _ => Path::new("."),
                };
                let folder = absolute(folder);
                repository_of(&folder).unwrap_or(folder)
            })
            .collect();
        Confinement {
            roots: Some(roots),
            named: named.iter().map(|p| absolute(p)).collect(),
            max_file_bytes,
            folders: std::sync::RwLock::default(),
            notes: Mutex::default(),
        }
    }

    /// Adds a root folder (the folder of the config found).
    pub fn add_root(&mut self, folder: &Path) {
        if let Some(roots) = &mut self.roots {
            roots.push(absolute(folder));
        }
    }

    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    pub fn set_max_file_bytes(&mut self, max: u64) {
        self.max_file_bytes = max.min(MAX_FILE_BYTES_CAP);
    }

    /// Takes the folders a walk of `walked` entered (none a link: the walk
    /// follows none) as found not to be links, as [`Self::read`] would find
    /// them: below the first root holding `walked` whose folders down to
    /// `walked` are not links either. A run's reads then ask the file system
    /// nothing more of a folder its walk listed.
    pub fn seed(&self, walked: &Path, folders: &[PathBuf]) {
        let Some(roots) = &self.roots else {
            return;
        };
        let walked = absolute(walked);
        let mut holding: Vec<&PathBuf> = roots.iter().filter(|r| walked.starts_with(r)).collect();
        holding.sort_by_key(|r| r.as_os_str().len());
        // The folders from the root down to `walked` itself, checked (and
        // kept) as a file directly inside `walked` would have them checked.
        let Some(root) = holding
            .into_iter()
            .find(|root| self.no_link_below(&walked.join("_"), Some(root)).is_ok())
        else {
            return;
        };
        let below = root.as_os_str().len();
        // Made absolute on every thread: a repository's walk seeds as many
        // folders as it has, before any unit starts.
        let absolutes: Vec<PathBuf> = if folders.len() < SEED_IN_PARALLEL_FROM {
            folders.iter().map(|f| absolute(f)).collect()
        } else {
            use rayon::prelude::*;
            folders.par_iter().map(|f| absolute(f)).collect()
        };
        let mut kept = self.folders.write().unwrap_or_else(|e| e.into_inner());
        kept.reserve(absolutes.len());
        for folder in absolutes {
            kept.entry(folder)
                .and_modify(|checked| *checked = (*checked).min(below))
                .or_insert(below);
        }
    }

    /// The path to open for `path`, when it may be read: its absolute,
    /// normalized form, checked to lie under a root with no link below it.
    /// The bool says whether the user named it (a link to it is followed).
    pub fn resolve(&self, path: &Path) -> Result<(PathBuf, bool), Refusal> {
        let full = absolute(path);
        if self.named.contains(&full) {
            return Ok((full, true));
        }
        let Some(roots) = &self.roots else {
            return self.no_link_below(&full, None).map(|()| (full, false));
        };
        let mut last = Refusal::Outside(path.to_path_buf());
        for root in roots.iter().chain(&self.named) {
            if full.starts_with(root) {
                match self.no_link_below(&full, Some(root)) {
                    Ok(()) => return Ok((full, false)),
                    Err(refusal) => last = refusal,
                }
            }
        }
        Err(last)
    }

    /// No folder between `root` and the file is a link (the file itself is
    /// opened without following one). Without a root, only the file's own
    /// folder chain below the working directory is not checked.
    fn no_link_below(&self, full: &Path, root: Option<&Path>) -> Result<(), Refusal> {
        let Some(root) = root else {
            return Ok(());
        };
        let Ok(rest) = full.strip_prefix(root) else {
            return Err(Refusal::Outside(full.to_path_buf()));
        };
        // Checked below this root, or below one above it (which checked
        // every folder this root would).
        let below = root.as_os_str().len();
        let known = |at: &Path| {
            self.folders
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(at)
                .is_some_and(|&checked| checked <= below)
        };
        if let Some(folder) = full.parent()
            && folder != root
            && known(folder)
        {
            return Ok(());
        }
        let mut at = root.to_path_buf();
        let parts: Vec<_> = rest.components().collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            at.push(part);
            if known(&at) {
                continue;
            }
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => return Err(Refusal::Link(at)),
                Ok(_) => {
                    self.folders
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(at.clone())
                        .and_modify(|checked| *checked = (*checked).min(below))
                        .or_insert(below);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// The bytes of `path`, when it may be read.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, Refusal> {
        let (full, named) = self.resolve(path)?;
        read_regular(&full, self.max_file_bytes, named).map_err(|refusal| match refusal {
            // Name the link as the user wrote it.
            Refusal::Link(_) => Refusal::Link(path.to_path_buf()),
            other => other,
        })
    }

    /// Whether the folder `dir` may be read from: under a root, and neither
    /// it nor a folder above it below the root is a link.
    pub fn check_folder(&self, dir: &Path) -> Result<(), Refusal> {
        let (full, named) = self.resolve(dir)?;
        let meta = if named {
            std::fs::metadata(&full)?
        } else {
            std::fs::symlink_metadata(&full)?
        };
        if meta.file_type().is_symlink() {
            return Err(Refusal::Link(dir.to_path_buf()));
        }
        if !meta.is_dir() {
            return Err(Refusal::Special("not a folder"));
        }
        Ok(())
    }

    /// Whether `path` may be read and is a regular file (`fileexists()`,
    /// looking for a parameter file), without reading it.
    pub fn is_readable_file(&self, path: &Path) -> bool {
        self.resolve(path).is_ok_and(|(full, named)| {
            let meta = if named {
                std::fs::metadata(&full)
            } else {
                std::fs::symlink_metadata(&full)
            };
            meta.is_ok_and(|m| m.is_file())
        })
    }

    /// Keeps a problem met where nobody could report it.
    pub fn note(&self, problem: Problem) {
        self.notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(problem);
    }

    pub fn take_notes(&self) -> Vec<Problem> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A shared handle, for evaluators that read files (`file()`).
pub type SharedConfinement = Arc<Confinement>;

/// Text that cannot be decoded: the byte offset of the first bad byte in
/// the text plinth shows for it (decoded lossily, so spans still work).
#[derive(Debug)]
pub struct Undecodable {
    pub text: String,
    pub offset: usize,
    pub message: String,
}

/// Decodes a file's bytes: UTF-8 (a byte-order mark is dropped), or UTF-16
/// with a byte-order mark (little or big endian, what PowerShell writes).
pub fn decode(bytes: Vec<u8>) -> Result<String, Undecodable> {
    let utf16 = match bytes.as_slice() {
        [0xFF, 0xFE, ..] => Some(false),
        [0xFE, 0xFF, ..] => Some(true),
        _ => None,
    };
    if let Some(big_endian) = utf16 {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|pair| match (pair, big_endian) {
                ([a, b], true) => u16::from_be_bytes([*a, *b]),
                ([a, b], false) => u16::from_le_bytes([*a, *b]),
                // An odd trailing byte cannot be a UTF-16 unit.
                _ => 0xDC00,
            })
            .collect();
        let mut text = String::with_capacity(units.len());
        for decoded in char::decode_utf16(units) {
            match decoded {
                Ok(c) => text.push(c),
                Err(_) => {
                    let offset = text.len();
                    text.push(char::REPLACEMENT_CHARACTER);
                    return Err(Undecodable {
                        text,
                        offset,
                        message: "invalid UTF-16 (a lone surrogate or an odd byte)".into(),
                    });
                }
            }
        }
        return Ok(text);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        }),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let byte = err.as_bytes().get(offset).copied().unwrap_or(0);
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            Err(Undecodable {
                text,
                offset,
                message: format!("invalid UTF-8 (byte 0x{byte:02X}); save the file as UTF-8"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An absolute path already normal is copied as it is; any other is
    /// made absolute and normalized the long way: both spell a path as the
    /// long way alone would.
    #[cfg(unix)]
    #[test]
    fn absolute_paths_are_spelled_as_the_long_way_spells_them() {
        let long =
            |p: &Path| normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
        for p in [
            "/a/b/c.bicep",
            "/",
            "/a/./b",
            "/a/../b",
            "/a//b",
            "//a/b",
            "/a/b/",
            "a/b",
            "./a",
            "../a/b",
            "",
        ] {
            assert_eq!(absolute(Path::new(p)), long(Path::new(p)), "{p:?}");
        }
        assert_eq!(absolute(Path::new("/a/./b")), Path::new("/a/b"));
        assert_eq!(absolute(Path::new("/a/b/")), Path::new("/a/b"));
    }

    /// A folder found not to be a link below one root is taken as checked
    /// only for that root and the roots below it: a file read first through
    /// the inner root (a link the user named) is still refused through the
    /// outer one, and a file in a checked folder is read with no lookup of
    /// the folders above it.
    #[cfg(unix)]
    #[test]
    fn a_folder_checked_below_one_root_is_not_taken_as_checked_above_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("deep")).expect("mkdir");
        std::fs::write(real.join("deep/a.json"), "{}").expect("write");
        std::fs::write(real.join("deep/b.json"), "{}").expect("write");
        let linked = dir.path().join("outer/linked");
        std::fs::create_dir_all(dir.path().join("outer")).expect("mkdir");
        std::os::unix::fs::symlink(&real, &linked).expect("symlink");
        let outer = absolute(&dir.path().join("outer"));
        let inner = absolute(&linked);
        let confinement = Confinement {
            roots: Some(vec![inner.clone()]),
            max_file_bytes: 1 << 20,
            ..Confinement::default()
        };
        // Through the link the user named: its folders below are checked.
        assert!(confinement.read(&inner.join("deep/a.json")).is_ok());
        assert!(confinement.read(&inner.join("deep/b.json")).is_ok());
        // The same folder below a root above the link: the link is refused.
        let outer_only = Confinement {
            roots: Some(vec![outer.clone()]),
            folders: std::sync::RwLock::new(confinement.folders.read().expect("lock").clone()),
            max_file_bytes: 1 << 20,
            ..Confinement::default()
        };
        assert!(matches!(
            outer_only.read(&outer.join("linked/deep/b.json")),
            Err(Refusal::Link(_))
        ));
    }

    /// The folders a walk entered are kept as checked below the root that
    /// holds the walk; a walk that went through a link seeds nothing, so a
    /// read below the link is still refused.
    #[cfg(unix)]
    #[test]
    fn a_walk_seeds_its_folders_unless_it_went_through_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = absolute(&dir.path().join("root"));
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/b/t.json"), "{}").expect("write");
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("x")).expect("mkdir");
        std::fs::write(real.join("x/t.json"), "{}").expect("write");
        std::os::unix::fs::symlink(&real, root.join("link")).expect("symlink");
        let confinement = Confinement {
            roots: Some(vec![root.clone()]),
            max_file_bytes: 1 << 20,
            ..Confinement::default()
        };
        let below = root.as_os_str().len();
        confinement.seed(&root, &[root.join("a"), root.join("a/b")]);
        confinement.seed(&root.join("link"), &[root.join("link/x")]);
        let kept = confinement.folders.read().expect("lock").clone();
        assert_eq!(kept.get(&root.join("a")), Some(&below));
        assert_eq!(kept.get(&root.join("a/b")), Some(&below));
        assert_eq!(kept.get(&root.join("link/x")), None);
        assert!(confinement.read(&root.join("a/b/t.json")).is_ok());
        assert!(matches!(
            confinement.read(&root.join("link/x/t.json")),
            Err(Refusal::Link(_))
        ));
    }

    #[test]
    fn normalize_keeps_leading_parents_and_drops_dots() {
        let n = |p: &str| normalize(Path::new(p));
        assert_eq!(n("../../x"), PathBuf::from("../../x"));
        assert_eq!(n("./a/./b/../c"), PathBuf::from("a/c"));
        assert_eq!(n("a/../../b"), PathBuf::from("../b"));
        assert_eq!(n("./"), PathBuf::from("."));
        assert_eq!(n("/../etc"), PathBuf::from("/etc"));
    }

    #[test]
    fn paths_already_normal_are_kept_as_the_long_way_spells_them() {
        let names = ["", ".", "..", "a", "b.bicep", "...", ".x"];
        let mut paths = vec![String::from("/"), String::from("//")];
        for a in names {
            for b in names {
                for c in names {
                    paths.push(format!("{a}/{b}/{c}"));
                    paths.push(format!("/{a}/{b}"));
                    paths.push(format!("{a}/{b}/"));
                    paths.push(format!("{a}{b}{c}"));
                }
            }
        }
        for p in &paths {
            let path = Path::new(p);
            assert_eq!(normalize(path), normalize_components(path), "{p:?}");
            if is_normal(path) {
                assert_eq!(
                    normalize_components(path).as_os_str(),
                    path.as_os_str(),
                    "{p:?}"
                );
            }
        }
        assert!(is_normal(Path::new("/tmp/avm/res/main.bicep")));
        assert!(!is_normal(Path::new("avm/./main.bicep")));
    }

    #[test]
    fn utf16_with_a_bom_decodes_and_bad_utf8_is_located() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("{\"a\": 1}".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(le).ok().as_deref(), Some("{\"a\": 1}"));
        let mut be = vec![0xFE, 0xFF];
        be.extend("é".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(be).ok().as_deref(), Some("é"));
        let bad = decode(b"ab\ncd\xFFe".to_vec()).err().map(|e| e.offset);
        assert_eq!(bad, Some(5));
    }
}
