"""The one base class for the user's mistakes, as opposed to bugs in the code.

Every user mistake derives from :class:`UserInputError`: bad raw data
(:class:`~l6pipeline.rossmann.raw.errors.RawDataError`), bad parameters
(:class:`~l6pipeline.core.params.ParameterError`, ``RejectedParameters``), request rows the served
model refuses (:class:`~l6pipeline.rossmann.serving.contract.ServingInputError`), a model that
``rossmann_predict`` cannot find (``NoModelError``), a Ray or Dask cluster that cannot be
reached (``RayAddressError``, ``DaskAddressError`` in :mod:`l6pipeline.core.executors` and
:mod:`l6pipeline.project.dask_client`), a run's output that is not there yet or cannot be copied
(``OutputNotFoundError``, ``PipelineNotRunError``, ``SubmissionCopyError`` in
:mod:`l6pipeline.project.outputs`). Its message is
one paragraph that names what is wrong (file, column, line and value, or parameter, value and
allowed range) and what to do, so ``kedro run`` prints the message alone, without a traceback
(:mod:`l6pipeline.cli`). Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserInputError(ValueError):
    """Input the user must fix (a raw file, a parameter); the message says how."""
