#!/usr/bin/env python3
"""PyTorch reference for the Hessian-vector-product bench (bench/hvp.ts, src/hessian/timing.ts): on the models of
bench/torch_step.py, the median time of value-and-gradient of all parameters (training mode, no optimizer step) and
of one exact Hessian-vector product as PyHessian computes it for one batch (evaluation mode: g = autograd.grad(loss,
params, create_graph=True) once, then per product autograd.grad(g, params, grad_outputs=v, retain_graph=True)), and
their ratio; also the product with everything recomputed (PyHessian's dataloader mode), as hvp_recompute_s.
Prints one JSON line per (model, threads) on stdout; notes go to stderr. Benchmark reference only.

usage: torch_hvp.py --models vit-cpu,resnet-20 --batch 32 --repeats 3 --warmup 1 [--threads 1,N]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_step import IMAGE_SIZE, MODELS  # noqa: E402  (the same architectures as the training-step reference)


def median_seconds(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="vit-cpu,resnet-20")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    # the paper presets' bench compares against the kept-graph product only: recomputing roughly doubles its time
    ap.add_argument("--no-recompute", action="store_true")
    args = ap.parse_args()
    thread_counts = sorted({int(t) for t in args.threads.split(",")})
    for name in args.models.split(","):
        if name not in MODELS:
            print(f"torch_hvp.py: unknown model '{name}', expected one of {', '.join(MODELS)}", file=sys.stderr)
            sys.exit(2)
        for threads in thread_counts:
            torch.set_num_threads(threads)
            torch.manual_seed(0)
            model = MODELS[name]()
            params = [p for p in model.parameters() if p.requires_grad]
            size = IMAGE_SIZE.get(name, 32)
            x = torch.randn(args.batch, 3, size, size)
            y = torch.randint(0, 100, (args.batch,))
            v = [torch.randn_like(p) for p in params]

            def step():
                model.train()
                loss = F.cross_entropy(model(x), y)
                grads = torch.autograd.grad(loss, params)
                # the gradient norm, as the step reads it
                torch.sqrt(sum((g * g).sum() for g in grads)).item()

            def hvp_recompute():
                model.eval()
                loss = F.cross_entropy(model(x), y)
                grads = torch.autograd.grad(loss, params, create_graph=True)
                dot = sum((g * vi).sum() for g, vi in zip(grads, v))
                hv = torch.autograd.grad(dot, params)
                torch.cat([h.reshape(-1) for h in hv]).numpy()

            # PyHessian's one-batch mode: the gradient graph is built once and kept (retain_graph)
            model.eval()
            grads_h = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)

            def hvp():
                hv = torch.autograd.grad(grads_h, params, grad_outputs=v, only_inputs=True, retain_graph=True)
                torch.cat([h.reshape(-1) for h in hv]).numpy()

            step_s = median_seconds(step, args.warmup, args.repeats)
            hvp_s = median_seconds(hvp, args.warmup, args.repeats)
            out = {"model": name, "batch": args.batch, "params": sum(p.numel() for p in params),
                   "threads": torch.get_num_threads(), "step_s": step_s, "hvp_s": hvp_s, "ratio": hvp_s / step_s,
                   "torch": torch.__version__}
            if not args.no_recompute:
                out["hvp_recompute_s"] = median_seconds(hvp_recompute, args.warmup, args.repeats)
            print(json.dumps(out), flush=True)
            del grads_h


if __name__ == "__main__":
    main()
