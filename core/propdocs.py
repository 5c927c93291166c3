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
            if isinstance(value, schema._Prop) or not isinstance(value, (list, tuple)):
                value = (value,)
            for prop in value:  # a Prop, or a list or tuple of them
                if isinstance(prop, schema._Prop) and prop.doc:
                    out[prop.key] = prop.doc
    finally:
        schema._keep[0] = keep
        sys.modules.pop(module, None)
        if old is not None:
            sys.modules[module] = old
        # the import also bound the fresh module in its package: `from core import app` must find the old
        dot = module.rfind(".")
        package = sys.modules.get(module[:dot])
        if package is not None:
            if old is not None:
                setattr(package, module[dot + 1:], old)
            elif module[dot + 1:] in package.__dict__:
                delattr(package, module[dot + 1:])
    return out
