"""The tabular networks of Gorishniy et al. 2021 (ResNet for tables, FT-Transformer) on rows with category codes."""

from __future__ import annotations

import pytest
import torch
import yaml

from archbench.configs import config_path
from archbench.errors import ArchbenchError
from archbench.models import FTTransformerModel, TabResNetModel

CARDINALITIES = [4, 3]  # codes per categorical column, 0 (unknown) included
NUMERIC = 3


def rows(n: int = 8, seed: int = 0) -> torch.Tensor:
    """(n, 3 numeric + 2 categorical) float rows; every code of each column appears, unknown (0) included."""
    generator = torch.Generator().manual_seed(seed)
    numeric = torch.randn(n, NUMERIC, generator=generator)
    codes = torch.stack([torch.arange(n) % c for c in CARDINALITIES], dim=1).float()
    return torch.cat([numeric, codes], dim=1)


def small(cls: type, **kwargs: object) -> torch.nn.Module:
    sizes = {"d_token": 8, "n_heads": 2, "n_blocks": 2} if cls is FTTransformerModel else {"d_main": 6, "n_blocks": 2}
    shape = {"input_size": NUMERIC + len(CARDINALITIES), "categorical_cardinalities": CARDINALITIES}
    return cls(**{**shape, **sizes, **kwargs})


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
def test_forward_and_backward_reach_every_category_code_including_unknown(cls):
    model = small(cls, task="classification", output_size=3)
    x = rows()
    output = model(x)
    assert output.shape == (8, 3) and torch.isfinite(output).all()
    output.logsumexp(dim=1).sum().backward()
    for table, cardinality in zip(model_embeddings(model).tables, CARDINALITIES, strict=True):
        assert table.weight.shape[0] == cardinality
        assert (table.weight.grad.abs().sum(dim=1) > 0).all(), "a code seen in the batch got no gradient"
    # A code unseen in a batch gets no gradient: the codes select rows, they are not read as numbers.
    model.zero_grad()
    only_unknown = x.clone()
    only_unknown[:, NUMERIC:] = 0
    model(only_unknown).logsumexp(dim=1).sum().backward()
    first = model_embeddings(model).tables[0].weight.grad.abs().sum(dim=1)
    assert first[0] > 0 and (first[1:] == 0).all()


def model_embeddings(model: torch.nn.Module) -> torch.nn.Module:
    return model.tokenizer.categories if isinstance(model, FTTransformerModel) else model.embeddings


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
def test_changing_a_category_code_changes_the_prediction_and_a_same_code_row_does_not(cls):
    model = small(cls).eval()
    x = rows()
    changed = x.clone()
    changed[0, -1] = (changed[0, -1] + 1) % CARDINALITIES[-1]
    with torch.no_grad():
        before, after = model(x), model(changed)
    assert (before[0] - after[0]).abs().max() > 0
    torch.testing.assert_close(before[1:], after[1:])


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
def test_a_code_outside_the_columns_range_reads_as_unknown_as_in_the_one_hot_encoding(cls):
    model = small(cls).eval()
    unknown, strange = rows(), rows()
    unknown[:, -1], strange[:, -1] = 0, CARDINALITIES[-1] + 5
    with torch.no_grad():
        torch.testing.assert_close(model(strange), model(unknown))


def test_tab_resnet_parameter_count_follows_the_papers_layers():
    d, hidden, blocks, embedding, outputs = 6, 12, 2, 8, 3
    model = small(TabResNetModel, output_size=outputs, d_embedding=embedding, d_hidden_factor=2.0)
    inputs = NUMERIC + len(CARDINALITIES) * embedding
    expected = (
        sum(CARDINALITIES) * embedding  # one embedding table per categorical column
        + inputs * d
        + d  # the input projection
        + blocks * (2 * d + d * hidden + hidden + hidden * d + d)  # BatchNorm, Linear, Linear per block
        + 2 * d
        + d * outputs
        + outputs  # head: BatchNorm, Linear
    )
    assert count(model) == expected


def test_ft_transformer_parameter_count_follows_the_papers_layers():
    d, heads, blocks, outputs = 8, 2, 2, 3
    ffn = round(4 / 3 * d)  # ReGLU hidden width: d_token · 4/3
    model = small(FTTransformerModel, output_size=outputs)
    tokenizer = NUMERIC * d + (NUMERIC + len(CARDINALITIES)) * d + sum(CARDINALITIES) * d + d  # W, b, tables, [CLS]
    attention = 4 * d * d + 4 * d  # Q, K, V and output projections with biases
    feed_forward = d * 2 * ffn + 2 * ffn + ffn * d + d
    layer_norms = blocks * 2 * (2 * d) - 2 * d  # two per layer, less the first layer's attention norm
    head = 2 * d + d * outputs + outputs
    assert count(model) == tokenizer + blocks * (attention + feed_forward) + layer_norms + head
    assert model.hparams["d_token"] == d and heads == model.n_heads


def test_ft_transformer_defaults_are_the_papers_default_configuration():
    model = FTTransformerModel(input_size=4)
    hparams = model.hparams
    assert (hparams["d_token"], hparams["n_blocks"], hparams["n_heads"]) == (192, 3, 8)
    assert (hparams["attention_dropout"], hparams["ffn_dropout"], hparams["residual_dropout"]) == (0.2, 0.1, 0.0)
    assert (hparams["lr"], hparams["weight_decay"]) == (1e-4, 1e-5) and hparams["ffn_factor"] == pytest.approx(4 / 3)
    assert model.layers[0].ffn[0].out_features == 2 * 256  # ReGLU: two halves of 4/3 · 192


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
@pytest.mark.parametrize("budget", [5_000, 50_000])
def test_param_budget_on_a_table_with_categories_lands_within_5_percent(cls, budget):
    model = cls(input_size=22, categorical_cardinalities=[5, 9], param_budget=budget)
    assert abs(count(model) - budget) <= 0.05 * budget
    assert model(torch.cat([torch.randn(4, 20), torch.ones(4, 2)], dim=1)).shape == (4, 1)


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
def test_a_sequence_is_read_as_its_values_and_per_step_targets_come_out_per_step(cls):
    model = cls(input_size=2, seq_len=6, target_steps=6, output_size=3, task="classification")
    assert model(torch.randn(4, 6, 2)).shape == (4, 6, 3)


def test_tab_resnet_trains_on_a_batch_of_one_sample():
    model = small(TabResNetModel).train()
    model(rows(1)).sum().backward()


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
def test_a_category_that_decides_the_class_is_learned(cls):
    """The class is the code of the first categorical column (unknown included): only its embeddings can tell."""
    torch.manual_seed(0)
    x = rows(240, seed=1)
    x[:, NUMERIC] = torch.randint(0, CARDINALITIES[0], (240,)).float()
    y = x[:, NUMERIC].long()
    model = small(cls, task="classification", output_size=CARDINALITIES[0], lr=1e-2, weight_decay=0.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(30):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (model.eval()(x).argmax(dim=1) == y).float().mean()
    assert accuracy > 0.95


@pytest.mark.parametrize("cls", [TabResNetModel, FTTransformerModel])
def test_bad_cardinalities_are_one_line_errors(cls):
    with pytest.raises(ArchbenchError, match="names 3 columns but a row has 2") as error:
        cls(input_size=2, categorical_cardinalities=[2, 2, 2])
    assert "\n" not in str(error.value)
    with pytest.raises(ArchbenchError, match=r"1 codes; allowed: >= 2"):
        cls(input_size=2, categorical_cardinalities=[1])


def test_ft_transformer_d_token_must_split_into_heads():
    with pytest.raises(ArchbenchError, match="d_token must be a multiple of n_heads=8, got 20"):
        FTTransformerModel(input_size=3, d_token=20)


def test_the_placebo_is_the_mlp_with_the_same_settings_and_search_space():
    def read(group: str, name: str) -> dict:
        return yaml.safe_load(config_path(group, name).read_text())

    mlp, placebo = read("model", "mlp"), read("model", "mlp_placebo")
    assert (placebo["class_path"], placebo["init_args"]) == (mlp["class_path"], mlp["init_args"])
    assert read("search", "mlp_placebo") == read("search", "mlp")
