"""Reference computations for vitscope's PyTorch cross-check, written to follow, step by step:
- PyHessian (amirgholami/PyHessian, pyhessian/hessian.py + utils.py): the loss's backward pass with
  create_graph, Hessian-vector products as autograd.grad(gradsH, params, grad_outputs=v), and the top-n
  eigenvalues by power iteration with deflation (orthonormalise against the eigenvectors found, normalise
  with + 1e-6, stop when |λ_prev - λ| / (|λ_prev| + 1e-6) < tol and keep λ_prev, store normalised Hv);
- the authors' code (xxxnell/how-do-vits-work, branch `transformer`): fourier_analysis.ipynb (log(|FFT2| + 1e-6),
  roll by (h/2, w/2), mean over batch and channels, diag()[h/2:], minus its first entry),
  featuremap_variance.ipynb (var over (H, W), unbiased, mean over batch and channels), ops/adversarial.py
  FreqAttack._fourier_mask (square band between _center_mask sizes 2*int((f +- s) h / 2pi)), and
  ops/loss_landscapes.py (normalize_filter with torch.norm(w, dim=0, keepdim=True), 1-D parameters and
  pos_embed/relative_position zeroed; loss NLL + weight_decay * sum of unsquared parameter norms, ops/norm.py).
Only the random draws are replaced by vectors given by the test, so both sides start from the same numbers.
"""
import math
import re

import numpy as np
import torch
import torch.nn.functional as F


def soft_nll(logits, targets):
    """Mean cross-entropy against target distributions (mixup/CutMix/smoothed labels)."""
    return torch.mean(torch.sum(-targets * torch.log_softmax(logits, dim=-1), dim=-1))


def half_l2(params, coefficient):
    """(coefficient / 2) * sum ||p||^2: the weight-decay term of the Hessian loss."""
    return coefficient / 2 * sum(torch.sum(p * p) for p in params)


# --- PyHessian, single-batch mode -------------------------------------------------------------------

def group_product(xs, ys):
    return sum(torch.sum(x * y) for x, y in zip(xs, ys))


def group_add(params, update, alpha=1.0):
    for i in range(len(params)):
        params[i].data.add_(update[i] * alpha)
    return params


def normalization(v):
    s = group_product(v, v) ** 0.5
    s = s.cpu().item()
    return [vi / (s + 1e-6) for vi in v]


def orthnormal(w, v_list):
    for v in v_list:
        w = group_add(w, v, alpha=-group_product(w, v))
    return normalization(w)


class PyHessianReference:
    """PyHessian's `hessian` class on one batch; criterion(outputs, targets) plus the L2 term on the parameters."""

    def __init__(self, model, params, inputs, targets, l2):
        self.model = model.eval()
        self.params = params
        model.zero_grad()
        outputs = self.model(inputs)
        self.loss = soft_nll(outputs, targets) + half_l2(params, l2)
        self.loss.backward(create_graph=True)
        self.gradsH = [p.grad if p.grad is not None else 0.0 for p in params]

    def hvp(self, v):
        return torch.autograd.grad(self.gradsH, self.params, grad_outputs=v, only_inputs=True, retain_graph=True)

    def eigenvalues(self, starts, max_iter=100, tol=1e-3, top_n=1):
        """PyHessian's power iteration; starts[i] replaces torch.randn for eigenvalue i."""
        eigenvalues, eigenvectors, iterations = [], [], []
        computed = 0
        while computed < top_n:
            eigenvalue = None
            v = normalization([s.clone() for s in starts[computed]])
            used = 0
            for _ in range(max_iter):
                v = orthnormal(v, eigenvectors)
                # PyHessian calls model.zero_grad() here; it does not change Hv in single-batch mode, and on
                # torch 1.13 (set_to_none=False) it would detach_ the stored gradients in place.
                hv = self.hvp(v)
                tmp = group_product(hv, v).cpu().item()
                used += 1
                v = normalization(hv)
                if eigenvalue is None:
                    eigenvalue = tmp
                elif abs(eigenvalue - tmp) / (abs(eigenvalue) + 1e-6) < tol:
                    break
                else:
                    eigenvalue = tmp
            eigenvalues.append(eigenvalue)
            eigenvectors.append(v)
            iterations.append(used)
            computed += 1
        return eigenvalues, iterations


# --- the authors' notebooks and ops -----------------------------------------------------------------

def fourier_relative_log_amplitude(latent):
    """fourier_analysis.ipynb on one NCHW feature map."""
    b, c, h, w = latent.shape
    f = torch.fft.fft2(latent)
    f = (f.abs() + 1e-6).log()
    f = torch.roll(f, shifts=(int(h / 2), int(w / 2)), dims=(2, 3)).mean(dim=(0, 1))
    f = f.diag()[int(h / 2):]
    return f - f[0]


def featuremap_variance(latent):
    """featuremap_variance.ipynb on one NCHW feature map."""
    return latent.var(dim=[-1, -2]).mean(dim=[0, 1])


def _center_mask(w1, w2):
    w1 = w2 if w1 > w2 else w1
    w1 = 0 if w1 < 0 else w1
    mask = torch.ones([1, 3, w1, w1])
    return F.pad(mask, [int((w2 - w1) / 2)] * 4)


def _shift(x):
    b, c, h, w = x.shape
    return torch.roll(x, shifts=(int(h / 2), int(w / 2)), dims=(2, 3))


def fourier_mask(x, f, s=0.2):
    """FreqAttack._fourier_mask: keep the amplitude of x's spectrum in the square band around f (radians)."""
    b, c, h, w = x.shape
    x = _shift(torch.fft.fft2(x))
    x_abs, x_ang = x.abs(), x.angle()
    mask = _center_mask(int(((f + s) * h) / (2 * math.pi)) * 2, h) - _center_mask(int(((f - s) * h) / (2 * math.pi)) * 2, h)
    x_abs = mask * x_abs
    unit = torch.complex(torch.zeros(b, c, h, w), torch.ones(b, c, h, w))
    x = x_abs * torch.exp(unit * x_ang)
    return torch.fft.ifft2(_shift(x))


def normalize_filter(bs, ws):
    out = {}
    for k in bs:
        ws_norm = torch.norm(ws[k], dim=0, keepdim=True)
        bs_norm = torch.norm(bs[k], dim=0, keepdim=True)
        out[k] = ws_norm / (bs_norm + 1e-7) * bs[k]
    return out


def ignore_bn(ws):
    return {k: (torch.zeros(v.size()) if len(v.size()) < 2 else v) for k, v in ws.items()}


def ignore_kw(ws, kws):
    return {k: (torch.zeros(v.size()) if any(re.search(kw, k) for kw in kws) else v) for k, v in ws.items()}


def landscape_bases(model, raw_bases, kws=("pos_embed", "relative_position")):
    """create_bases with the given Gaussian draws (torch names and layouts) instead of torch.randn."""
    ws0 = {k: v.detach().clone() for k, v in model.named_parameters()}
    bases = [normalize_filter(bs, ws0) for bs in raw_bases]
    bases = [ignore_bn(bs) for bs in bases]
    return [ignore_kw(bs, list(kws)) for bs in bases]


def loss_landscape(model, bases, inputs, targets, weight_decay, x_min=-1.0, x_max=1.0, n=3):
    """get_loss_landscape's grid walk; per point NLL (soft targets), accuracy against argmax targets, NLL + wd * l2."""
    ws0 = {k: v.detach().clone() for k, v in model.named_parameters()}
    xs = np.linspace(x_min, x_max, n)
    ratio_grid = np.stack(np.meshgrid(xs, xs), axis=0).transpose((1, 2, 0))
    params = dict(model.named_parameters())
    out = []
    with torch.no_grad():
        for ratio in ratio_grid.reshape([-1, 2]):
            gs = [{k: float(r) * bs[k] for k in bs} for r, bs in zip(ratio, bases)]
            gs = {k: torch.sum(torch.stack([g[k] for g in gs]), dim=0) + ws0[k] for k in gs[0]}
            for k, p in params.items():
                p.copy_(gs[k])
            nll = soft_nll(model(inputs), targets).item()
            l2 = sum(torch.norm(p) for p in model.parameters()).item()
            out.append((float(ratio[0]), float(ratio[1]), nll, l2, nll + weight_decay * l2))
        for k, p in params.items():
            p.copy_(ws0[k])
    return out
