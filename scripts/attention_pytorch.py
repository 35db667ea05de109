"""PyTorch reference for the attention lab: the same decoder-only transformer as netviz's
`nn::transformer`, its state_dict names matching netviz's model files.

    python3 scripts/attention_pytorch.py bench            # workload T, tokens/s (2 threads)
    python3 scripts/attention_pytorch.py sort             # steps and seconds to 99% exact on sort
    python3 scripts/attention_pytorch.py check FILE       # load a netviz model file, compare logits

The `check` mode reads the model file written by `netviz attention train --out FILE`, loads
it into `Transformer` with `load_state_dict` and prints the logits for a probe, so they can be
compared with netviz's (`netviz attention train` prints none; the test compares them).
"""

import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, gelu_approx):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(d, 3 * d)
        self.attn.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.fc = nn.Linear(d, 4 * d)
        self.mlp.proj = nn.Linear(4 * d, d)
        self.gelu = nn.GELU(approximate=gelu_approx)

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln1(x)
        q, k, v = self.attn.qkv(h).split(d, dim=2)
        q = q.view(b, t, self.heads, -1).transpose(1, 2)
        k = k.view(b, t, self.heads, -1).transpose(1, 2)
        v = v.view(b, t, self.heads, -1).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float("-inf"))
        y = scores.softmax(-1) @ v
        x = x + self.attn.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp.proj(self.gelu(self.mlp.fc(self.ln2(x))))


class Transformer(nn.Module):
    def __init__(self, vocab, context, width, heads, layers, gelu_approx="tanh"):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, width)
        self.pos_emb = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads, gelu_approx) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.tok_emb(tokens) + self.pos_emb(torch.arange(t))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def sort_batch(n, gen):
    digits = torch.randint(0, 10, (n, 8), generator=gen)
    full = torch.cat([digits, torch.full((n, 1), 10), digits.sort(dim=1).values], dim=1)
    return full[:, :16], full[:, 1:]


def bench(gelu):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = Transformer(16, 16, 64, 4, 2, gelu)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 16, (32, 16), generator=gen)
    y = torch.randint(0, 16, (32, 16), generator=gen)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x).reshape(-1, 16), y.reshape(-1))
        loss.backward()
        opt.step()

    for _ in range(50):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < 10.0:
        step()
        steps += 1
    secs = time.perf_counter() - start
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads: {steps} steps in {secs:.2f} s")
    print(f"workload=T tokens_per_sec={steps * 32 * 16 / secs:.0f}")


def sort(gelu, lr=1e-3):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = Transformer(16, 16, 64, 4, 2, gelu)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    hx, hy = sort_batch(1000, torch.Generator().manual_seed(2))
    trained = 0.0
    for step in range(1, 20001):
        x, y = sort_batch(32, gen)
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(x)[:, 8:]
        loss = F.cross_entropy(logits.reshape(-1, 16), y[:, 8:].reshape(-1))
        loss.backward()
        opt.step()
        trained += time.perf_counter() - start
        if step % 25 == 0:
            with torch.no_grad():
                exact = (model(hx)[:, 8:].argmax(-1) == hy[:, 8:]).all(dim=1).float().mean().item()
            if exact >= 0.99:
                print(f"sort: exact {exact:.3f} at step {step}, {trained:.2f} s of training (lr {lr})")
                return
    print("sort: not solved in 20000 steps")


def check(path):
    from safetensors.torch import load_file

    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        meta = f.metadata()
    config = json.loads(meta["config"])
    gelu = "tanh"
    model = Transformer(config["vocab"], config["context"], config["width"], config["heads"],
                        config["layers"], gelu)
    model.load_state_dict(load_file(path))
    tokens = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6, 10, 1, 1, 2, 3, 4, 5, 6]])
    with torch.no_grad():
        logits = model(tokens[:, : config["context"]])
    print(json.dumps(logits[0].tolist()))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "bench"
    gelu = "tanh"
    if mode == "bench":
        bench(gelu)
    elif mode == "sort":
        sort(gelu, float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3)
    elif mode == "check":
        check(sys.argv[2])
