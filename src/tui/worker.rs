//! Background work: loading the model and running analyses off the UI thread. Results come
//! back as actions on the app's channel.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mitremap_engine::analysis::{Event, iocs_only};
use mitremap_engine::model::{Classifier, ModelOptions};
use tokio::sync::mpsc::UnboundedSender;

use mitremap_engine::explain::{ExplainOptions, Explanation, explain_chunk};

use super::action::{Action, AnalysisJob, ExplainJob};

/// Threads that may be inside ONNX Runtime (loading, analysing, explaining). The process must not
/// exit while one is: exit runs the runtime library's static destructors under the running
/// thread's feet (seen as a segfault when quitting during an analysis).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts one background thread from before it is spawned until it ends.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits until no background thread is inside the model, at most `timeout`; false if some still
/// is (the caller then leaves without running exit handlers).
pub fn wait_idle(timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while IN_FLIGHT.load(Ordering::SeqCst) > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Runs one analysis on its own thread (CPU-bound; checked for cancellation between batches).
pub fn spawn_analysis(job: AnalysisJob, tx: UnboundedSender<Action>) {
    let guard = InFlight::enter();
    let spawned = std::thread::Builder::new()
        .name("mitremap-analysis".into())
        .spawn(move || {
            let _guard = guard;
            run_analysis(&job, &mut |event| {
                let _ = tx.send(Action::Analysis {
                    generation: job.generation,
                    event,
                });
            })
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the analysis thread: {e}");
    }
}

/// Runs an analysis synchronously, ending with `Finished`, `Failed` or `Cancelled`
/// (what the runtime does on a thread; tests call it directly).
pub fn run_analysis(job: &AnalysisJob, sink: &mut dyn FnMut(Event)) {
    match &job.analyzer {
        Some(analyzer) => {
            let outcome = analyzer.run(&job.document, &job.options, &job.cancel, sink);
            match outcome {
                Ok(_) => {}
                Err(mitremap_engine::Error::Cancelled) => sink(Event::Cancelled),
                Err(e) => sink(Event::Failed(e.to_string())),
            }
        }
        None => iocs_only(&job.document, sink),
    }
}

/// Computes attributions for one chunk on its own thread.
pub fn spawn_explain(job: ExplainJob, tx: UnboundedSender<Action>) {
    let guard = InFlight::enter();
    let _ = std::thread::Builder::new()
        .name("mitremap-explain".into())
        .spawn(move || {
            let _guard = guard;
            let result = explain(&job);
            let _ = tx.send(Action::Explained {
                generation: job.generation,
                chunk: job.chunk,
                result,
            });
        });
}

/// Attributions for one chunk, synchronously (tests call it directly).
pub fn explain(job: &ExplainJob) -> Result<Vec<Explanation>, String> {
    if job.cancel.is_cancelled() {
        return Err("cancelled".into());
    }
    let classifier = job.analyzer.classifier();
    let text = job
        .document
        .text()
        .get(job.range.clone())
        .ok_or("chunk out of range")?;
    let mut encoded = classifier
        .encoder()
        .encode(text)
        .map_err(|e| e.to_string())?;
    encoded.shift(job.range.start);
    explain_chunk(
        classifier,
        job.document.text(),
        &encoded,
        &job.labels,
        &ExplainOptions::default(),
    )
    .map_err(|e| e.to_string())
}

/// Loads the model on its own thread.
pub fn spawn_model_load(
    dir: Result<PathBuf, String>,
    options: ModelOptions,
    tx: UnboundedSender<Action>,
) {
    let guard = InFlight::enter();
    let _ = std::thread::Builder::new()
        .name("mitremap-model".into())
        .spawn(move || {
            let _guard = guard;
            let result = dir.and_then(|dir| load_model(&dir, &options));
            let _ = tx.send(Action::ModelLoaded(result));
        });
}

pub fn load_model(dir: &Path, options: &ModelOptions) -> Result<Arc<Classifier>, String> {
    Classifier::load(dir, options)
        .map(Arc::new)
        .map_err(|e| format!("{}: {e}", dir.display()))
}

/// The model folder: `--model`/`$MITREMAP_MODEL`, else the installed `models/default` (see
/// `mitremap_engine::locate`).
pub fn model_dir(explicit: Option<&Path>) -> Result<PathBuf, String> {
    crate::cli::default_model_dir(explicit).map_err(|e| e.to_string())
}

#[cfg(test)]
mod in_flight_tests {
    use super::*;

    #[test]
    fn exit_waits_for_background_threads_inside_the_model() {
        let guard = InFlight::enter();
        // a thread still counted: not idle
        assert!(!wait_idle(Duration::from_millis(20)));
        let worker = std::thread::spawn(move || {
            let _guard = guard;
            std::thread::sleep(Duration::from_millis(50));
        });
        // idle once it ends (other tests' threads end too; generous bound)
        assert!(wait_idle(Duration::from_secs(30)));
        worker.join().unwrap();
    }
}
