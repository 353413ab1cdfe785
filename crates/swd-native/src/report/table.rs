//! The report's markdown: quality × speed per evaluated (model, schedule), then the speed
//! table of every bench run.

use swd_train::eval::bootstrap::Interval;

use super::runs::{Runs, model_label};

fn num(x: Option<f64>, digits: usize) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "—".to_string(), |v| format!("{v:.digits$}"))
}

/// `value` with its 95% interval when there is one: `1.72 [1.60, 1.85]`.
fn with_interval(value: f64, interval: Option<Interval>, digits: usize, scale: f64) -> String {
    let v = format!("{:.digits$}", value * scale);
    match interval {
        Some(i) => format!("{v} {}", i.show(digits, scale, "")),
        None => v,
    }
}

fn ratio(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "—".to_string(), |v| format!("{v:.2}×"))
}

pub fn markdown(runs: &Runs, plot: Option<&str>, grid: Option<&str>) -> String {
    let mut md = String::from("# swd report\n\n");
    if !runs.evals.is_empty() {
        let speed = runs.benches.first();
        let mut ks: Vec<usize> = runs.evals.iter().map(|e| e.k).collect();
        ks.dedup();
        let k = if ks.len() == 1 { format!("k = {}", ks[0]) } else { "k per run in its JSON".into() };
        md += &format!(
            "## Quality and speed\n\nLatency from {} (batch 1, median); \"—\" where no bench run timed the schedule. FID, precision and recall ({k}) on the evaluation network's features against the real images of the same prompts; prompt top-1 is the evaluation network's accuracy on the prompted emoji. Brackets: 95% bootstrap intervals over the evaluation prompts, where the run computed them.\n\n",
            speed.map_or("no bench run".to_string(), |b| format!("`{}`", b.device))
        );
        md += "| model | schedule | steps | NFE | ms/image | vs full4 | vs teacher | FID ↓ | precision ↑ | recall ↑ | prompt top-1 (%) ↑ | diversity | n |\n";
        md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        for e in &runs.evals {
            let row = speed.and_then(|b| b.row(&e.schedule));
            let i = e.intervals.as_ref();
            md += &format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                model_label(&e.model),
                e.schedule,
                e.steps,
                e.nfe,
                num(row.map(|r| r.ms_per_image), 1),
                ratio(row.and_then(|r| r.speedup_vs_full4)),
                ratio(row.and_then(|r| r.speedup_vs_teacher)),
                with_interval(e.fid, i.map(|i| i.fid), 2, 1.0),
                with_interval(e.precision, i.map(|i| i.precision), 3, 1.0),
                with_interval(e.recall, i.map(|i| i.recall), 3, 1.0),
                with_interval(e.prompt.top1, i.map(|i| i.top1), 1, 100.0),
                match (e.diversity, i) {
                    (Some(d), Some(i)) if d.is_finite() => with_interval(d, Some(i.diversity), 3, 1.0),
                    (d, _) => num(d, 3),
                },
                e.n
            );
        }
        md += "\n";
    }
    for b in &runs.benches {
        md += &format!(
            "## Speed on `{}`\n\nModel `{}`; batch-1 latency (median) and batch-{} throughput, one run on one device.\n\n",
            b.device, b.model, b.batch
        );
        md += &format!(
            "| schedule | steps | NFE | ms/image | images/s (batch {}) | vs full4 | vs teacher |\n|---|---|---|---|---|---|---|\n",
            b.batch
        );
        for r in &b.rows {
            md += &format!(
                "| {} | {} | {} | {:.1} | {:.2} | {} | {} |\n",
                r.schedule,
                r.steps,
                r.nfe,
                r.ms_per_image,
                r.images_per_s,
                ratio(r.speedup_vs_full4),
                ratio(r.speedup_vs_teacher)
            );
        }
        md += "\n";
    }
    if let Some(p) = plot {
        md += &format!("## Quality vs latency\n\n![FID vs ms/image]({p})\n\n");
    }
    if let Some(g) = grid {
        md += &format!("## Samples (same prompts and seeds in every column)\n\n![samples]({g})\n");
    }
    md
}
