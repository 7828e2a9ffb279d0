"""LightningDataModules for tabular and sequence data."""

from archbench.data.base import ArchDataModule
from archbench.data.copy_memory import CopyMemoryDataModule
from archbench.data.csv import CSVDataModule, CSVSeriesDataModule
from archbench.data.digits import DigitsSequenceDataModule
from archbench.data.packaged_series import StatsmodelsSeriesDataModule
from archbench.data.packaged_table import PackagedTableDataModule
from archbench.data.sequence import AddingDataModule, SineDataModule
from archbench.data.tabular import HousePricesDataModule, SklearnDataModule
from archbench.data.ucr import UCRDataModule

__all__ = [
    "AddingDataModule",
    "ArchDataModule",
    "CSVDataModule",
    "CSVSeriesDataModule",
    "CopyMemoryDataModule",
    "DigitsSequenceDataModule",
    "HousePricesDataModule",
    "PackagedTableDataModule",
    "SineDataModule",
    "SklearnDataModule",
    "StatsmodelsSeriesDataModule",
    "UCRDataModule",
]
