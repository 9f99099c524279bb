"""Quiet the libraries under the grading tool (SQLAlchemy, traitlets, nbconvert warnings)."""

from __future__ import annotations

import logging
import warnings


def quiet_libraries() -> None:
    warnings.filterwarnings("ignore", module="sqlalchemy")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # nbconvert: "Your element with mimetype(s) ... is not able to be represented" (record data)
    warnings.filterwarnings("ignore", message="Your element with mimetype")
    try:
        from sqlalchemy.exc import SAWarning

        warnings.filterwarnings("ignore", category=SAWarning)
    except ImportError:  # pragma: no cover
        pass
    logging.getLogger("traitlets").setLevel(logging.ERROR)
