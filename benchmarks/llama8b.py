"""The 8B Llama-class target: one page drawing an 8-billion-parameter Llama configuration in the
modules view (meta device), built from scratch; wall time and peak memory of the whole build
(Sphinx, its framework process and the children they fork), against the raw calls in the
same run: ``AutoModel.from_config`` on the meta device and one forward pass, in a fresh
interpreter (imports included, as the build's are).

    python benchmarks/llama8b.py            (under flock /work/bench.lock on a shared machine)

Writes benchmarks/results/llama8b.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from peak import measure

ROOT = Path(__file__).resolve().parent.parent
LLAMA_8B = {
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
}
RAW = f"""
import torch, transformers
config = transformers.AutoConfig.for_model(**{LLAMA_8B!r})
with torch.device("meta"):
    model = transformers.AutoModel.from_config(config)
model(torch.ones(1, 16, dtype=torch.long, device="meta"))
print(sum(p.numel() for p in model.parameters()))
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="archviz-llama8b-") as temporary:
        srcdir = Path(temporary)
        (srcdir / "conf.py").write_text("extensions = ['sphinx_archviz']\n")
        (srcdir / "index.rst").write_text(
            "Llama 8B\n========\n\n.. archviz:: transformers:AutoModel\n"
            f"   :config: {json.dumps(LLAMA_8B)}\n   :view: modules\n"
        )
        raw_seconds, raw_mib, _ = measure([sys.executable, "-c", RAW])
        seconds, mib, code = measure(
            [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(srcdir), str(srcdir / "out")]
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    text = (
        "| | wall time | peak memory (PSS, whole process tree) |\n|---|---:|---:|\n"
        f"| raw: `from_config` on meta + forward (fresh interpreter) | {raw_seconds:.1f} s "
        f"| {raw_mib:.0f} MiB |\n"
        f"| whole build of the page (Sphinx + worker, cold) | {seconds:.1f} s | {mib:.0f} MiB |\n"
        f"| ratio | {seconds / raw_seconds:.2f} × | {mib / raw_mib:.2f} × |\n\n"
        f"Load average after the run: {load}. Build exit code {code}.\n"
    )
    print(text)
    (ROOT / "benchmarks/results/llama8b.md").write_text(text)


if __name__ == "__main__":
    main()
