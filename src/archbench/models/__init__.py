"""LightningModules wrapping each architecture; one file per architecture."""

from archbench.models.base import ArchModule
from archbench.models.fcn import FCNModel
from archbench.models.ft_transformer import FTTransformerModel
from archbench.models.linear import LinearModel
from archbench.models.mlp import MLPModel
from archbench.models.resnet import ResNetModel
from archbench.models.rnn import GRUModel, LSTMModel, RNNModel
from archbench.models.tab_resnet import TabResNetModel
from archbench.models.tcn import TCNModel
from archbench.models.transformer import TransformerModel

__all__ = [
    "ArchModule",
    "FCNModel",
    "FTTransformerModel",
    "GRUModel",
    "LSTMModel",
    "LinearModel",
    "MLPModel",
    "RNNModel",
    "ResNetModel",
    "TCNModel",
    "TabResNetModel",
    "TransformerModel",
]
