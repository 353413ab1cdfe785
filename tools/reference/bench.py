"""PyTorch speed peer of `swd-native generate`/`bench`: the same schedules with the same weights.

Batch-1 latency (median of --repeats after warm-up) and batch-N throughput per schedule; the
teacher runs euler:32 with CFG (two evaluations per step), like swd's sampler. With --train,
also seconds per teacher training step (velocity loss, backward, gradient clipping, fused AdamW,
EMA — the step of `train_teacher.py` and `swd-native train-teacher`) at --train-batch on random
data at the model's resolution, timed after --warmup steps so that cuDNN's tuning is left out.

    python bench.py --model models/default --device cuda --json bench_torch.json
    python bench.py --model models/default --device cuda --bf16 --train --train-batch 32
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
    p.add_argument("--train", action="store_true", help="also time teacher training steps")
    p.add_argument("--train-batch", type=int, default=32)
    p.add_argument("--train-steps", type=int, default=20, help="timed training steps")
    p.add_argument("--warmup", type=int, default=10, help="untimed training steps first")
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
    if args.train:
        model = from_swd(SwdModel(config), load_file(str(args.model / "model.safetensors"))).to(dev).train()
        s_per_step = train_step_seconds(model, tok, config, args, dev, sync)
        result["train"] = {"name": "teacher", "batch": args.train_batch, "steps_timed": args.train_steps, "s_per_step": round(s_per_step, 5)}
        print(f"teacher training step (batch {args.train_batch}): {s_per_step * 1000:.1f} ms", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


def train_step_seconds(model, tok, config, args, dev, sync):
    """Median seconds of one teacher training step after `args.warmup` untimed ones."""
    b, side = args.train_batch, config["resolution"]
    ema = [p.detach().clone() for p in model.parameters()]
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01, fused=dev.type == "cuda")
    ids, mask = tok.encode(["3d emoji: red apple"] * b, config["text"]["max_tokens"])
    ids, mask = ids.to(dev), mask.to(dev)
    times = []
    for step in range(args.warmup + args.train_steps):
        sync()
        t0 = time.perf_counter()
        x0 = torch.rand(b, config["image_channels"], side, side, device=dev) * 2 - 1
        eps = torch.randn_like(x0)
        sigma = torch.rand(b, device=dev).clamp(1e-4, 1 - 1e-4)
        s = sigma[:, None, None, None]
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            v, _ = model((1 - s) * x0 + s * eps, sigma, model.text_encoder(ids, mask))
        loss = torch.nn.functional.mse_loss(v.float(), eps - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(ema, params, 1e-3)
        sync()
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


if __name__ == "__main__":
    main()
