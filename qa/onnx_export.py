"""Exporting a sentence-transformers model to ONNX, once, into a cache folder with checksums.

The one place that imports torch for the ONNX embedder: `export` runs at first use (or
`python -m qa.onnx_export`, which `make install` runs) and writes

    CACHE/<model>-<key>/fp32/model.onnx   torch.onnx's export, with ONNX Runtime's BERT fusions
    CACHE/<model>-<key>/int8/model.onnx   the same, dynamically quantised to int8
    CACHE/<model>-<key>/<variant>/manifest.json   what was exported from what, and its sha256

`<key>` names the source folder and its weights (path, size, mtime), so a changed model is
exported again. Everything is written into a temporary folder that is renamed into place whole:
a failed or killed export leaves nothing behind, and two processes exporting at once both end
with one complete copy.

int8 quantisation (measured, BENCHMARKS.md "Embedders"): every MatMul and fused Attention
weight, per output channel, int8 weights with uint8 activations (ONNX Runtime's dynamic
quantisation; its VNNI/AMX kernels on x86). The token-embedding table stays float: quantising
it per tensor costs most of the accuracy (mean cosine to fp32 0.947 against 0.994).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from qa.errors import ModelError, error_text

VARIANTS = ("fp32", "int8")
FORMAT = 1
OPSET = 17
_HINT_DELETE = "delete {dir}: the model is exported again on next use"


def default_cache_dir() -> Path:
    """Where exported models live unless `model_cache_dir` says otherwise:
    $XDG_CACHE_HOME/newsdesk/models (or ~/.cache/newsdesk/models)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsdesk" / "models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weights(source: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (source / name).is_file():
            return source / name
    raise ModelError(
        f"No model weights (model.safetensors) in {source}",
        "set NEWSDESK_EMBED_MODEL_PATH to a sentence-transformers model folder",
    )


def export_dir(source: Path, cache: Path, name: str | None = None) -> Path:
    """The cache folder of `source`'s export (whether or not it exists yet)."""
    weights = _weights(source)
    stat = weights.stat()
    key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return cache / f"{name or source.name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def read_manifest(folder: Path) -> dict[str, Any]:
    """A variant folder's manifest, its model file checked against the recorded sha256.

    Raises ModelError (with the folder to delete) when either is missing or does not match.
    """
    hint = _HINT_DELETE.format(dir=folder.parent)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        recorded = str(manifest["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"The exported model at {folder} has no readable manifest", hint) from exc
    model = folder / "model.onnx"
    if not model.is_file() or sha256_file(model) != recorded:
        raise ModelError(
            f"The exported model {model} is damaged (its checksum does not match its manifest)",
            hint,
        )
    return dict(manifest)


def ensure_exported(
    source: Path, variant: str, cache: Path | None = None, name: str | None = None
) -> Path:
    """The checked folder of `variant` exported from the model folder `source`, exporting it
    first when the cache does not hold it. Raises ModelError when exporting fails or the cached
    copy is damaged."""
    if variant not in VARIANTS:
        raise ModelError(f"Unknown ONNX variant {variant!r}", f"use one of {', '.join(VARIANTS)}")
    target = export_dir(source, cache or default_cache_dir(), name)
    if not target.is_dir():
        export(source, target, name)
    folder = target / variant
    read_manifest(folder)
    return folder


def export(source: Path, target: Path, name: str | None = None) -> None:
    """Export `source` (a sentence-transformers folder) into `target`, both variants, atomically.

    Raises ModelError when the exporter is missing or fails; nothing is left half-written.
    """
    try:
        import onnx  # the quantiser and optimiser need it
        import torch
        import transformers
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError(
            f"Exporting the embedding model to ONNX needs torch, transformers and onnx ({exc})",
            "run `make install` (or pip install torch transformers onnx), or set "
            "NEWSDESK_EMBEDDER=sentence-transformers",
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    work.chmod(0o755)
    try:
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
        raw = work / "raw.onnx"
        _torch_export(source, raw, torch, transformers)
        fp32 = work / "fp32"
        fp32.mkdir()
        _optimise(raw, fp32 / "model.onnx", config)
        raw.unlink()
        int8 = work / "int8"
        int8.mkdir()
        logging.getLogger().setLevel(logging.ERROR)  # the quantiser's advice, via the root logger
        quantize_dynamic(
            str(fp32 / "model.onnx"),
            str(int8 / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        for variant in VARIANTS:
            folder = work / variant
            for extra in folder.iterdir():  # quantiser's side files
                if extra.name != "model.onnx":
                    extra.unlink()
            manifest = {
                "format": FORMAT,
                "model": name or source.name,
                "source": str(source.resolve()),
                "source_sha256": sha256_file(_weights(source)),
                "variant": variant,
                "exporter": f"torch.onnx (torch {torch.__version__}, opset {OPSET})",
                "sha256": sha256_file(folder / "model.onnx"),
            }
            (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        try:
            os.rename(work, target)
        except OSError:
            if not target.is_dir():  # not another process's finished export: a real failure
                raise
    except ModelError:
        raise
    except Exception as exc:  # the exporters raise many kinds; report them as one
        raise ModelError(
            f"Could not export the embedding model at {source} to ONNX: {exc}",
            "check the model folder, or set NEWSDESK_EMBEDDER=sentence-transformers",
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _torch_export(source: Path, out: Path, torch: Any, transformers: Any) -> None:
    """torch.onnx's export of the transformer (token outputs), batch and length dynamic.

    Eager attention and the TorchScript exporter give the graph ONNX Runtime fuses into its
    Attention kernels (the dynamo exporter's graph of the same model is not fused: no faster
    than torch here).
    """
    transformers.logging.set_verbosity_error()
    model = transformers.AutoModel.from_pretrained(
        str(source), attn_implementation="eager", local_files_only=True
    ).eval()

    class Tokens(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tuple(torch.ones((2, 16), dtype=torch.long) for _ in names)
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Tokens(model),
            sample,
            str(out),
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]},
            opset_version=OPSET,
            dynamo=False,
        )


def _optimise(raw: Path, out: Path, config: dict[str, Any]) -> None:
    """ONNX Runtime's offline BERT fusions (attention, layer norms, GELU) when the model is
    BERT-like; other models are kept as exported."""
    if config.get("model_type") not in ("bert", "roberta", "xlm-roberta", "mpnet", "distilbert"):
        shutil.copyfile(raw, out)
        return
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(
        str(raw),
        model_type="bert",
        num_heads=int(config.get("num_attention_heads", 0)),
        hidden_size=int(config.get("hidden_size", 0)),
        opt_level=1,
    )
    fused.save_model_to_file(str(out))


def main() -> None:
    """`python -m qa.onnx_export [MODEL_DIR]`: export the default model (or MODEL_DIR) now."""
    import sys

    from qa.embedding import DEFAULT_MODEL_NAME, default_model_path

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else default_model_path()
    name = None if len(sys.argv) > 1 else DEFAULT_MODEL_NAME
    cache = (
        Path(os.environ["NEWSDESK_MODEL_CACHE_DIR"])
        if os.environ.get("NEWSDESK_MODEL_CACHE_DIR")
        else default_cache_dir()
    )
    try:
        for variant in VARIANTS:
            print(ensure_exported(source, variant, cache, name))
    except ModelError as exc:
        print(error_text(exc), file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
