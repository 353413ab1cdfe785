"""The markdown table of scripts/gpu-bench.sh: burn builds next to the PyTorch reference.

    python3 tools/gpu-report.py docs/report/gpu      # reads its *.json, writes README.md there

Ratios are throughput ratios (higher = burn faster): PyTorch's time over burn's time, or burn's
images/s over PyTorch's. A cell with no measurement, or measured at another batch size, says so ("—"); nothing is
estimated.
"""
import json
import sys
from pathlib import Path


def load(path):
    return json.loads(path.read_text()) if path.exists() else None


def row(doc, schedule):
    """The row of `schedule`; `euler:32` also matches a newer build's `euler:32@64`."""
    rows = (doc or {}).get("rows", [])
    return next((r for r in rows if r["schedule"] == schedule or r["schedule"].startswith(schedule + "@")), None)


def train(doc, name, key="s_per_step"):
    if doc is None:
        return None
    rows = doc.get("train") or []
    if isinstance(rows, dict):  # the PyTorch reference times the teacher only
        rows = [rows]
    return next((r.get(key) for r in rows if r["name"] == name), None)


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report/gpu")
    # A build is listed when either of its benchmarks ran (a budget may have cut the other).
    runs = {}
    for kind in ("generate", "train"):
        for p in out.glob(f"burn-*-{kind}.json"):
            label = p.name[len("burn-"):-len(f"-{kind}.json")]
            runs[label] = min(runs.get(label, p.stat().st_mtime), p.stat().st_mtime)
    # Builds in the order they were run (file time), so "before" comes before "after".
    labels = sorted(runs, key=runs.get)
    burn = {l: (load(out / f"burn-{l}-generate.json"), load(out / f"burn-{l}-train.json")) for l in labels}
    torch = {p: load(out / f"torch-{p}.json") for p in ("f32", "bf16")}
    if not labels:
        sys.exit(f"gpu-report: no burn-*-generate.json or burn-*-train.json in {out}")

    gen_batch = next((g["batch"] for g, _ in burn.values() if g), None)
    train_batch = next((t["batch"] for _, t in burn.values() if t), None)
    # (label, value per burn build, value per PyTorch precision, unit, higher is better)
    measures = [
        (f"teacher training step, batch {train_batch}", lambda g, t: train(t, "teacher"),
         lambda d: train(d, "teacher") if (d.get("train") or {}).get("batch") == train_batch else None, "s", False),
        (f"distill swd4 step, batch {train_batch}, 5 critic updates", lambda g, t: train(t, "distill swd4"), None, "s", False),
        (f"distill full4 step, same", lambda g, t: train(t, "distill full4"), None, "s", False),
        ("first step of a run (compilation, tuning-cache reads), teacher", lambda g, t: train(t, "teacher", "first_step_s"), None, "s", False),
        ("first step of a run, distill swd4", lambda g, t: train(t, "distill swd4", "first_step_s"), None, "s", False),
        ("first swd4 cycle (each scale's kernels compiled), untimed", lambda g, t: train(t, "distill swd4", "warmup_s"), None, "s", False),
    ]
    for schedule, name in (("swd4", "swd4"), ("full4", "full4"), ("euler:32", "teacher euler:32 + CFG")):
        measures.append((f"generate {name}, batch 1", lambda g, t, s=schedule: (row(g, s) or {}).get("ms_per_image"),
                         lambda d, s=schedule: (row(d, s) or {}).get("ms_per_image"), "ms", False))
        measures.append((f"generate {name}, batch {gen_batch}", lambda g, t, s=schedule: (row(g, s) or {}).get("images_per_s"),
                         lambda d, s=schedule: (row(d, s) or {}).get("images_per_s") if d.get("batch") == gen_batch else None, "images/s", True))

    def fmt(v, unit):
        if v is None:
            return "—"
        if unit == "s":
            return f"{v:.3f} s"
        # A slow adapter's 0.03 images/s is not "0.0".
        return f"{v:.1f} {unit}" if v >= 10 else f"{v:.3g} {unit}"

    def ratio(b, t, higher):
        if b is None or t is None or b == 0 or t == 0:
            return "—"
        return f"{(b / t if higher else t / b):.2f}×"

    last = labels[-1]
    head = [f"burn ({l})" for l in labels] + ["PyTorch f32", "PyTorch bf16", f"burn ({last}) / PyTorch f32", f"burn ({last}) / PyTorch bf16"]
    lines = [f"# GPU benchmark: burn vs PyTorch", ""]
    devices = {l: (g or t or {}).get("device", "device not recorded") for l, (g, t) in burn.items()}
    for l, d in devices.items():
        lines.append(f"- burn ({l}): {d}")
    for p, d in torch.items():
        lines.append(f"- PyTorch {p}: " + (f"{d['device']}, torch {d['torch']}" if d else "not measured"))
    lines += ["", "| workload | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    ratios = {}
    for name, burn_value, torch_value, unit, higher in measures:
        values = [burn_value(g, t) for g, t in burn.values()]
        tv = {p: (torch_value(d) if torch_value and d else None) for p, d in torch.items()}
        ratios[name] = values[-1]
        cells = [fmt(v, unit) for v in values] + [fmt(tv["f32"], unit), fmt(tv["bf16"], unit),
                                                  ratio(values[-1], tv["f32"], higher), ratio(values[-1], tv["bf16"], higher)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    swd, full = ratios.get(measures[1][0]), ratios.get(measures[2][0])
    lines += ["", f"swd4 vs full4 ({last}): distillation step " + (f"{full / swd:.2f}×" if swd and full else "—")]
    g = burn[last][0]
    s16, f16 = (row(g, "swd4") or {}).get("images_per_s"), (row(g, "full4") or {}).get("images_per_s")
    lines.append(f"swd4 vs full4 ({last}): batch-{gen_batch} throughput " + (f"{s16 / f16:.2f}×" if s16 and f16 else "—"))
    for p, d in torch.items():
        s, f = (row(d, "swd4") or {}).get("images_per_s"), (row(d, "full4") or {}).get("images_per_s")
        if s and f:
            lines.append(f"swd4 vs full4 (PyTorch {p}): batch-{gen_batch} throughput {s / f:.2f}×")
    kernels = {l: load(out / f"burn-{l}-kernels.json") for l in labels}
    kernels = {l: k for l, k in kernels.items() if k}
    if kernels:
        lines += ["", "Kernel launches (`swd-native profile`; a training step is a 3-step run minus a 1-step run, halved):", ""]
        names = [r["name"] for r in next(iter(kernels.values()))["rows"]]
        lines += ["| work | " + " | ".join(f"burn ({l}) launches / compiled" for l in kernels) + " |", "|---" * (len(kernels) + 1) + "|"]
        for n in names:
            cells = []
            for k in kernels.values():
                r = next((r for r in k["rows"] if r["name"] == n), None)
                cells.append(f"{r['launches']} / {r['distinct']}" if r else "—")
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
    (out / "README.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
