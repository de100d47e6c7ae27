"""Where images come from: the bundled MNIST digits, image folders, photos; splits (no Kedro)."""
