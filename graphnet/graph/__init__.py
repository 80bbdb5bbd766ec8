"""Layer 3, the object-graph engine: Node, ConstNode, Connection, Connections, Layer, Network."""
