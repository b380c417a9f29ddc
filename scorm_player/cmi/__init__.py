"""The CMI data models of SCORM 1.2 and 2004, their error codes, and the run-time API engine.

`model` defines every element once; `rules(version)` exports it as JSON for the browser adapter;
`api.Engine` is the reference state machine the server checks commits with.
"""

from scorm_player.cmi.api import Engine, Navigation
from scorm_player.cmi.errors import ERRORS_12, ERRORS_2004, CmiError
from scorm_player.cmi.model import (
           MODELS,
           SCORM_12,
           SCORM_2004,
           DataModel,
           Element,
           all_rules,
           model_for,
           rules,
)

__all__ = ["ERRORS_12", "ERRORS_2004", "MODELS", "SCORM_12", "SCORM_2004", "CmiError", "DataModel", "Element",
           "Engine", "Navigation", "all_rules", "model_for", "rules"]
