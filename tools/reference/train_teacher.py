"""Trains an swd teacher with the PyTorch reference on a GPU (the recipe of `swd-native train-teacher`).

Rectified flow with the velocity target, logit-normal σ, one random scale per batch (area
downsampling), caption dropout for CFG, AdamW with warm-up and gradient clipping, EMA weights.
Runs for `--steps` or until `--seconds` have passed, then writes a swd model folder (EMA
weights, swd layout, f16) plus the raw weights and a JSONL log, ready for `swd-native generate`.

    python train_teacher.py --data data/emoji64 --config config.json --train-config configs/teacher-demo.toml \
        --out runs/demo --seconds 480
"""
import argparse
import json
import math
import shutil
import time
import tomllib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import load_file
from safetensors.torch import save_file

from safetensors.torch import load_file as load_swd

from swd_ref import SwdModel, Tokenizer, from_swd, load_config, to_swd


def area_matrix(n_in, n_out):
    """[out, in] weights: each output pixel averages the input interval it covers (as swd-core's resize.rs)."""
    w = np.zeros((n_out, n_in), dtype=np.float32)
    ratio = n_in / n_out
    for o in range(n_out):
        start, end = o * ratio, (o + 1) * ratio
        for i in range(math.floor(start), min(math.ceil(end), n_in)):
            w[o, i] = max(0.0, min(end, i + 1) - max(start, i)) / ratio
    return torch.from_numpy(w)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--config", required=True, type=Path, help="model config.json")
    p.add_argument("--train-config", required=True, type=Path, help="teacher TOML (configs/teacher-*.toml)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--seconds", type=float, default=float("inf"), help="stop after this much training time")
    p.add_argument("--steps", type=int, help="override the TOML's steps")
    p.add_argument("--batch-size", type=int, help="override the TOML's batch_size")
    p.add_argument("--lr", type=float, help="override the TOML's lr")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--bf16", action="store_true", help="autocast to bf16 (GPU)")
    p.add_argument("--init", type=Path, help="a previous run folder: continue from its raw and EMA weights (fresh optimizer)")
    p.add_argument("--cosine", action="store_true", help="cosine-decay lr to 10%% over the run's steps or seconds")
    args = p.parse_args()

    tc = tomllib.loads(args.train_config.read_text())
    steps = args.steps or tc["steps"]
    batch = args.batch_size or tc["batch_size"]
    base_lr = args.lr or tc["lr"]
    dev = torch.device(args.device)
    torch.manual_seed(tc["seed"])
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True

    config = load_config(args.config)
    tok = Tokenizer(args.data / "tokenizer.json")
    images = torch.from_numpy(load_file(str(args.data / "images.safetensors"))["images"])
    records = [json.loads(line) for line in (args.data / "captions.jsonl").read_text().splitlines()]
    train = torch.tensor([r["index"] for r in records if r["split"] == "train"], device=dev)
    max_tokens = config["text"]["max_tokens"]
    ids, mask = tok.encode([r["caption"] for r in records], max_tokens)
    empty_ids, empty_mask = tok.encode([""], max_tokens)
    images, ids, mask = images.to(dev), ids.to(dev), mask.to(dev)
    empty_ids, empty_mask = empty_ids.to(dev), empty_mask.to(dev)
    size = images.shape[1]
    resize = {s: (area_matrix(size, s).to(dev)) for s in tc["scales"]}

    model = SwdModel(config).to(dev)
    ema = SwdModel(config).to(dev)
    ema.load_state_dict(model.state_dict())
    if args.init:
        from_swd(model, load_swd(args.init / "raw.safetensors"))
        from_swd(ema, load_swd(args.init / "model" / "model.safetensors"))
    ema.requires_grad_(False)
    params = list(model.parameters())
    print(f"{sum(p.numel() for p in params):,} parameters; {len(train)} training images; batch {batch}; device {dev}", flush=True)
    opt = torch.optim.AdamW(params, lr=base_lr, betas=(0.9, 0.999), eps=1e-5, weight_decay=tc["weight_decay"],
                            fused=dev.type == "cuda")

    args.out.mkdir(parents=True, exist_ok=True)
    log = open(args.out / "log.jsonl", "w")
    gen = torch.Generator(device=dev).manual_seed(tc["seed"])
    start, step, losses = time.time(), 0, []
    while step < steps and time.time() - start < args.seconds:
        scale = tc["scales"][int(torch.randint(len(tc["scales"]), (1,), generator=gen, device=dev))]
        idx = train[torch.randint(len(train), (batch,), generator=gen, device=dev)]
        x0 = images[idx].permute(0, 3, 1, 2).float() / 127.5 - 1.0
        if scale != size:
            r = resize[scale]
            x0 = r @ x0 @ r.t()
        drop = torch.rand(batch, generator=gen, device=dev) < tc["caption_dropout"]
        b_ids = torch.where(drop[:, None], empty_ids, ids[idx])
        b_mask = torch.where(drop[:, None], empty_mask, mask[idx])
        eps = torch.randn(x0.shape, generator=gen, device=dev)
        z = torch.randn(batch, generator=gen, device=dev)
        sigma = torch.sigmoid(tc["sigma_mean"] + tc["sigma_std"] * z).clamp(1e-4, 1 - 1e-4)
        s = sigma[:, None, None, None]
        xt = (1 - s) * x0 + s * eps
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            text = model.text_encoder(b_ids, b_mask)
            v, _ = model(xt, sigma, text)
        loss = F.mse_loss(v.float(), eps - x0)
        lr = base_lr * min(1.0, (step + 1) / max(1, tc["warmup_steps"]))
        if args.cosine:
            done = max(step / steps, (time.time() - start) / args.seconds)
            lr *= 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, done)))
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, tc["grad_clip"])
        opt.step()
        decay = tc["ema_decay"] if args.init else min(tc["ema_decay"], (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_lerp_(list(ema.parameters()), params, 1 - decay)
        step += 1
        losses.append(loss.detach())
        if step % tc["log_every"] == 0:
            mean = torch.stack(losses).mean().item()
            losses = []
            if not math.isfinite(mean):
                raise SystemExit(f"loss became {mean} at step {step}")
            elapsed = time.time() - start
            log.write(json.dumps({"step": step, "loss": mean, "lr": lr, "scale": scale, "seconds": round(elapsed, 1)}) + "\n")
            log.flush()
            if step % (tc["log_every"] * 8) == 0:
                print(f"step {step} loss {mean:.4f} lr {lr:.2e} {step / elapsed:.2f} steps/s", flush=True)
    elapsed = time.time() - start
    print(f"done: {step} steps in {elapsed:.0f} s ({step / elapsed:.2f} steps/s)", flush=True)

    model_dir = args.out / "model"
    model_dir.mkdir(exist_ok=True)
    meta = {"format": "swd", "preset": config["preset"], "steps": str(step), "trainer": "tools/reference/train_teacher.py"}
    half = lambda m: {k: v.half().cpu() for k, v in to_swd(m).items()}
    save_file(half(ema), str(model_dir / "model.safetensors"), metadata=meta)
    save_file(half(model), str(args.out / "raw.safetensors"), metadata=meta)
    (model_dir / "config.json").write_text(json.dumps(config, indent=2))
    shutil.copy(args.data / "tokenizer.json", model_dir / "tokenizer.json")
    (args.out / "summary.json").write_text(json.dumps({
        "steps": step, "seconds": round(elapsed, 1), "batch_size": batch, "lr": base_lr, "bf16": args.bf16,
        "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu", "torch": torch.__version__,
        "train_config": tc}, indent=2))


if __name__ == "__main__":
    main()
