"""LightningDataModules for tabular and sequence data."""

from archbench.data.base import ArchDataModule
from archbench.data.copy_memory import CopyMemoryDataModule
from archbench.data.csv import CSVDataModule, CSVSeriesDataModule
from archbench.data.sequence import AddingDataModule, SineDataModule
from archbench.data.tabular import HousePricesDataModule, SklearnDataModule

__all__ = [
    "AddingDataModule",
    "ArchDataModule",
    "CSVDataModule",
    "CSVSeriesDataModule",
    "CopyMemoryDataModule",
    "HousePricesDataModule",
    "SineDataModule",
    "SklearnDataModule",
]
