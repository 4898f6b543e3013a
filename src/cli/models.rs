//! `mitremap models`: installed models and their cards.

use std::process::ExitCode;

use clap::Args;
use mitremap_engine::model::list_models;
use mitremap_engine::text::terminal_safe_line;
use serde_json::json;

use super::input::model_search_roots;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Print the manifests as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let roots = model_search_roots();
    let models = list_models(&roots);
    if args.json {
        let list: Vec<_> = models
            .iter()
            .map(|m| match &m.manifest {
                Ok(manifest) => json!({"dir": m.dir, "manifest": manifest}),
                Err(e) => json!({"dir": m.dir, "error": e}),
            })
            .collect();
        println!("{}", mitremap_export::json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if models.is_empty() {
        let searched = roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "no models found (searched: {})",
            terminal_safe_line(&searched)
        );
        return Ok(ExitCode::SUCCESS);
    }
    for m in models {
        println!("{}", terminal_safe_line(&m.dir.display().to_string()));
        match m.manifest {
            Err(e) => println!("  unusable: {}", terminal_safe_line(&e)),
            Ok(man) => {
                let labels = match &man.labels {
                    mitremap_engine::model::manifest::LabelsSpec::Inline(v) => v.len().to_string(),
                    mitremap_engine::model::manifest::LabelsSpec::File(f) => {
                        mitremap_engine::model::manifest::read_regular(
                            &m.dir.join(f),
                            mitremap_engine::model::manifest::MAX_JSON_BYTES,
                        )
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok())
                        .map_or("?".into(), |v| v.len().to_string())
                    }
                };
                println!(
                    "  name: {} {}",
                    terminal_safe_line(&man.name),
                    terminal_safe_line(&man.version)
                );
                println!(
                    "  {:?} classifier, {} labels, {:?}, max {} tokens, ATT&CK {}",
                    man.architecture,
                    labels,
                    man.activation,
                    man.max_tokens,
                    terminal_safe_line(&man.attack_version)
                );
                if let Some(blend) = &man.lexical {
                    println!(
                        "  blended with a lexical scorer ({}): {} x graph + {} x lexical logit",
                        terminal_safe_line(&blend.file),
                        blend.model_weight,
                        blend.lexical_weight
                    );
                }
                if let Some(t) = man.threshold {
                    println!(
                        "  threshold: {}",
                        mitremap_engine::analysis::format_threshold(t)
                    );
                }
                for key in ["description", "base_model"] {
                    if let Some(v) = man.card.get(key).and_then(|v| v.as_str()) {
                        println!("  {key}: {}", terminal_safe_line(v));
                    }
                }
                // The training pipeline's card: headline numbers next to the TF-IDF baseline.
                let metrics = &man.card["metrics"];
                for (label, key) in [("model", "model"), ("TF-IDF baseline", "tfidf_lr")] {
                    let m = &metrics[key]["overall"]["parent"];
                    if m.is_object() {
                        println!(
                            "  validation ({label}, parent level): top-1 {}, top-3 {}, macro-F1 {}, micro-F1 {}",
                            terminal_safe_line(&m["top1"].to_string()),
                            terminal_safe_line(&m["top3"].to_string()),
                            terminal_safe_line(&m["macro_f1"].to_string()),
                            terminal_safe_line(&m["micro_f1"].to_string())
                        );
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
