"""Regenerates the PyTorch parity fixtures in tests/fixtures/reference/ (needs torch).

A randomly initialised reference model (tiny preset, from the fixture's config.json and
tokenizer.json) is saved in PyTorch's layout as `reference.pt` (a plain state_dict) and
`reference.safetensors`, with fixed inputs and the reference's outputs in `io.safetensors`:
the denoiser at 16, 32 and 64 and the text encoder. The Rust tests import both files and
must reproduce the outputs within 1e-4.

    python make_fixtures.py ../../tests/fixtures/reference
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from swd_ref import SwdModel, Tokenizer, load_config

PROMPTS = ["3d emoji: red apple", "flat emoji: cat face", ""]


def main():
    out = Path(sys.argv[1])
    torch.manual_seed(0)
    config = load_config(out / "config.json")
    model = SwdModel(config).eval()
    with torch.no_grad():
        # Move every parameter off PyTorch's init (norms start at 1/0) so a wrong mapping shows.
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    torch.save(state, out / "reference.pt")
    save_file(state, str(out / "reference.safetensors"))

    tok = Tokenizer(out / "tokenizer.json")
    ids, mask = tok.encode(PROMPTS, config["text"]["max_tokens"])
    io = {"ids": ids, "mask": mask, "sigma": torch.tensor([0.9, 0.5, 0.1])}
    with torch.no_grad():
        text = model.text_encoder(ids, mask)
        io["text_tokens"], io["text_pooled"] = text["tokens"], text["pooled"]
        for size in (16, 32, 64):
            x = torch.randn(len(PROMPTS), config["image_channels"], size, size)
            v, features = model(x, io["sigma"], text)
            io[f"x{size}"], io[f"v{size}"], io[f"features{size}"] = x, v, features
    save_file({k: v.contiguous() for k, v in io.items()}, str(out / "io.safetensors"))
    print(f"wrote {out}: {sum(p.numel() for p in model.parameters()):,} parameters")


if __name__ == "__main__":
    main()
