"""Entry point of vitscope's PyTorch cross-check: `python3 crosscheck.py JOB.json`.

The job lists sections; each names a vitscope checkpoint, an inputs file (safetensors, vitscope layouts:
NHWC images, flat parameter vectors in vitscope's parameter order and layouts) and the quantities to
compute; the results go to the section's output file (safetensors, same layouts) so the TypeScript test
compares like with like. One process runs every section of a test file, to pay torch's start-up once.
"""
import json
import math
import sys

import numpy as np
import torch

from models import load_vitscope_checkpoint, to_torch_layout, to_vitscope_layout
from reference import (PyHessianReference, featuremap_variance, fourier_mask, fourier_relative_log_amplitude,
                       landscape_bases, loss_landscape)
from tensor_io import read_safetensors, write_safetensors


def split_flat(flat, ordered):
    """A flat vitscope-order vector as torch tensors in PyTorch layout, one per parameter of `ordered`."""
    out, off = [], 0
    for p, _, layout in ordered:
        shape = to_vitscope_layout(p.detach(), layout).shape
        n = int(np.prod(shape))
        out.append(to_torch_layout(np.ascontiguousarray(flat[off:off + n].reshape(shape)), layout))
        off += n
    if off != flat.size:
        raise ValueError("cross-check: vector has %d entries, the parameters %d" % (flat.size, off))
    return out


def join_flat(tensors, ordered):
    return np.concatenate([to_vitscope_layout(t.detach(), layout).reshape(-1).numpy() for t, (_, _, layout) in zip(tensors, ordered)])


def nchw(a):
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).contiguous()


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous().numpy()


def run_section(sec):
    torch.manual_seed(0)
    model, ordered = load_vitscope_checkpoint(sec["checkpoint"])
    params = [p for p, _, _ in ordered]
    inp = read_safetensors(sec["inputs"])
    out = {}
    x = nchw(inp["x"])
    targets = torch.from_numpy(inp["targets"])

    feats = []
    with torch.no_grad():
        logits = model(x, features=feats)
    out["logits"] = logits.numpy()
    for name, fm in feats:
        out["feature/" + name] = nhwc(fm)
        out["fourier/" + name] = fourier_relative_log_amplitude(fm).numpy()
    out["variance"] = np.array([featuremap_variance(fm).item() for _, fm in feats], dtype=np.float32)

    if sec.get("hessian"):
        ref = PyHessianReference(model, params, x, targets, sec["hessian"]["l2"])
        out["loss"] = np.array([ref.loss.item()], dtype=np.float32)
        out["gradient"] = join_flat([g.detach() for g in ref.gradsH], ordered)
        out["hvp"] = join_flat(ref.hvp(split_flat(inp["v"], ordered)), ordered)
        power = sec["hessian"].get("power")
        if power:
            starts = [split_flat(s, ordered) for s in inp["starts"]]
            values, iters = ref.eigenvalues(starts, max_iter=power["maxIter"], tol=power["tol"], top_n=power["k"])
            out["eigenvalues"] = np.array(values, dtype=np.float64)
            out["eigen_iterations"] = np.array(iters, dtype=np.int32)
        for p in params:
            p.grad = None

    noise = sec.get("noise")
    if noise:
        nx = nchw(inp["noise_x"])
        delta = nchw(inp["noise_delta"])
        labels = torch.from_numpy(inp["noise_labels"].astype(np.int64))
        noisy = nx + fourier_mask(delta, noise["frequency"] * math.pi, noise["s"]).real
        with torch.no_grad():
            clean_acc = (model(nx).argmax(-1) == labels).float().mean().item() * 100
            noisy_acc = (model(noisy).argmax(-1) == labels).float().mean().item() * 100
        out["noisy_images"] = nhwc(noisy)
        out["accuracy"] = np.array([clean_acc, noisy_acc, noisy_acc - clean_acc], dtype=np.float64)

    land = sec.get("landscape")
    if land:
        by_param = {id(p): n for n, p in model.named_parameters()}
        raw = []
        for key in ("d1", "d2"):
            tensors = split_flat(inp["landscape_" + key], ordered)
            raw.append({by_param[id(p)]: t for (p, _, _), t in zip(ordered, tensors)})
        bases = landscape_bases(model, raw)
        for i, bs in enumerate(bases):
            out["direction%d" % (i + 1)] = join_flat([bs[by_param[id(p)]] for p in params], ordered)
        grid = loss_landscape(model, bases, x, targets, land["weightDecay"], land["range"][0], land["range"][1], land["resolution"])
        out["landscape"] = np.array(grid, dtype=np.float64)

    write_safetensors(sec["output"], out)
    return sorted(out)


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1]) as f:
        job = json.load(f)
    report = {}
    for sec in job["sections"]:
        report[sec["name"]] = len(run_section(sec))
    print(json.dumps({"torch": torch.__version__, "outputs": report}))


if __name__ == "__main__":
    main()
