"""The timm side of vitscope's timm cross-check: `python timm_reference.py JOB.json` (timm's virtual environment).

For each case of the job it builds `timm.create_model(name, pretrained=False, **overrides)`, moves every bias,
norm and token parameter (and BatchNorm statistics) off its initial constant, and saves the model as its users
do: the authors' released files (`torch.save({"name", "state_dict"})` as .pth.tar, timm <= 0.6 key layout) or
timm >= 0.9 files (safetensors, or torch.save of the state dict). It then computes, on random images and soft
targets, the logits, the feature maps at the positions of vitscope's `features()` (NHWC, class token dropped),
the loss NLL + (l2/2)·Σ‖p‖² and its gradient, and one Hessian-vector product (PyHessian's way: backward with
create_graph, autograd.grad of the gradient against v). Gradient, v and Hv are written as state dicts in the
same file format and key layout as the checkpoint, so that vitscope's importer itself maps them to its
parameters: nothing in the test repeats the name maps under test.

The job may also list `counts`: timm configurations whose parameter count is reported without a forward pass.
"""
import json
import os
import re
import sys
import time

import numpy as np
import torch
import timm

from reference import half_l2, soft_nll
from tensor_io import write_safetensors

TIMM_VERSION = "1.0.29"


# --- saving as the authors and as timm users do ----------------------------------------------------

def _swin_buffers(model):
    """The buffers timm <= 0.6 saved in Swin's state dict: every block's relative_position_index [N, N]
    (int64) and, in shifted blocks, attn_mask [windows, N, N] (0 / -100)."""
    out = {}
    for name, m in model.named_modules():
        if type(m).__name__ != "SwinTransformerBlock":
            continue
        index = m.attn.relative_position_index
        n = int(round(index.numel() ** 0.5))
        out[name + ".attn.relative_position_index"] = index.detach().reshape(n, n).clone()
        mask = getattr(m, "attn_mask", None)
        if mask is not None:
            out[name + ".attn_mask"] = mask.detach().reshape(-1, n, n).clone()
    return out


def to_timm06(family, sd, model):
    """timm 1.0's state dict in the layout of timm 0.4.9-0.6 (which the authors' checkpoints have)."""
    if family == "pit":
        # pooling at the end of stages 0 and 1 (transformers.{0,1}.pool), not at the start of 1 and 2
        return {re.sub(r"^transformers\.(\d+)\.pool\.", lambda m: "transformers.%d.pool." % (int(m.group(1)) - 1), k): v for k, v in sd.items()}
    if family == "swin":
        out = {}
        for k, v in sd.items():
            k = re.sub(r"^layers\.(\d+)\.downsample\.", lambda m: "layers.%d.downsample." % (int(m.group(1)) - 1), k)
            k = re.sub(r"^head\.fc\.", "head.", k)
            out[k] = v
        out.update(_swin_buffers(model))
        return out
    return dict(sd)


def save_state_dict(fmt, path, sd, name):
    sd = {k: v.detach().contiguous().clone() for k, v in sd.items()}
    if fmt == "authors":
        torch.save({"name": name, "state_dict": sd}, path)
    elif fmt == "torch":
        torch.save(sd, path)
    elif fmt == "safetensors":
        import safetensors.torch
        safetensors.torch.save_file(sd, path, metadata={"format": "pt"})
    else:
        raise ValueError("unknown save format %r, expected authors, torch or safetensors" % fmt)


EXTENSION = {"authors": ".pth.tar", "torch": ".pth", "safetensors": ".safetensors"}


# --- vitscope's feature maps from timm's modules -----------------------------------------------------

def _tokens_to_map(t, prefix, h, w):
    """[B, prefix + h·w, C] tokens -> NCHW without the prefix (class) tokens."""
    t = t[:, prefix:]
    b, n, c = t.shape
    return t.transpose(1, 2).reshape(b, c, h, w)


def _nhwc_to_nchw(t):
    return t.permute(0, 3, 1, 2)


def _mobilevit_fold(x, shape, patch_size):
    """timm MobileVitBlock's fold: [B·P, N, C] sequences -> [B, C, H, W]."""
    b, c, h, w = shape
    ph, pw = patch_size
    nh, nw = h // ph, w // pw
    x = x.contiguous().view(b, ph * pw, nh * nw, -1)
    x = x.transpose(1, 3).reshape(b * c * nh, nw, ph, pw)
    return x.transpose(1, 2).reshape(b, c, nh * ph, nw * pw)


def feature_taps(family, model):
    """(vitscope feature name, module, 'in' | 'out', to NCHW) at the places vitscope's features() reads; a tap
    named None only observes (its result is not a feature map)."""
    taps = []
    if family == "vit":
        gh, gw = model.patch_embed.grid_size
        prefix = model.num_prefix_tokens
        to_map = lambda t: _tokens_to_map(t, prefix, gh, gw)
        taps.append(("patch_embed", model.norm_pre, "out", to_map))
        for i, blk in enumerate(model.blocks):
            # the input of norm2 is x + attn(norm1(x)): the residual stream after the MSA sub-block
            taps.append(("blocks.%d.attn" % i, blk.norm2, "in", to_map))
            taps.append(("blocks.%d.mlp" % i, blk, "out", to_map))
    elif family == "resnet":
        taps.append(("stem", model.maxpool, "out", lambda t: t))
        for s in range(4):
            for j, blk in enumerate(getattr(model, "layer%d" % (s + 1))):
                taps.append(("layers.%d.blocks.%d" % (s, j), blk, "out", lambda t: t))
    elif family == "pit":
        # one class token before the grid's tokens; the side follows from the token count
        def to_map(t):
            side = int(round((t.shape[1] - 1) ** 0.5))
            return _tokens_to_map(t, 1, side, side)
        taps.append(("patch_embed", model.pos_drop, "out", lambda t: t))
        for s, stage in enumerate(model.transformers):
            if stage.pool is not None:
                # timm >= 0.9 pools at the start of stages 1 and 2; the module returns (map, class token)
                taps.append(("transformers.%d.pool" % s, stage.pool, "out", lambda out: out[0]))
            for j, blk in enumerate(stage.blocks):
                taps.append(("transformers.%d.blocks.%d.attn" % (s, j), blk.norm2, "in", to_map))
                taps.append(("transformers.%d.blocks.%d.mlp" % (s, j), blk, "out", to_map))
    elif family == "mixer":
        gh, gw = model.stem.grid_size
        to_map = lambda t: _tokens_to_map(t, 0, gh, gw)
        taps.append(("stem", model.stem, "out", to_map))
        for i, blk in enumerate(model.blocks):
            taps.append(("blocks.%d.mlp_tokens" % i, blk.norm2, "in", to_map))
            taps.append(("blocks.%d.mlp_channels" % i, blk, "out", to_map))
    elif family == "mobilevit":
        taps.append(("stem", model.stem, "out", lambda t: t))
        for s, stage in enumerate(model.stages):
            for j, blk in enumerate(stage):
                name = "stages.%d.%d" % (s, j)
                if type(blk).__name__ == "MobileVitBlock":
                    # the transformer runs on [B·P, N, d] sequences (pixels at one offset of every 2x2 patch);
                    # folded back as timm's MobileVitBlock.forward does, with the shape of conv_1x1's output
                    shape = {}
                    taps.append((None, blk.conv_1x1, "out", lambda t, shape=shape: shape.update(s=t.shape)))
                    fold = lambda t, shape=shape, blk=blk: _mobilevit_fold(t, shape["s"], blk.patch_size)
                    for k, layer in enumerate(blk.transformer):
                        taps.append(("%s.transformer.%d.attn" % (name, k), layer.norm2, "in", fold))
                        taps.append(("%s.transformer.%d.mlp" % (name, k), layer, "out", fold))
                taps.append((name, blk, "out", lambda t: t))
        taps.append(("final_conv", model.final_conv, "out", lambda t: t))
    elif family == "swin":
        # timm >= 0.9 keeps Swin's maps NHWC; inside a block the MLP's input is [B, H·W, C] (square maps)
        def tokens_nhwc(t):
            side = int(round(t.shape[1] ** 0.5))
            return _nhwc_to_nchw(t.reshape(t.shape[0], side, side, t.shape[2]))
        taps.append(("patch_embed", model.patch_embed, "out", _nhwc_to_nchw))
        for s, layer in enumerate(model.layers):
            if not isinstance(layer.downsample, torch.nn.Identity):
                taps.append(("layers.%d.downsample" % s, layer.downsample, "out", _nhwc_to_nchw))
            for j, blk in enumerate(layer.blocks):
                taps.append(("layers.%d.blocks.%d.attn" % (s, j), blk.norm2, "in", tokens_nhwc))
                taps.append(("layers.%d.blocks.%d.mlp" % (s, j), blk, "out", _nhwc_to_nchw))
    else:
        raise ValueError("no feature taps for family %r" % family)
    return taps


def run_with_features(model, x, taps):
    feats = []
    handles = []

    def record(name, value):
        if name is not None:
            feats.append((name, value))

    for name, module, where, convert in taps:
        if where == "in":
            hook = lambda m, args, name=name, convert=convert: record(name, convert(args[0]))
            handles.append(module.register_forward_pre_hook(hook))
        else:
            hook = lambda m, args, out, name=name, convert=convert: record(name, convert(out))
            handles.append(module.register_forward_hook(hook))
    try:
        logits = model(x)
    finally:
        for h in handles:
            h.remove()
    return logits, feats


# --- one case -----------------------------------------------------------------------------------------

def perturb(model, gen):
    """Biases, norms, tokens and position tables get N(0, 0.1²) added, weights that timm initialises to a
    constant (Mixer's zero head) N(0, 0.02²); BatchNorm statistics are redrawn. Every parameter then
    influences the outputs, so the check sees its layout and its gradient."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim <= 1 or name.endswith(("cls_token", "relative_position_bias_table")):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
            elif p.numel() > 1 and bool((p == p.reshape(-1)[0]).all()):
                p.add_(0.02 * torch.randn(p.shape, generator=gen))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=gen))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=gen))


def soft_targets(gen, batch, classes, smoothing=0.1):
    """Mixup of two classes per image, then label smoothing: the paper's training targets."""
    t = torch.full((batch, classes), smoothing / classes)
    for i in range(batch):
        lam = torch.rand((), generator=gen).item()
        a, b = torch.randint(classes, (2,), generator=gen).tolist()
        t[i, a] += (1 - smoothing) * lam
        t[i, b] += (1 - smoothing) * (1 - lam)
    return t


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous().numpy()


def create(name, overrides):
    """timm.create_model(name, pretrained=False, **overrides); a dotted name ('mlp_mixer.MlpMixer') is a model
    class of timm.models, for configurations whose registered names fix the arguments (timm's Mixer entry
    points pass patch_size, num_blocks and embed_dim themselves)."""
    if "." in name:
        module, cls = name.rsplit(".", 1)
        return getattr(getattr(timm.models, module), cls)(**overrides)
    return timm.create_model(name, pretrained=False, **overrides)


def run_case(case):
    torch.manual_seed(case["seed"])
    gen = torch.Generator().manual_seed(case["seed"])
    model = create(case["timm"], case.get("overrides", {}))
    model.eval()
    perturb(model, gen)
    family, fmt = case["family"], case["format"]
    os.makedirs(case["dir"], exist_ok=True)
    ext = EXTENSION[fmt]
    layout = (lambda sd: to_timm06(family, sd, model)) if fmt == "authors" else dict
    files = {k: os.path.join(case["dir"], k + ext) for k in ("checkpoint", "gradient", "vector", "hvp")}
    state = model.state_dict()
    save_state_dict(fmt, files["checkpoint"], layout(state), case["label"])
    params = [p for _, p in model.named_parameters()]
    report = {"params": sum(p.numel() for p in params), "files": files}
    if not case.get("full", True):
        return report

    size = case["imageSize"]
    x = torch.randn((case["batch"], 3, size, size), generator=gen)
    with torch.no_grad():
        logits, feats = run_with_features(model, x, feature_taps(family, model))
    classes = logits.shape[-1]
    targets = soft_targets(gen, case["batch"], classes)
    io = {"x": nhwc(x), "targets": targets.numpy(), "logits": logits.numpy()}
    for name, fm in feats:
        io["feature/" + name] = nhwc(fm)
    report["features"] = [name for name, _ in feats]
    if not case.get("grad", True):
        write_safetensors(os.path.join(case["dir"], "io.safetensors"), io)
        return report

    # PyHessian's gradient and product, on the same loss as vitscope's Hessian operator
    model.zero_grad()
    loss = soft_nll(model(x), targets) + half_l2(params, case["l2"])
    grads = torch.autograd.grad(loss, params, create_graph=True)
    v = [torch.randn(p.shape, generator=gen) for p in params]
    hv = torch.autograd.grad(grads, params, grad_outputs=v, only_inputs=True)
    io["loss"] = np.array([loss.item()], dtype=np.float32)
    write_safetensors(os.path.join(case["dir"], "io.safetensors"), io)

    names = [n for n, _ in model.named_parameters()]
    for key, tensors in (("gradient", grads), ("vector", v), ("hvp", hv)):
        # the checkpoint's state dict with every parameter replaced (buffers kept), in the same layout
        sd = dict(state)
        sd.update({n: t.detach() for n, t in zip(names, tensors)})
        save_state_dict(fmt, files[key], layout(sd), case["label"])
    return report


def main():
    torch.set_num_threads(int(os.environ.get("VITSCOPE_TORCH_THREADS", "1")))
    if timm.__version__ != TIMM_VERSION:
        raise SystemExit("timm %s found, the cross-check is pinned to %s (bash scripts/setup-tests/20-timm.sh)" % (timm.__version__, TIMM_VERSION))
    with open(sys.argv[1]) as f:
        job = json.load(f)
    report = {"timm": timm.__version__, "torch": torch.__version__, "cases": {}, "counts": []}
    for case in job.get("cases", []):
        start = time.perf_counter()
        report["cases"][case["label"]] = run_case(case)
        report["cases"][case["label"]]["seconds"] = round(time.perf_counter() - start, 2)
    for c in job.get("counts", []):
        m = create(c["timm"], c.get("overrides", {}))
        report["counts"].append(sum(p.numel() for p in m.parameters()))
        del m
    print(json.dumps(report))


if __name__ == "__main__":
    main()
