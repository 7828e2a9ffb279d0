"""Using a trained run: reload it (``archbench.load``), predict on new rows, export its network."""
