"""The Kedro project around the domain code: hooks, dataset types, the Dask client hook and the
commands that find a run's outputs and copy the README's figures."""
