"""PyTorch speed peer of `swd-native generate`/`bench`: the same schedules with the same weights.

Batch-1 latency (median of --repeats after warm-up) and batch-N throughput per schedule; the
teacher runs euler:32 with CFG (two evaluations per step), like swd's sampler.

    python bench.py --model models/default --device cuda --json bench_torch.json
"""
import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from swd_ref import SCHEDULES, SwdModel, Tokenizer, from_swd, load_config, sample


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, type=Path, help="swd model folder")
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--batch", type=int, default=16, help="batch size of the throughput column")
    p.add_argument("--bf16", action="store_true", help="autocast to bf16 (default: f32 without TF32, like burn)")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(args.device)
    config = load_config(args.model / "config.json")
    model = from_swd(SwdModel(config), load_file(str(args.model / "model.safetensors"))).to(dev).eval()
    tok = Tokenizer(args.model / "tokenizer.json")
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def run(name, batch):
        scales, sigmas, euler = SCHEDULES[name]
        ids, mask = tok.encode(["3d emoji: red apple"] * batch, config["text"]["max_tokens"])
        eids, emask = tok.encode([""] * batch, config["text"]["max_tokens"])
        with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            sync()
            t0 = time.perf_counter()
            text = model.text_encoder(ids.to(dev), mask.to(dev))
            uncond = model.text_encoder(eids.to(dev), emask.to(dev))
            sample(model, text, uncond, scales, sigmas, euler, config["default_cfg"] if euler else 1.0)
            sync()
            return time.perf_counter() - t0

    rows = []
    for name in SCHEDULES:
        for _ in range(2):
            run(name, 1)
            run(name, args.batch)
        ms = 1000 * statistics.median(run(name, 1) for _ in range(args.repeats))
        ips = args.batch / statistics.median(run(name, args.batch) for _ in range(max(3, args.repeats // 3)))
        rows.append({"schedule": name, "ms_per_image": round(ms, 2), "images_per_s": round(ips, 1)})
        print(f"{name:10s} {ms:9.2f} ms/image (batch 1) {ips:9.1f} images/s (batch {args.batch})", flush=True)
    base = {r["schedule"]: r for r in rows}
    for r in rows:
        r["speedup_vs_full4"] = round(base["full4"]["ms_per_image"] / r["ms_per_image"], 2)
        r["speedup_vs_teacher"] = round(base["euler:32"]["ms_per_image"] / r["ms_per_image"], 2)
    device = torch.cuda.get_device_name() if dev.type == "cuda" else "cpu"
    result = {"device": device, "torch": torch.__version__, "bf16": args.bf16, "batch": args.batch, "model": str(args.model), "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
