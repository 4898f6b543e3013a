//! Finding and loading the ONNX Runtime shared library (`ort` with `load-dynamic`).
//!
//! Search order: an explicit path (`--ort-lib`) or `ORT_DYLIB_PATH` (either one alone: a named path
//! that does not work is an error, not a fall-back), otherwise the installation and
//! user data folders of [`crate::locate::runtime_dirs`] (beside the executable, `<prefix>/lib/`,
//! the build checkout's `.ort/lib/` that `tools/setup-ort.sh` fills from the pinned PyPI wheel,
//! `$XDG_DATA_HOME/mitremap/lib/`). Never the working directory or its parents, and never a file
//! another user could have written ([`crate::locate::ensure_trusted`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::{Error, Result};

/// The command that installs the pinned ONNX Runtime into `.ort/lib/`.
pub const SETUP_COMMAND: &str = "tools/setup-ort.sh";
/// The ONNX Runtime release the project pins and tests with.
pub const PINNED_VERSION: &str = "1.31.1";

/// The loaded runtime.
#[derive(Debug, Clone)]
pub struct RuntimeInfo {
    /// The library that was loaded.
    pub path: PathBuf,
    /// Its version as the library reports it (e.g. `1.31.1`).
    pub version: String,
}

static RUNTIME: OnceLock<
    std::result::Result<(RuntimeInfo, ort::environment::Environment), String>,
> = OnceLock::new();

/// Loads ONNX Runtime once per process (later calls return the first outcome). ONNX Runtime's
/// own log is routed to `tracing` (target `onnxruntime`), never to stderr, so it cannot corrupt a
/// terminal UI. Telemetry events are switched off through the API; on Linux and macOS ONNX
/// Runtime >= 1.31 also writes a device id under `~/.cache/Microsoft/` unless the environment
/// variable `ORT_DISABLE_TELEMETRY=1` is set before this is first called — the `mitremap` binary
/// sets it first thing in `main` (setting it here could race with other threads).
pub fn init_runtime(explicit: Option<&Path>) -> Result<RuntimeInfo> {
    environment(explicit).map(|(info, _)| info.clone())
}

/// The process's ONNX Runtime environment, loading the library on first use.
pub(crate) fn environment(
    explicit: Option<&Path>,
) -> Result<(&'static RuntimeInfo, &'static ort::environment::Environment)> {
    let outcome = RUNTIME.get_or_init(|| load(explicit).map_err(|e| e.to_string()));
    match outcome {
        Ok((info, env)) => Ok((info, env)),
        Err(message) => Err(Error::Runtime(message.clone())),
    }
}

fn load(explicit: Option<&Path>) -> Result<(RuntimeInfo, ort::environment::Environment)> {
    let candidates = candidate_paths(explicit);
    let Some(path) = candidates.iter().find(|p| p.is_file()).cloned() else {
        let searched = candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::RuntimeMissing {
            searched,
            fix: SETUP_COMMAND.into(),
        });
    };
    let unusable = |reason: String| Error::RuntimeUnusable {
        path: path.clone(),
        reason,
        fix: SETUP_COMMAND.into(),
    };
    // Loading a library runs its initialisers: refuse one another user could have replaced.
    crate::locate::ensure_trusted(&path).map_err(Error::Untrusted)?;
    let builder = ort::init_from(&path).map_err(|e| unusable(first_line(&e.to_string())))?;
    let logger: ort::logging::LoggerFunction =
        Arc::new(|level, category, _id, location, message| {
            use ort::logging::LogLevel;
            match level {
                LogLevel::Verbose => {
                    tracing::trace!(target: "onnxruntime", %category, %location, "{message}")
                }
                LogLevel::Info => {
                    tracing::debug!(target: "onnxruntime", %category, %location, "{message}")
                }
                LogLevel::Warning => {
                    tracing::warn!(target: "onnxruntime", %category, %location, "{message}")
                }
                LogLevel::Error | LogLevel::Fatal => {
                    tracing::error!(target: "onnxruntime", %category, %location, "{message}")
                }
            }
        });
    let env = builder
        .with_name("mitremap")
        .with_telemetry(false)
        .with_logger(logger)
        .build()
        .map_err(|e| unusable(first_line(&e.to_string())))?;
    let version = library_version(&path).unwrap_or_else(|| "(version unknown)".into());
    Ok((RuntimeInfo { path, version }, env))
}

/// Where the library is looked for, in order. An explicit path (`--ort-lib`) or a non-empty
/// `$ORT_DYLIB_PATH` is the only candidate: a path the user named that does not work is an error,
/// never a silent fall-back to another library.
pub fn candidate_paths(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_path_buf()];
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return vec![PathBuf::from(p)];
    }
    let mut out = Vec::new();
    for dir in crate::locate::runtime_dirs() {
        for name in crate::locate::RUNTIME_NAMES {
            let p = dir.join(name);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The version string the loaded library reports (`OrtGetApiBase()->GetVersionString()`, what
/// `ort` checks on load; it is not public in `ort`). The library is already loaded at this point,
/// so opening it again only takes another reference: no initialiser runs twice.
fn library_version(path: &Path) -> Option<String> {
    // SAFETY: `path` is the ONNX Runtime library `ort` has just loaded and checked for the
    // `OrtGetApiBase` symbol; its signature and the `OrtApiBase` layout are the C API's, as
    // declared by `ort_sys`, and the returned string is a static NUL-terminated C string.
    unsafe {
        let lib = libloading::Library::new(path).ok()?;
        let get_base: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
            lib.get(b"OrtGetApiBase").ok()?;
        let base = get_base();
        if base.is_null() {
            return None;
        }
        let version = ((*base).GetVersionString)();
        if version.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr(version)
            .to_str()
            .ok()
            .map(str::to_owned)
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}
