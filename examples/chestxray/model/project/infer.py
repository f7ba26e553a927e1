"""infer: prepared <id>.npy images -> predictions.json = {id: [num_classes sigmoid probabilities]}."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from models import SimpleCNN, normalize

WEIGHTS_FILE = "cnn_weights.pth"


class RecordError(ValueError):
    pass


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def pick_device(requested: str | None) -> torch.device:
    requested = (requested or "auto").lower()
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {requested!r} requested but CUDA is not available")
    return torch.device(requested)


def find_weights(weights: str | None, additional_files: str | None, parameters: dict) -> str:
    """The weights file: `weights` (mlcube.yaml input) or `<additional_files>/<weights_file>`."""
    if weights:
        return weights
    if additional_files:
        name = parameters.get("weights_file", WEIGHTS_FILE)
        path = os.path.join(additional_files, name)
        if os.path.isfile(path):
            return path
        raise FileNotFoundError(f"{name} not found in additional_files ({additional_files})")
    raise FileNotFoundError("no weights: pass --weights FILE or --additional_files DIR holding " + WEIGHTS_FILE)


def _torch_load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch without weights_only
        return torch.load(path, map_location="cpu")


def load_model(weights_path: str, in_channels: int, num_classes: int, device: torch.device) -> torch.nn.Module:
    model = SimpleCNN(in_channels=in_channels, num_classes=num_classes)
    model.load_state_dict(_torch_load(weights_path))
    model.eval()
    # fold each BatchNorm into the conv before it: same outputs, fewer passes over memory
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for name in ("layer1", "layer2", "layer3", "layer4", "layer5"):
        block = getattr(model, name)
        block[0] = fuse_conv_bn_eval(block[0], block[1])
        block[1] = torch.nn.Identity()
    model = model.to(device)
    if device.type == "cpu":
        model = model.to(memory_format=torch.channels_last)
    return model


class NpyBatchReader:
    """Reads batches of same-shape uint8 .npy files.

    Files written by one preparator share their header bytes; those are copied straight from the file body
    into the batch buffer. Anything else goes through np.load and is checked (shape, dtype).
    """

    def __init__(self, data_path: str, ids: list[str], shape: tuple[int, ...]):
        self.data_path, self.ids, self.shape = data_path, ids, tuple(shape)
        self.nbytes = int(np.prod(shape))
        self.header = self._reference_header() if ids else b""

    def _path(self, record):
        return os.path.join(self.data_path, record + ".npy")

    def _reference_header(self):
        with open(self._path(self.ids[0]), "rb") as f:
            major, _ = np.lib.format.read_magic(f)
            if major == 1:
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            offset = f.tell()
            f.seek(0)
            header = f.read(offset)
        if tuple(shape) == self.shape and dtype == np.uint8 and not fortran:
            return header
        return b""  # no fast path; every file goes through np.load

    def _load_slow(self, record):
        try:
            arr = np.load(self._path(record), allow_pickle=False)
        except Exception as e:
            raise RecordError(f"record {record}: cannot load image ({e})") from e
        if arr.shape != self.shape or arr.dtype != np.uint8:
            raise RecordError(f"record {record}: image {arr.dtype} {arr.shape}, expected uint8 {self.shape}")
        return arr

    def read(self, start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, *self.shape), dtype=np.uint8)
        flat = out.reshape(stop - start, -1)
        hlen, header = len(self.header), self.header
        for j, record in enumerate(self.ids[start:stop]):
            with open(self._path(record), "rb") as f:
                raw = f.read()
            if header and len(raw) == hlen + self.nbytes and raw[:hlen] == header:
                flat[j] = np.frombuffer(raw, dtype=np.uint8, offset=hlen)
            else:
                out[j] = self._load_slow(record)
        return out


def list_records(data_path: str) -> list[str]:
    return sorted(e.name[:-4] for e in os.scandir(data_path) if e.name.endswith(".npy") and e.is_file())


def run_inference(data_path, parameters, weights_path, output_path, device=None, threads=None):
    """Write <output_path>/predictions.json; returns (number of records, seconds spent after loading the model)."""
    in_channels = int(parameters.get("in_channels", 1))
    num_classes = int(parameters.get("num_classes", 14))
    batch_size = max(1, int(parameters.get("batch_size", 1024)))
    shape = tuple(parameters.get("image_size", [28, 28, in_channels]))
    device = pick_device(device or parameters.get("device"))
    torch.set_num_threads(int(threads or parameters.get("threads") or available_cores()))

    model = load_model(weights_path, in_channels, num_classes, device)
    t0 = time.perf_counter()
    ids = list_records(data_path)
    reader = NpyBatchReader(data_path, ids, shape)
    bounds = [(s, min(s + batch_size, len(ids))) for s in range(0, len(ids), batch_size)]

    os.makedirs(output_path, exist_ok=True)
    out_file = os.path.join(output_path, "predictions.json")
    tmp_file = out_file + ".tmp"
    with open(tmp_file, "w") as out, ThreadPoolExecutor(max_workers=1) as io_pool, torch.inference_mode():
        out.write("{")
        first = True
        pending = io_pool.submit(reader.read, *bounds[0]) if bounds else None
        for k, (start, stop) in enumerate(bounds):
            batch = pending.result()
            pending = io_pool.submit(reader.read, *bounds[k + 1]) if k + 1 < len(bounds) else None
            x = torch.from_numpy(batch).permute(0, 3, 1, 2)  # NHWC -> NCHW view (channels-last memory)
            x = normalize(x.to(device, non_blocking=True))
            if device.type == "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            probs = torch.sigmoid(model(x)).float().cpu().numpy()
            for record, p in zip(ids[start:stop], probs.tolist(), strict=True):
                out.write(("" if first else ",") + "\n" + json.dumps(record) + ": " + json.dumps(p))
                first = False
        out.write("\n}\n")
    os.replace(tmp_file, out_file)
    return len(ids), time.perf_counter() - t0
