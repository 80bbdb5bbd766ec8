"""The views: every drawing of graphnet's objects (rich, text, SVG, HTML, plots).

Importing this package imports the modules that register drawers with
:mod:`graphnet.common.display`, so the objects' ``__rich__`` and kin find them
(``import graphnet`` does it).
"""

from graphnet.views import mathml, player, render, report, svg  # noqa: F401
