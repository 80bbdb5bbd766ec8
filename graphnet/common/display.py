"""How objects show themselves without knowing how: a registry of views, one function per type.

A ``Node``, a ``History`` or a ``GradientReport`` renders itself in rich (``__rich__``), as
plain text (``dump``, ``to_text``), as SVG or HTML; but the code that draws lives in
:mod:`graphnet.views`, a layer *above* the engines and tools.  So each such method asks one
of the views here, and each drawing module of :mod:`graphnet.views` registers its function
for the types it draws when it is imported (``import graphnet`` imports them all):

>>> from graphnet.common import display
>>> class Point:
...     def __rich__(self) -> str:
...         return display.rich(self)
>>> @display.rich.register(Point)
... def render_point(point: Point) -> str:
...     return "a point"
>>> Point().__rich__()
'a point'

The dependency points one way: the views import what they draw, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from rich.console import RenderableType

Shown = TypeVar("Shown")
Drawer = TypeVar("Drawer", bound=Callable[..., Any])


class View(Generic[Shown]):
    """One way of showing objects (rich, text, SVG, HTML): the registered function for each type.

    Calling the view with an object runs the function registered for its class, or for the
    nearest base class that has one (the method resolution order), with the given options.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._drawers: dict[type, Callable[..., Shown]] = {}

    def register(self, cls: type) -> Callable[[Drawer], Drawer]:
        """Decorator: ``@view.register(Node)`` makes the function draw Nodes (and subclasses)."""

        def plug(drawer: Drawer) -> Drawer:
            self._drawers[cls] = drawer
            return drawer

        return plug

    def draws(self, cls: type) -> bool:
        """True when a function is registered for ``cls`` or one of its base classes."""
        return any(base in self._drawers for base in cls.__mro__)

    def __call__(self, obj: object, **options: Any) -> Shown:
        for cls in type(obj).__mro__:
            drawer = self._drawers.get(cls)
            if drawer is not None:
                return drawer(obj, **options)
        raise NotImplementedError(
            f"no {self.name} view of {type(obj).__name__} is registered; "
            "expected graphnet.views to be imported (import graphnet does it)"
        )

    def __repr__(self) -> str:
        return f"View({self.name!r}, types={sorted(cls.__name__ for cls in self._drawers)})"


#: ``__rich__``: a rich renderable (a Table, a Panel, styled Text).
rich: View[RenderableType] = View("rich")
#: Plain text for copy-paste (``net.dump()``, ``report.to_text()``).
text: View[str] = View("text")
#: An SVG picture (``net.to_svg()``, Jupyter's ``_repr_svg_``).
svg: View[str] = View("svg")
#: A self-contained HTML page or fragment (``stepper.to_html()``, Jupyter's ``_repr_html_``).
html: View[str] = View("html")
