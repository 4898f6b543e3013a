//! A panic inside a third-party parser becomes an error, quietly.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::DocError;

thread_local! {
    /// How many guarded calls this thread is inside: a panic there is reported as an error, so
    /// the panic hook stays silent for it.
    static GUARDED: Cell<usize> = const { Cell::new(0) };
}

static QUIET_HOOK: Once = Once::new();

/// Runs `f`; a panic inside it becomes [`DocError::Panicked`] naming `format`, and is not printed
/// (panics elsewhere still go to the previous hook).
pub fn guard<T>(
    format: &'static str,
    f: impl FnOnce() -> Result<T, DocError>,
) -> Result<T, DocError> {
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        Err(DocError::Panicked {
            format,
            detail: crate::one_line(&detail, 160),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        let err = guard::<()>("pdf", || panic!("index out of bounds")).unwrap_err();
        assert!(matches!(err, DocError::Panicked { format: "pdf", .. }));
        assert!(err.to_string().contains("index out of bounds"), "{err}");
        // Nested guards and normal results pass through.
        assert_eq!(guard("x", || guard("y", || Ok(3))).unwrap(), 3);
    }
}
