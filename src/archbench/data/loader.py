"""Batches made by indexing whole-dataset tensors: no per-sample ``__getitem__`` and no collate."""

from __future__ import annotations

from collections.abc import Iterator

import torch


class ShardedOrder:
    """Sample order for one epoch: seeded shuffle, then this rank's disjoint shard (DDP).

    Lightning calls ``set_epoch`` on a loader's ``sampler`` at the start of every epoch, so the order of
    epoch ``e`` depends only on ``(seed, e)``: a resumed run sees the same batches as an uninterrupted one.
    """

    def __init__(self, num_samples: int, shuffle: bool, seed: int, rank: int = 0, world_size: int = 1) -> None:
        # Training shards must have equal length or DDP ranks would wait on each other's gradients forever,
        # so a shuffled (training) order drops the few samples that do not divide evenly.
        self.num_samples = num_samples
        self.usable = num_samples - num_samples % world_size if shuffle else num_samples
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def indices(self) -> torch.Tensor:
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(self.num_samples, generator=generator)
        else:
            order = torch.arange(self.num_samples)
        # Strided shards are disjoint and cover every sample exactly once, so epoch metrics stay exact.
        return order[: self.usable][self.rank :: self.world_size]

    def __len__(self) -> int:
        return len(range(self.rank, self.usable, self.world_size))


# A split is kept on the accelerator when it takes at most this share of its free memory; else it streams.
RESIDENT_SHARE = 0.5


def place(tensors: tuple[torch.Tensor, ...], device: torch.device) -> tuple[torch.Tensor, ...]:
    """Tensors for batching on ``device``: copied there once when they fit (then Lightning's per-batch transfer is a
    no-op), else left on the host, where the loader pins each gathered batch for an asynchronous copy (pinning the
    whole split would not help: indexing a pinned tensor gives an unpinned one). On the CPU nothing changes."""
    if device.type == "cpu" or all(t.device == device for t in tensors):
        return tensors
    size = sum(t.numel() * t.element_size() for t in tensors)
    free = torch.cuda.mem_get_info(device)[0] if device.type == "cuda" else size / RESIDENT_SHARE
    if size <= RESIDENT_SHARE * free:
        return tuple(t.to(device) for t in tensors)
    return tensors


class TensorBatchLoader:
    """Iterate ``(x, y)`` batches by indexing tensors held in memory, on the host or already on ``device``.

    Tensors already on ``device`` are indexed there (the epoch's order is moved once); host tensors destined for an
    accelerator are copied batch by batch with ``non_blocking``, so the copy overlaps the previous step's work.
    """

    batch_sampler = None  # Lightning inspects it; batches come from ``sampler`` and tensor slicing instead

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        order: ShardedOrder,
        device: torch.device | None = None,
        extra: tuple[torch.Tensor, ...] = (),
    ) -> None:
        self.x = x
        self.y = y
        self.tensors = (x, y, *extra)  # extra: per-sample tensors batched beside x and y
        self.batch_size = batch_size
        self.sampler = order
        self.device = device or x.device

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        index = self.sampler.indices().to(self.x.device)
        streams = self.x.device != self.device
        for batch in index.split(self.batch_size):
            if streams:
                # The gather lands in pageable memory; pinned, its copy to the accelerator can run asynchronously.
                yield tuple(t[batch].pin_memory().to(self.device, non_blocking=True) for t in self.tensors)
            else:
                yield tuple(t[batch] for t in self.tensors)

    def __len__(self) -> int:
        return -(-len(self.sampler) // self.batch_size)
