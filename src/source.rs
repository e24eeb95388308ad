//! Source files, byte spans and line/column maps, shared by every stage.
//!
//! Every file plinth reads is registered once in a [`SourceMap`] and named by a
//! [`FileId`] from then on; spans are byte ranges into that file's text. This
//! module knows nothing about JSON, HCL or Azure.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::diagnostic::Problem;
use crate::paths::{Confinement, Refusal};
pub use crate::span::{FileId, Span};

/// One file's text, with the path as the user gave it (relative paths stay relative).
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Where each line starts, computed the first time a line is asked for:
    /// most files read in a run never show a line, and `u32` as in [`Span`].
    line_starts: OnceLock<Box<[u32]>>,
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            path,
            text: text.into(),
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                self.text
                    .bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            );
            starts.into_boxed_slice()
        })
    }

    /// Line and column of a byte offset (clamped to the text, snapped to a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_starts = self.line_starts();
        let line = match line_starts.binary_search(&u32::try_from(offset).unwrap_or(u32::MAX)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = line_starts[line] as usize;
        let column = self.text[line_start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The text a span covers, or "" when the span does not fit this file.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// Every file read in one run. Append-only and shareable across threads:
/// front-ends that discover more files (Terraform child modules, ARM parameter
/// files) register them while other units are being loaded.
#[derive(Debug)]
pub struct SourceMap {
    files: RwLock<Vec<Slot>>,
    /// Which files may be read (see [`crate::paths`]).
    confinement: RwLock<Arc<Confinement>>,
    /// Texts read instead of the files on disk (an editor's unsaved
    /// buffers, a fix not yet written), by absolute normalized path.
    overlay: RwLock<Arc<Overlay>>,
    /// What front-ends keep for the whole run, one value of each type
    /// (see [`SourceMap::kept`]).
    kept: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

/// A registered file and how many hold it: the unit that registered it,
/// and each other unit or kept Bicep template that shares it (see
/// [`SourceMap::share`]). Its text is dropped when the last lets go.
#[derive(Debug)]
struct Slot {
    file: Arc<SourceFile>,
    holders: u32,
}

/// Texts that stand in for files on disk, by absolute normalized path.
pub type Overlay = std::collections::HashMap<PathBuf, Arc<str>>;

impl Default for SourceMap {
    fn default() -> SourceMap {
        SourceMap {
            files: RwLock::default(),
            confinement: RwLock::new(Arc::new(Confinement::unconfined(
                crate::paths::DEFAULT_MAX_FILE_BYTES,
            ))),
            overlay: RwLock::default(),
            kept: Mutex::default(),
        }
    }
}

/// Why [`SourceMap::load`] gave no usable file.
#[derive(Debug)]
pub enum LoadError {
    Refused(Refusal),
    /// Read, but not text: registered (decoded lossily) so that the first
    /// bad byte has a line and column.
    Undecodable {
        file: FileId,
        offset: usize,
        message: String,
    },
}

impl LoadError {
    /// The problem for a file not loaded, asked for by `what` at `at`; a
    /// file that cannot be decoded is reported at its first bad byte.
    pub fn problem(&self, path: &Path, what: &str, at: (&Path, Option<Span>)) -> Problem {
        match self {
            LoadError::Refused(refusal) => refusal.problem(path, what, at),
            LoadError::Undecodable {
                file,
                offset,
                message,
            } => Problem::new(
                crate::paths::UNDECODABLE,
                format!("{what} cannot be decoded: {message}: not checked"),
            )
            .at(path, Some(Span::new(*file, *offset, offset + 1)))
            .with_label("first byte that is not text")
            .with_help("plinth reads UTF-8, and UTF-16 with a byte-order mark"),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Refused(refusal) => write!(f, "{refusal}"),
            LoadError::Undecodable { message, .. } => write!(f, "{message}"),
        }
    }
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&self, path: PathBuf, text: impl Into<Arc<str>>) -> FileId {
        let file = Arc::new(SourceFile::new(path, text));
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(Slot { file, holders: 1 });
        FileId((files.len() - 1) as u32)
    }

    /// Reads a file from disk, when the run's confinement allows it, and
    /// registers it under the path as given.
    pub fn load(&self, path: &Path) -> Result<FileId, LoadError> {
        if let Some(text) = self.overlaid(path) {
            // Still only what the confinement lets through.
            self.confinement()
                .resolve(path)
                .map_err(LoadError::Refused)?;
            return Ok(self.add(path.to_path_buf(), text));
        }
        let bytes = self.confinement().read(path).map_err(LoadError::Refused)?;
        match crate::paths::decode(bytes) {
            Ok(text) => Ok(self.add(path.to_path_buf(), text)),
            Err(bad) => Err(LoadError::Undecodable {
                file: self.add(path.to_path_buf(), bad.text),
                offset: bad.offset,
                message: bad.message,
            }),
        }
    }

    /// Which files this run may read.
    pub fn confinement(&self) -> Arc<Confinement> {
        self.confinement
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The overlay's text for `path`, if it has one.
    fn overlaid(&self, path: &Path) -> Option<Arc<str>> {
        let overlay = self.overlay.read().unwrap_or_else(|e| e.into_inner());
        if overlay.is_empty() {
            return None;
        }
        overlay.get(&crate::paths::absolute(path)).cloned()
    }

    /// The bytes of `path` when the confinement lets it be read: the
    /// overlay's text for it, else the file on disk.
    pub fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, Refusal> {
        if let Some(text) = self.overlaid(path) {
            self.confinement().resolve(path)?;
            return Ok(text.as_bytes().to_vec());
        }
        self.confinement().read(path)
    }

    /// Texts to read instead of the files on disk (see [`Overlay`]).
    pub fn set_overlay(&self, overlay: Arc<Overlay>) {
        *self.overlay.write().unwrap_or_else(|e| e.into_inner()) = overlay;
    }

    pub fn set_confinement(&self, confinement: Confinement) {
        *self.confinement.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(confinement);
    }

    pub fn get(&self, id: FileId) -> Arc<SourceFile> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files[id.0 as usize].file.clone()
    }

    /// File `id` held once more, by a unit that reads the same file as
    /// `path` with `text` (or by a kept template whose spans point at it):
    /// whether it could be, that is the file is registered under that very
    /// path, with that text, and its text was not dropped yet. A unit that
    /// shares a file releases it once, as it does the files it registered.
    pub fn share(&self, id: FileId, path: &Path, text: &Arc<str>) -> bool {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        match files.get_mut(id.0 as usize) {
            Some(slot)
                if slot.holders > 0
                    && slot.file.path == path
                    && (Arc::ptr_eq(&slot.file.text, text) || *slot.file.text == **text) =>
            {
                slot.holders = slot.holders.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    /// Lets go of file `id`: a unit once nothing will be shown from it (it
    /// raised no finding there), a kept template once dropped. The last to
    /// let go drops its text, so a run's memory does not grow with the text
    /// of every clean file. The path stays.
    pub fn release(&self, id: FileId) {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = files.get_mut(id.0 as usize)
            && slot.holders > 0
        {
            slot.holders -= 1;
            if slot.holders == 0 {
                slot.file = Arc::new(SourceFile::new(slot.file.path.clone(), ""));
            }
        }
    }

    /// The run's one value of type `T`, made on first use: what a
    /// front-end shares between the units of a run that read the same files
    /// (Bicep's lowered modules). It lives as long as the files do.
    pub fn kept<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let value = kept
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        Arc::clone(value)
            .downcast::<T>()
            .unwrap_or_else(|_| Arc::new(T::default()))
    }

    pub fn path(&self, id: FileId) -> PathBuf {
        self.get(id).path.clone()
    }

    /// How many distinct paths the files registered at or after index
    /// `first` have (paths compared as [`crate::paths::normalize`] spells
    /// them: as text, which is cheaper to hash than path components).
    pub fn distinct_paths_from(&self, first: usize) -> usize {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files
            .iter()
            .skip(first)
            .map(|f| crate::paths::normalize(&f.file.path).into_os_string())
            .collect::<foldhash::HashSet<_>>()
            .len()
    }

    pub fn len(&self) -> usize {
        self.files.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let file = SourceFile::new("a.tf".into(), "ab\nçd\n");
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(3), LineCol { line: 2, column: 1 });
        // 'd' follows a two-byte character.
        assert_eq!(file.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(file.line_col(99), LineCol { line: 3, column: 1 });
    }
}
