"""The docs of declared properties, read on demand (a menu's help line): on the board a Prop keeps
no doc (core/schema.py), so the declaring module is imported afresh, with docs kept, for a moment."""
import sys

from core import schema


def docs(module):
    """{settings key: doc} of the properties `module` (a dotted name) declares at its top level; the
    module already loaded, if any, stays in place."""
    old = sys.modules.pop(module, None)
    keep = schema._keep[0]
    schema._keep[0] = True
    out = {}
    try:
        fresh = __import__(module, None, None, ("_",))
        for value in fresh.__dict__.values():
            for prop in value if isinstance(value, list) else (value,):
                if isinstance(prop, schema._Prop) and prop.doc:
                    out[prop.key] = prop.doc
    finally:
        schema._keep[0] = keep
        sys.modules.pop(module, None)
        if old is not None:
            sys.modules[module] = old
    return out
