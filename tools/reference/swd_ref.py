"""PyTorch reference of the swd denoiser and text encoder.

Same architecture and parameter names as `crates/swd-core/src/nn`, built from the same
`config.json`. Parameters use PyTorch's layout (Linear weights `[out, in]`, norms `weight`/`bias`);
`to_swd` / `from_swd` convert to and from the layout of swd's own `model.safetensors`
(burn's: Linear weights `[in, out]`, norms `gamma`/`beta`).
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TIMESTEP_SCALE = 1000.0
PAD, UNK, BOS = "[PAD]", "[UNK]", "[BOS]"


class Attention(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context, bias=None):
        """x: [B, N, D], context: [B, M, Dc], bias: additive, broadcastable to [B, h, N, M]."""
        b, n, d = x.shape
        m, h = context.shape[1], self.heads
        q = self.to_q(x).view(b, n, h, d // h).transpose(1, 2)
        k = self.to_k(context).view(b, m, h, d // h).transpose(1, 2)
        v = self.to_v(context).view(b, m, h, d // h).transpose(1, 2)
        if bias is not None:
            bias = bias.to(q.dtype)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.to_out(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class TokenBlock(nn.Module):
    def __init__(self, dim, heads, context_dim=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, dim, heads)
        self.norm_cross = nn.LayerNorm(dim) if context_dim else None
        self.cross = Attention(dim, context_dim, heads) if context_dim else None
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x, self_bias=None, context=None):
        h = self.norm1(x)
        x = x + self.attn(h, h, self_bias)
        if self.cross is not None and context is not None:
            ctx, bias = context
            x = x + self.cross(self.norm_cross(x), ctx, bias)
        return x + self.mlp(self.norm2(x))


class SpatialTransformer(nn.Module):
    def __init__(self, channels, heads, groups, context_dim):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.proj_in = nn.Linear(channels, channels)
        self.block = TokenBlock(channels, heads, context_dim)
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x, text):
        b, c, h, w = x.shape
        tokens = self.proj_in(self.norm(x).reshape(b, c, h * w).transpose(1, 2))
        tokens = self.block(tokens, None, (text["tokens"], text["bias"]))
        return x + self.proj_out(tokens).transpose(1, 2).reshape(b, c, h, w)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb_proj = nn.Linear(emb_dim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def sinusoidal(t, dim):
    """[cos(t·f_i), sin(t·f_i)], f_i = 10000^(−i/half): [B] → [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.cos(), args.sin()], dim=1)


class TimeEmbedding(nn.Module):
    def __init__(self, freq_dim, out_dim):
        super().__init__()
        self.freq_dim = freq_dim
        self.fc1 = nn.Linear(freq_dim, out_dim)
        self.fc2 = nn.Linear(out_dim, out_dim)

    def forward(self, t):
        return self.fc2(F.silu(self.fc1(sinusoidal(t, self.freq_dim))))


class TextEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.token_embedding = nn.Embedding(cfg["vocab_size"], cfg["width"])
        self.position_embedding = nn.Embedding(cfg["max_tokens"], cfg["width"])
        self.blocks = nn.ModuleList(TokenBlock(cfg["width"], cfg["heads"]) for _ in range(cfg["layers"]))
        self.norm = nn.LayerNorm(cfg["width"])

    def forward(self, ids, mask):
        """ids: [B, L] int, mask: [B, L] (1 real, 0 padding) → tokens [B, L, D], bias [B, 1, 1, L], pooled [B, D]."""
        b, l = ids.shape
        positions = torch.arange(l, device=ids.device)[None].expand(b, l)
        x = self.token_embedding(ids) + self.position_embedding(positions)
        bias = ((mask - 1.0) * 1e4).reshape(b, 1, 1, l)
        for block in self.blocks:
            x = block(x, bias)
        tokens = self.norm(x)
        pooled = (tokens * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
        return {"tokens": tokens, "bias": bias, "pooled": pooled}


class DownLevel(nn.Module):
    def __init__(self, res, attn, down):
        super().__init__()
        self.res, self.attn, self.down = nn.ModuleList(res), nn.ModuleList(attn), down


class UpLevel(nn.Module):
    def __init__(self, res, attn, up):
        super().__init__()
        self.res, self.attn, self.up = nn.ModuleList(res), nn.ModuleList(attn), up


def _blocks(level, h, emb, text):
    for j, block in enumerate(level.res):
        h = block(h, emb)
        if j < len(level.attn):
            h = level.attn[j](h, text)
    return h


class UNet(nn.Module):
    def __init__(self, cfg, image_channels, text_dim):
        super().__init__()
        mults, nres, groups, heads = cfg["channel_mults"], cfg["res_blocks"], cfg["norm_groups"], cfg["heads"]
        ch = lambda l: cfg["base_channels"] * mults[l]
        levels, emb_dim = len(mults), 4 * cfg["base_channels"]
        res = lambda i, o: ResBlock(i, o, emb_dim, groups)
        attn = lambda c: SpatialTransformer(c, heads, groups, text_dim)
        attn_at = lambda l: l in cfg["attention_levels"]
        self.conv_in = nn.Conv2d(image_channels, ch(0), 3, padding=1)
        self.time_embed = TimeEmbedding(cfg["base_channels"], emb_dim)
        self.text_proj = nn.Linear(text_dim, emb_dim)
        down, prev = [], ch(0)
        for l in range(levels):
            c = ch(l)
            down.append(DownLevel(
                [res(prev if j == 0 else c, c) for j in range(nres)],
                [attn(c) for _ in range(nres)] if attn_at(l) else [],
                Downsample(c) if l + 1 < levels else None,
            ))
            prev = c
        self.down = nn.ModuleList(down)
        deepest = ch(levels - 1)
        self.mid_res1, self.mid_attn, self.mid_res2 = res(deepest, deepest), attn(deepest), res(deepest, deepest)
        self.up = nn.ModuleList(
            UpLevel(
                [res(2 * ch(l) if j == 0 else ch(l), ch(l)) for j in range(nres)],
                [attn(ch(l)) for _ in range(nres)] if attn_at(l) else [],
                Upsample(ch(l), ch(l - 1)) if l > 0 else None,
            )
            for l in reversed(range(levels))
        )
        self.norm_out = nn.GroupNorm(groups, ch(0))
        self.conv_out = nn.Conv2d(ch(0), image_channels, 3, padding=1)

    def forward(self, x, t, text):
        """x: [B, C, H, W], t: [B] (1000·σ) → velocity [B, C, H, W], mid features."""
        emb = self.time_embed(t) + self.text_proj(text["pooled"])
        h = self.conv_in(x)
        skips = []
        for level in self.down:
            h = _blocks(level, h, emb, text)
            skips.append(h)
            if level.down is not None:
                h = level.down(h)
        h = self.mid_attn(self.mid_res1(h, emb), text)
        features = self.mid_res2(h, emb)
        h = features
        for level in self.up:
            h = _blocks(level, torch.cat([h, skips.pop()], 1), emb, text)
            if level.up is not None:
                h = level.up(h)
        return self.conv_out(F.silu(self.norm_out(h))), features


class SwdModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.text_encoder = TextEncoder(config["text"])
        self.unet = UNet(config["unet"], config["image_channels"], config["text"]["width"])

    def forward(self, x, sigma, text):
        """x: [B, C, H, W], sigma: [B] → (velocity, features)."""
        return self.unet(x, sigma * TIMESTEP_SCALE, text)


def load_config(path):
    with open(path) as f:
        return json.load(f)


class Tokenizer:
    """swd's word-level tokenizer: [BOS] + words, truncated and padded with [PAD] to max_tokens."""

    def __init__(self, path):
        from tokenizers import Tokenizer as HfTokenizer

        self.inner = HfTokenizer.from_file(str(path))
        self.bos, self.pad = self.inner.token_to_id(BOS), self.inner.token_to_id(PAD)

    def encode(self, prompts, max_tokens):
        """→ ids [B, L] int64, mask [B, L] float32."""
        rows = []
        for p in prompts:
            ids = [self.bos] + self.inner.encode(p, add_special_tokens=False).ids[: max_tokens - 1]
            rows.append(ids + [self.pad] * (max_tokens - len(ids)))
        ids = torch.tensor(rows, dtype=torch.int64)
        return ids, (ids != self.pad).float()


def _kinds(model):
    """Parameter name → 'linear' | 'norm' | 'other'."""
    kinds = {}
    for prefix, module in model.named_modules():
        kind = "linear" if isinstance(module, nn.Linear) else "norm" if isinstance(module, (nn.LayerNorm, nn.GroupNorm)) else "other"
        for name, _ in module.named_parameters(recurse=False):
            kinds[f"{prefix}.{name}" if prefix else name] = kind
    return kinds


def to_swd(model):
    """State dict in swd's (burn's) layout: Linear weights transposed, norms as gamma/beta."""
    kinds, out = _kinds(model), {}
    for name, value in model.state_dict().items():
        kind = kinds[name]
        if kind == "linear" and name.endswith(".weight"):
            value = value.t()
        if kind == "norm":
            name = name[: -len("weight")] + "gamma" if name.endswith(".weight") else name[: -len("bias")] + "beta"
        out[name] = value.contiguous()
    return out


def dequantize(tensors):
    """swd's int8 format → float: `NAME` (int8) times `NAME:scale`, one scale per output channel
    (axis 0 of conv kernels, the last axis of burn's `[in, out]` matrices)."""
    out = {}
    for name, value in tensors.items():
        if name.endswith(":scale"):
            continue
        scale = tensors.get(name + ":scale")
        if scale is not None:
            shape = [1] * value.dim()
            shape[1 if value.dim() == 2 else 0] = -1
            value = value.float() * scale.float().reshape(shape)
        out[name] = value
    return out


def from_swd(model, tensors):
    """Loads a swd-layout state dict (e.g. an swd model.safetensors, f32/f16/int8) into `model`, strictly."""
    tensors = dequantize(tensors)
    kinds, state = _kinds(model), {}
    for name in model.state_dict():
        kind = kinds[name]
        source = name
        if kind == "norm":
            source = name[: -len("weight")] + "gamma" if name.endswith(".weight") else name[: -len("bias")] + "beta"
        value = tensors[source].float()
        state[name] = value.t() if kind == "linear" and name.endswith(".weight") else value
    model.load_state_dict(state, strict=True)
    extra = set(tensors) - {n for n in to_swd(model)}
    if extra:
        raise KeyError(f"unexpected tensors: {sorted(extra)[:5]}")
    return model


@torch.no_grad()
def sample(model, text, uncond, scales, sigmas, euler, cfg=1.0, generator=None):
    """The swd sampler: Euler ODE steps (teacher) or few-step x0-predict, bicubic-upsample, re-noise.

    text / uncond: encoded prompts (uncond only used when cfg != 1) → x0 [B, C, s_N, s_N].
    """
    b, c = text["pooled"].shape[0], model.config["image_channels"]
    dev = text["pooled"].device
    noise = lambda s: torch.randn((b, c, s, s), generator=generator, device=dev)
    x = noise(scales[0])
    for i, (scale, sigma, nxt) in enumerate(zip(scales, sigmas, sigmas[1:])):
        s = torch.full((b,), sigma, device=dev)
        v = model(x, s, text)[0]
        if cfg != 1.0:
            v = model(x, s, uncond)[0] * (1 - cfg) + v * cfg
        x0 = x - v * sigma
        if i + 1 == len(scales):
            return x0
        if euler:
            x = x + v * (nxt - sigma)
        else:
            up = F.interpolate(x0, size=(scales[i + 1],) * 2, mode="bicubic", align_corners=False)
            x = up * (1 - nxt) + noise(scales[i + 1]) * nxt


SIGMAS_4 = [1.0, 0.8959, 0.7371, 0.6022, 0.0]
SIGMAS_6 = [1.0, 0.9454, 0.8959, 0.7904, 0.7371, 0.6022, 0.0]
SCHEDULES = {
    "swd4": ([32, 40, 48, 64], SIGMAS_4, False),
    "swd6": ([16, 24, 32, 40, 48, 64], SIGMAS_6, False),
    "full4": ([64] * 4, SIGMAS_4, False),
    "euler:32": ([64] * 32, [1 - i / 32 for i in range(33)], True),
}
